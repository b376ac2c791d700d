//! The host services a plugin reaches during one call, bound to that call's connection (inside
//! its transaction, for writes) and to the groups it may touch: it reads the target group, its
//! ancestors and its subtree, and writes records of the target group only.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::SecondsFormat;
use serde_json::json;
use tenantry_domain::{DomainError, Group, GroupId, TreePath, UserId};
use tenantry_plugin_host::HostServices;
use tenantry_plugin_host::api::schema::MAX_PAGE;
use tenantry_plugin_host::api::{
    Attachment, DayStats, DeviceUsage, GroupInfo, HostAnswer, HostRequest, ListRecords, MailStatus,
    Page, PluginError, PluginErrorCode, Record, UserInfo,
};
use tenantry_storage::plugin_records::{self, Collection, PluginRecord, RecordQuery};
use tenantry_storage::{
    Cursor, DbConnection, StoreError, Writer, devices, groups, outbox, stats, users,
};

/// The connection of the call: a write transaction, or a read for `GET` routes.
enum Access<'a, 'w> {
    Read(&'a mut DbConnection),
    Write(&'a mut Writer<'w>),
}

impl Access<'_, '_> {
    fn conn(&mut self) -> &mut DbConnection {
        match self {
            Access::Read(conn) => conn,
            Access::Write(w) => w.conn(),
        }
    }
}

pub struct Services<'a, 'w> {
    access: Access<'a, 'w>,
    plugin: String,
    target_id: GroupId,
    /// Read when a request first needs it: a hook that only writes its own records never does.
    target: Option<Group>,
    /// A storage failure a plugin was told about, whatever it did with it: on PostgreSQL a
    /// failed statement aborts the transaction, so the call must fail even if the plugin
    /// carried on (see `Services::failure`).
    failed: Option<String>,
    /// Whether writes reach the whole subtree of the call's group (a tick: the root's), not
    /// only the group itself.
    writes_subtree: bool,
    /// Whether the call queued a message (so that the mailer is woken after commit).
    queued_mail: bool,
}

impl<'a, 'w> Services<'a, 'w> {
    /// For a hook or a changing route: reads and writes in the caller's transaction.
    pub fn writing(
        w: &'a mut Writer<'w>,
        plugin: &str,
        target: GroupId,
    ) -> Result<Services<'a, 'w>, StoreError> {
        Ok(Services {
            access: Access::Write(w),
            plugin: plugin.to_owned(),
            target_id: target,
            target: None,
            failed: None,
            writes_subtree: false,
            queued_mail: false,
        })
    }

    /// For a tick: reads and writes anywhere in the subtree of `root` (the whole tree).
    pub fn ticking(w: &'a mut Writer<'w>, plugin: &str, root: GroupId) -> Services<'a, 'w> {
        Services {
            access: Access::Write(w),
            plugin: plugin.to_owned(),
            target_id: root,
            target: None,
            failed: None,
            writes_subtree: true,
            queued_mail: false,
        }
    }

    /// Whether the call queued a message.
    pub fn queued_mail(&self) -> bool {
        self.queued_mail
    }

    /// For a reading route: no writes.
    pub fn reading(conn: &'a mut DbConnection, plugin: &str, target: Group) -> Services<'a, 'w> {
        Services {
            access: Access::Read(conn),
            plugin: plugin.to_owned(),
            target_id: target.id,
            target: Some(target),
            failed: None,
            writes_subtree: false,
            queued_mail: false,
        }
    }

    /// The storage failure the plugin met during the call, if any.
    pub fn failure(&self) -> Option<&str> {
        self.failed.as_deref()
    }

    /// A storage error as the plugin sees it: a rule's error keeps its code; anything else is
    /// the host's failure, remembered so that the call fails whatever the plugin answers.
    fn store_error(&mut self, error: StoreError) -> PluginError {
        match error {
            StoreError::Domain(DomainError::NotFound { what }) => PluginError::not_found(what),
            StoreError::Domain(DomainError::Validation(fields)) => {
                let field = fields.first().map_or("record", |f| f.field.as_str());
                let message = fields.first().map_or(String::new(), |f| f.message.clone());
                PluginError::invalid(field, message)
            }
            StoreError::Domain(other) => {
                PluginError::new(PluginErrorCode::Conflict, other.to_string())
            }
            other => {
                log::error!("host service failed for plugin {}: {other}", self.plugin);
                self.failed = Some(other.to_string());
                PluginError::internal("the host's storage failed")
            }
        }
    }

