//! The host services a plugin reaches during one call, bound to that call's connection (inside
//! its transaction, for writes) and to the groups it may touch: it reads the target group, its
//! ancestors and its subtree, and writes records of the target group only.
//!
//! One function per request: `records.rs` (the plugin's own records and others' to read),
//! `tree.rs` (groups and users), `usage.rs` (statistics and devices), `mail.rs`; the reach rules
//! every one of them applies are in `reach.rs`, and the conversions to the plugin API's types in
//! `convert.rs`.

mod convert;
mod mail;
mod reach;
mod records;
mod tree;
mod usage;

use tenantry_domain::{DomainError, Group, GroupId};
use tenantry_plugin_host::HostServices;
use tenantry_plugin_host::api::{HostAnswer, HostRequest, PluginError, PluginErrorCode};
use tenantry_storage::{DbConnection, StoreError, Writer};

pub use convert::group_info;

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

/// Which groups a call may write records of: the one group a change is about, or every group
/// of a subtree (a batch of changes below one group, such as an import; a tick: the root's).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reach {
    Group(GroupId),
    Subtree(GroupId),
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
    /// For a hook or a changing route: reads and writes in the caller's transaction, writes
    /// limited as `reach` says.
    pub fn writing(w: &'a mut Writer<'w>, plugin: &str, reach: Reach) -> Services<'a, 'w> {
        let (target, writes_subtree) = match reach {
            Reach::Group(group) => (group, false),
            Reach::Subtree(top) => (top, true),
        };
        Services {
            access: Access::Write(w),
            plugin: plugin.to_owned(),
            target_id: target,
            target: None,
            failed: None,
            writes_subtree,
            queued_mail: false,
        }
    }

    /// For a tick: reads and writes anywhere in the subtree of `root` (the whole tree).
    pub fn ticking(w: &'a mut Writer<'w>, plugin: &str, root: GroupId) -> Services<'a, 'w> {
        Services::writing(w, plugin, Reach::Subtree(root))
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
}

impl HostServices for Services<'_, '_> {
    fn call(&mut self, _plugin: &str, request: HostRequest) -> Result<HostAnswer, PluginError> {
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
            } => self.put_record(group_id, collection, id, if_sort_key, sort_key, data),
            HostRequest::GetRecord {
                group_id,
                collection,
                id,
            } => self.get_record(group_id, collection, id),
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
            } => self.delete_record(group_id, collection, id),
            HostRequest::SetRecordKey {
                group_id,
                collection,
                id,
                key,
            } => self.set_record_key(group_id, collection, id, key),
            HostRequest::FindRecord { collection, key } => self.find_record(collection, key),
            HostRequest::DeleteCollection {
                group_id,
                collection,
            } => self.delete_collection(group_id, collection),
            HostRequest::DueRecords {
                collection,
                until,
                limit,
            } => self.due_records(collection, until, limit),
            HostRequest::Group { id } => self.group(id),
            HostRequest::Users { ids, within } => self.users(ids, within),
            HostRequest::Ancestors { id } => self.ancestors(id),
            HostRequest::Subtree { id, after, limit } => self.subtree(id, after, limit),
            HostRequest::DailyStats { id, from, to } => self.daily_stats(id, from, to),
            HostRequest::DeviceUsage {
                id,
                from,
                to,
                limit,
            } => self.device_usage(id, from, to, limit),
            HostRequest::SendMail(mail) => self.send_mail(mail),
            HostRequest::MailHistory {
                group_id,
                source,
                cursor,
                limit,
            } => self.mail_history(group_id, source, cursor, limit),
        }
    }
}