    fn target(&mut self) -> Result<Group, PluginError> {
        if let Some(target) = &self.target {
            return Ok(target.clone());
        }
        let found = whole_tree_get(self.access.conn(), self.target_id);
        let target = found.map_err(|e| self.store_error(e))?;
        self.target = Some(target.clone());
        Ok(target)
    }

    /// The group, if the call may read it: the call's group, one of its ancestors, or a group
    /// of its subtree. Anything else is `not_found`, whether it exists or not.
    fn check_read(&mut self, group: GroupId) -> Result<Group, PluginError> {
        let target = self.target()?;
        let found = if target.path.ids().contains(&group) {
            whole_tree_get(self.access.conn(), group)
        } else {
            groups::get(self.access.conn(), &target.path, group)
        };
        found.map_err(|e| self.store_error(e))
    }

    /// The group, if it lies in the call's subtree (the call's group or below it): what
    /// statistics, device data, mail history and tick writes are limited to.
    fn check_subtree(&mut self, group: GroupId) -> Result<Group, PluginError> {
        let found = self.check_read(group)?;
        if !self.target()?.path.contains(&found.path) {
            return Err(out_of_reach());
        }
        Ok(found)
    }

    fn check_write(&mut self, group: GroupId) -> Result<&mut Writer<'w>, PluginError> {
        if group != self.target_id {
            if !self.writes_subtree {
                return Err(out_of_reach());
            }
            self.check_subtree(group)?;
        }
        match &mut self.access {
            Access::Write(w) => Ok(w),
            Access::Read(_) => Err(PluginError::internal(
                "this request only reads: records cannot be written during it",
            )),
        }
    }
}

fn out_of_reach() -> PluginError {
    PluginError::new(
        PluginErrorCode::Forbidden,
        "a plugin reaches only the call's group, its ancestors and its subtree",
    )
}

/// A group anywhere in the tree (the services check reach themselves).
fn whole_tree_get(conn: &mut DbConnection, id: GroupId) -> Result<Group, StoreError> {
    let root = groups::root(conn)?.ok_or(StoreError::Corrupt("no root group".to_owned()))?;
    groups::get(conn, &root.path, id)
}

pub fn group_info(group: &Group) -> GroupInfo {
    GroupInfo {
        id: group.id.0,
        parent_id: group.parent_id.map(|p| p.0),
        name: group.name.clone(),
        level: group.level.as_str().to_owned(),
    }
}

fn day_stats(day: stats::GroupDay) -> DayStats {
    DayStats {
        day: day.day.format("%Y-%m-%d").to_string(),
        devices: day.devices,
        selected_bytes: day.selected_bytes,
        used_bytes: day.used_bytes,
        sessions_completed: day.sessions_completed,
        sessions_failed: day.sessions_failed,
        sessions_with_errors: day.sessions_with_errors,
        customers: day.customers,
    }
}

/// A report's rows are read into memory and mailed: a bound that a customer's report never meets.
const MAX_USAGE_ROWS: i64 = 200_000;

fn date(field: &str, text: &str) -> Result<chrono::NaiveDate, PluginError> {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| PluginError::invalid(field, "must be a date, YYYY-MM-DD"))
}

/// The API's one time format: RFC 3339, UTC as `Z`, microseconds.
fn time(at: chrono::NaiveDateTime) -> String {
    at.and_utc().to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn device_usage(row: devices::DeviceUsage) -> DeviceUsage {
    DeviceUsage {
        device_id: row.device_id,
        group_id: row.group_id,
        group_name: row.group_name,
        name: row.name,
        os: row.os,
        status: row.status,
        last_session_at: row.last_session_at.map(time),
        selected_bytes: row.selected_bytes,
        used_bytes: row.used_bytes,
        max_used_bytes: row.max_used_bytes,
        sessions_completed: row.sessions_completed,
        sessions_failed: row.sessions_failed,
        sessions_with_errors: row.sessions_with_errors,
    }
}

fn mail_status(mail: outbox::Mail) -> MailStatus {
    MailStatus {
        id: mail.id,
        to: mail.recipients(),
        subject: mail.subject,
        next_attempt_at: (mail.status == outbox::PENDING).then(|| time(mail.next_attempt_at)),
        status: mail.status,
        attempts: mail.attempts,
        created_at: time(mail.created_at),
        sent_at: mail.sent_at.map(time),
        last_error: mail.last_error,
    }
}

/// A stored record as the plugin reads it. Data that does not parse is an error (the host
/// wrote it as JSON), never handed over as `null` for the plugin to write back.
fn record(row: PluginRecord) -> Result<Record, PluginError> {
    let data = serde_json::from_str(&row.data).map_err(|e| {
        PluginError::internal(format!("stored record {} is unreadable: {e}", row.id))
    })?;
    Ok(Record {
        id: row.id,
        group_id: row.group_id,
        collection: row.collection,
        sort_key: row.sort_key,
        data,
        created_at: time(row.created_at),
        updated_at: time(row.updated_at),
    })
}

impl HostServices for Services<'_, '_> {
    fn call(&mut self, _plugin: &str, request: HostRequest) -> Result<HostAnswer, PluginError> {
        let now = tenantry_storage::now();
        match request {
            // A newer plugin's request: it hears so and may carry on without it.
            HostRequest::Unsupported => Err(PluginError::unsupported("this host request")),
            HostRequest::PutRecord {
                group_id,
                collection,
                id,
                if_sort_key,
                sort_key,
                data,
            } => {
                let data = data.to_string();
                let plugin = self.plugin.clone();
                let w = self.check_write(GroupId(group_id))?;
                let collection = Collection {
                    plugin: &plugin,
                    group: GroupId(group_id),
                    name: &collection,
                };
                let written = plugin_records::put(
                    w,
                    collection,
                    id,
                    if_sort_key.as_deref(),
                    &sort_key,
                    &data,
                    now,
                );
                let row = written.map_err(|e| self.store_error(e))?;
                Ok(HostAnswer::Record(record(row)?))
            }
            HostRequest::GetRecord {
                group_id,
                collection,
                id,
            } => {
                self.check_read(GroupId(group_id))?;
                let plugin = self.plugin.clone();
                let collection = Collection {
                    plugin: &plugin,
                    group: GroupId(group_id),
                    name: &collection,
                };
                let found = plugin_records::get(self.access.conn(), collection, id);
                let row = found.map_err(|e| self.store_error(e))?;
                Ok(HostAnswer::MaybeRecord(row.map(record).transpose()?))
            }
            HostRequest::ListRecords(list) => {
                let plugin = self.plugin.clone();
                self.list(&plugin, list)
            }
            // Reads only, with the same reach: what another plugin keeps about groups the call
            // may read anyway.
            HostRequest::ListOtherRecords { plugin, list } => self.list(&plugin, list),
            HostRequest::DeleteRecord {
                group_id,
                collection,
                id,
            } => {
                let plugin = self.plugin.clone();
                let w = self.check_write(GroupId(group_id))?;
                let collection = Collection {
                    plugin: &plugin,
                    group: GroupId(group_id),
                    name: &collection,
                };
                let deleted = plugin_records::delete(w, collection, id);
                Ok(HostAnswer::Deleted(
                    deleted.map_err(|e| self.store_error(e))?,
                ))
            }
            HostRequest::DeleteCollection {
                group_id,
                collection,
            } => {
                let plugin = self.plugin.clone();
                let w = self.check_write(GroupId(group_id))?;
                let collection = Collection {
                    plugin: &plugin,
                    group: GroupId(group_id),
                    name: &collection,
                };
                let deleted = plugin_records::delete_collection(w, collection);
                Ok(HostAnswer::Removed(
                    deleted.map_err(|e| self.store_error(e))? as i64,
                ))
            }
            HostRequest::Group { id } => Ok(HostAnswer::Group(group_info(
                &self.check_read(GroupId(id))?,
            ))),
            HostRequest::Users { mut ids, within } => {
                const MAX_IDS: usize = 500;
                if ids.len() > MAX_IDS {
                    return Err(PluginError::invalid(
                        "ids",
                        format!("at most {MAX_IDS} at a time"),
                    ));
                }
                ids.sort_unstable();
                ids.dedup();
                let within = self.check_read(GroupId(within))?;
                let mut found = Vec::new();
                for id in ids {
                    match users::get(self.access.conn(), &within.path, UserId(id)) {
                        Ok(user) => found.push(UserInfo {
                            id: user.id.0,
                            group_id: user.group_id.0,
                            username: user.username,
                            name: user.name,
                        }),
                        Err(StoreError::Domain(DomainError::NotFound { .. })) => {}
                        Err(e) => return Err(self.store_error(e)),
                    }
                }
                Ok(HostAnswer::Users(found))
            }
            HostRequest::Ancestors { id } => {
                let group = self.check_read(GroupId(id))?;
                let root = TreePath::root(group.path.ids()[0]);
                let found = groups::ancestors(self.access.conn(), &root, group.id);
                let found = found.map_err(|e| self.store_error(e))?;
                Ok(HostAnswer::Groups(found.iter().map(group_info).collect()))
            }
            HostRequest::Subtree { id, after, limit } => {
                let group = self.check_subtree(GroupId(id))?;
                let target = self.target()?;
                let after = after
                    .as_deref()
                    .map(Cursor::parse)
                    .transpose()
                    .map_err(|e| PluginError::invalid("after", e.to_string()))?;
                let page = tenantry_storage::PageRequest::new(Some(limit), after)
                    .map_err(|e| PluginError::invalid("limit", e.to_string()))?;
                let scope = target.path.clone();
                let found = groups::descendants(
                    self.access.conn(),
                    &scope,
                    &group,
                    &groups::DescendantFilter::default(),
                    &page,
                );
                let found = found.map_err(|e| self.store_error(e))?;
                Ok(HostAnswer::GroupPage(Page {
                    items: found.items.iter().map(group_info).collect(),
                    next: found.next.map(|c| c.token().to_owned()),
                }))
            }
            HostRequest::DailyStats { id, from, to } => {
                let group = self.check_subtree(GroupId(id))?;
                let (from, to) = (date("from", &from)?, date("to", &to)?);
                let found = stats::days(self.access.conn(), group.id, from, to);
                let days = found.map_err(|e| self.store_error(e))?;
                Ok(HostAnswer::DayStats(
                    days.into_iter().map(day_stats).collect(),
                ))
            }
            HostRequest::DueRecords {
                collection,
                until,
                limit,
            } => {
                if !(1..=MAX_PAGE).contains(&limit) {
                    return Err(PluginError::invalid(
                        "limit",
                        format!("must be between 1 and {MAX_PAGE}"),
                    ));
                }
                let scope = self.target()?.path;
                let plugin = self.plugin.clone();
                let found = plugin_records::due(
                    self.access.conn(),
                    &plugin,
                    &collection,
                    &scope,
                    &until,
                    limit,
                );
                let rows = found.map_err(|e| self.store_error(e))?;
                Ok(HostAnswer::DueRecords(
                    rows.into_iter().map(record).collect::<Result<_, _>>()?,
                ))
            }
            HostRequest::DeviceUsage {
                id,
                from,
                to,
                limit,
            } => {
                let group = self.check_subtree(GroupId(id))?;
                if !(1..=MAX_USAGE_ROWS).contains(&limit) {
                    return Err(PluginError::invalid(
                        "limit",
                        format!("must be between 1 and {MAX_USAGE_ROWS}"),
                    ));
                }
                let (from, to) = (date("from", &from)?, date("to", &to)?);
                let found = devices::usage(self.access.conn(), &group.path, from, to, limit);
                let rows = found.map_err(|e| self.store_error(e))?;
                Ok(HostAnswer::DeviceUsage(
                    rows.into_iter().map(device_usage).collect(),
                ))
            }
            HostRequest::SendMail(mail) => {
                check_attachments(&mail.attachments)?;
                let plugin = self.plugin.clone();
                let w = self.check_write(GroupId(mail.group_id))?;
                let content = json!({"html": mail.html, "attachments": mail.attachments});
                let queued = outbox::enqueue(
                    w,
                    &outbox::NewMail {
                        plugin: &plugin,
                        group: GroupId(mail.group_id),
                        source: &mail.source,
                        recipients: &mail.to,
                        subject: &mail.subject,
                        content: &content.to_string(),
                    },
                    now,
                );
                let id = queued.map_err(|e| self.store_error(e))?;
                self.queued_mail = true;
                let found = outbox::get(self.access.conn(), id);
                match found.map_err(|e| self.store_error(e))? {
                    Some(mail) => Ok(HostAnswer::Mail(mail_status(mail))),
                    None => Err(PluginError::internal("the queued message vanished")),
                }
            }
            HostRequest::MailHistory {
                group_id,
                source,
                cursor,
                limit,
            } => {
                // A group's messages are its own business and its ancestors': a subtree's only.
                self.check_subtree(GroupId(group_id))?;
                let after = cursor
                    .as_deref()
                    .map(Cursor::parse)
                    .transpose()
                    .map_err(|e| PluginError::invalid("cursor", e.to_string()))?;
                let page = tenantry_storage::PageRequest::new(Some(limit), after)
                    .map_err(|e| PluginError::invalid("limit", e.to_string()))?;
                let plugin = self.plugin.clone();
                let found = outbox::history(
                    self.access.conn(),
                    &plugin,
                    GroupId(group_id),
                    &source,
                    &page,
                );
                let found = found.map_err(|e| self.store_error(e))?;
                Ok(HostAnswer::MailPage(Page {
                    items: found.items.into_iter().map(mail_status).collect(),
                    next: found.next.map(|c| c.token().to_owned()),
                }))
            }
        }
    }
}

impl Services<'_, '_> {
    fn list(&mut self, plugin: &str, list: ListRecords) -> Result<HostAnswer, PluginError> {
        self.check_read(GroupId(list.group_id))?;
        let after = list
            .cursor
            .as_deref()
            .map(Cursor::parse)
            .transpose()
            .map_err(|e| PluginError::invalid("cursor", e.to_string()))?;
        if !(1..=MAX_PAGE).contains(&list.limit) {
            return Err(PluginError::invalid(
                "limit",
                format!("must be between 1 and {MAX_PAGE}"),
            ));
        }
        let query = RecordQuery {
            descending: list.descending,
            from: list.from,
            to: list.to,
            after,
            limit: list.limit,
        };
        let collection = Collection {
            plugin,
            group: GroupId(list.group_id),
            name: &list.collection,
        };
        let page = plugin_records::list(self.access.conn(), collection, &query);
        let page = page.map_err(|e| self.store_error(e))?;
        Ok(HostAnswer::Records(Page {
            items: page
                .items
                .into_iter()
                .map(record)
                .collect::<Result<_, _>>()?,
            next: page.next.map(|c| c.token().to_owned()),
        }))
    }
}

/// Attachments the mailer can send: base64 that decodes, and content ids a `cid:` URL can name.
/// Refused here, when the plugin queues the message, rather than as a failed send later.
fn check_attachments(attachments: &[Attachment]) -> Result<(), PluginError> {
    for file in attachments {
        if file.base64 && BASE64.decode(file.content.as_bytes()).is_err() {
            return Err(PluginError::invalid(
                "attachments",
                format!("{} is not base64", file.filename),
            ));
        }
        if let Some(id) = &file.content_id
            && !(id.len() <= 64
                && !id.is_empty()
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')))
        {
            return Err(PluginError::invalid(
                "attachments",
                format!("the content id {id:?} is not 1 to 64 letters, digits, '.', '-' or '_'"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plugins_and_the_host_page_alike() {
        assert_eq!(MAX_PAGE, tenantry_storage::MAX_PAGE);
        assert_eq!(
            tenantry_plugin_host::api::schema::DEFAULT_PAGE,
            tenantry_storage::DEFAULT_PAGE
        );
    }

    #[test]
    fn attachments_are_checked_when_queued() {
        let image = |content: &str, id: &str| Attachment {
            filename: "logo.png".to_owned(),
            content_type: "image/png".to_owned(),
            content: content.to_owned(),
            base64: true,
            content_id: Some(id.to_owned()),
        };
        assert!(check_attachments(&[image("iVBORw0KGgo=", "logo")]).is_ok());
        assert!(check_attachments(&[image("not base64!", "logo")]).is_err());
        for id in ["", "lo go", "a>b", &"x".repeat(65)] {
            assert!(
                check_attachments(&[image("iVBORw0KGgo=", id)]).is_err(),
                "{id:?}"
            );
        }
    }
}
