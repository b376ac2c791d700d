//! The CRM plugin: a group's contacts, and the communication activities with it (calls, emails,
//! meetings, notes; past or upcoming). Renames and moves of a group record themselves as
//! system-authored activities, in the change's own transaction. A group's contacts and
//! activities go with the group: they are host records, removed with it.

mod model;
mod panels;
mod schemas;

use chrono::Utc;
use tenantry_plugin_api::{
    ActionSpec, BodyKind, Event, Hook, HookCall, Host, HttpAnswer, HttpRequest, ListRecords,
    Manifest, Page, Plugin, PluginError, Record, Route, Value, export_plugin, json,
};

use model::{Activity, ActivityInput, ActivityKind, Author, Contact, ContactInput, moment};

const CONTACTS: &str = "contacts";
const ACTIVITIES: &str = "activities";

#[derive(Debug, Default)]
pub struct Crm;

fn route(method: &str, path: &str, action: &str, summary: &str, body: bool) -> Route {
    Route {
        body: body.then_some(BodyKind::Json),
        // Adding answers 201 Created, removing 204 No Content.
        success: Some(match method {
            "POST" => 201,
            "DELETE" => 204,
            _ => 200,
        }),
        ..Route::new(method, path, action, summary)
    }
}

impl Plugin for Crm {
    fn manifest(&self) -> Manifest {
        let contacts = "/groups/{id}/contacts";
        let contact = "/groups/{id}/contacts/{cid}";
        let activities = "/groups/{id}/activities";
        let activity = "/groups/{id}/activities/{aid}";
        Manifest {
            themes: false,
            panels: panels::panels(),
            name: "crm".to_owned(),
            ticks: false,
            actions: vec![
                ActionSpec::new(
                    "view_contacts",
                    "supporter",
                    "Read a group's contacts and activities",
                )
                .in_module("customers"),
                ActionSpec::new(
                    "manage_contacts",
                    "administrator",
                    "Add, change and remove a group's contacts",
                )
                .in_module("customers"),
                ActionSpec::new(
                    "manage_activities",
                    "manager",
                    "Record, change and remove activities: calls, emails, meetings, notes",
                )
                .in_module("customers"),
            ],
            module: None,
            version: env!("CARGO_PKG_VERSION").to_owned(),
            hooks: vec![Hook::BeforeUpdate],
            routes: vec![
                route(
                    "GET",
                    "/groups/{id}/crm",
                    "view_contacts",
                    "The group's last and next activity",
                    false,
                )
                .returns(schemas::summary()),
                route(
                    "GET",
                    contacts,
                    "view_contacts",
                    "The group's contacts, by name",
                    false,
                )
                .paged(schemas::contact()),
                route("POST", contacts, "manage_contacts", "Add a contact", true)
                    .json_body(schemas::contact_input(true))
                    .example(json!({"name": "Ada Lovelace", "email": "ada@example.com"}))
                    .returns(schemas::contact())
                    .creates("cid"),
                route("GET", contact, "view_contacts", "One contact", false)
                    .returns(schemas::contact()),
                route(
                    "PATCH",
                    contact,
                    "manage_contacts",
                    "Change a contact",
                    true,
                )
                .json_body(schemas::contact_input(false))
                .example(json!({"phone": "+31 20 123 4567"}))
                .returns(schemas::contact()),
                route(
                    "DELETE",
                    contact,
                    "manage_contacts",
                    "Remove a contact",
                    false,
                ),
                route(
                    "GET",
                    activities,
                    "view_contacts",
                    "Activities, newest first (?when=past|upcoming)",
                    false,
                )
                .query(
                    "when",
                    json!({"type": "string", "enum": ["past", "upcoming", "all"]}),
                )
                .paged(schemas::activity()),
                route(
                    "POST",
                    activities,
                    "manage_activities",
                    "Record an activity",
                    true,
                )
                .json_body(schemas::activity_input(true))
                .example(json!({"kind": "call", "subject": "Renewal",
                                "when": "2026-01-01T09:00:00Z"}))
                .returns(schemas::activity())
                .creates("aid"),
                route("GET", activity, "view_contacts", "One activity", false)
                    .returns(schemas::activity()),
                route(
                    "PATCH",
                    activity,
                    "manage_activities",
                    "Change an activity",
                    true,
                )
                .json_body(schemas::activity_input(false))
                .example(json!({"subject": "Renewal, signed"}))
                .returns(schemas::activity()),
                route(
                    "DELETE",
                    activity,
                    "manage_activities",
                    "Remove an activity",
                    false,
                ),
            ],
        }
    }

    fn hook(&self, host: &Host, call: &HookCall) -> Result<(), PluginError> {
        if call.hook != Hook::BeforeUpdate {
            return Ok(());
        }
        for event in &call.events {
            let (group, subject, at) = match event {
                Event::GroupUpdated {
                    group_id,
                    changes,
                    at,
                } => {
                    let Some(rename) = changes.iter().find(|c| c.field == "name") else {
                        continue;
                    };
                    let subject = format!(
                        "Renamed from {} to {}",
                        rename.before.as_str().unwrap_or("?"),
                        rename.after.as_str().unwrap_or("?")
                    );
                    (*group_id, subject, at)
                }
                // Which groups it moved between is left out: they may lie above the users who
                // read this group's activities.
                Event::GroupMoved { group_id, at, .. } => {
                    (*group_id, "Moved to another parent group".to_owned(), at)
                }
                _ => continue,
            };
            let when = chrono::DateTime::parse_from_rfc3339(at)
                .map(|t| moment(t.with_timezone(&Utc)))
                .unwrap_or_else(|_| moment(Utc::now()));
            let activity = Activity {
                kind: ActivityKind::Note,
                subject,
                notes: None,
                when: when.clone(),
                contact_id: None,
                done: true,
                // The system, not the user: the user may belong to a group above this one.
                author: Author {
                    user_id: None,
                    system: true,
                },
            };
            host.put_record(group, ACTIVITIES, None, &when, to_value(&activity)?)?;
        }
        Ok(())
    }

    fn http(&self, host: &Host, request: &HttpRequest) -> Result<HttpAnswer, PluginError> {
        let group = request.group.id;
        let param = |name: &str| -> Result<i64, PluginError> {
            request
                .params
                .get(name)
                .and_then(Value::as_str)
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| PluginError::not_found(name))
        };
        let body = || request.body.clone().unwrap_or(Value::Null);
        let author = Author {
            user_id: Some(request.actor.user_id),
            system: false,
        };
        match (request.method.as_str(), request.route.as_str()) {
            ("GET", "/groups/{id}/crm") => summary(host, request),
            ("GET", "/groups/{id}/contacts") => {
                let page = host.list_records(listing(request, CONTACTS, false, None, None)?)?;
                Ok(HttpAnswer::page(&page.map(shown)))
            }
            ("POST", "/groups/{id}/contacts") => {
                let contact = parse::<ContactInput>(body())?.apply(None)?;
                check_user(host, group, contact.user_id)?;
                let record = host.put_record(
                    group,
                    CONTACTS,
                    None,
                    &contact.name.to_lowercase(),
                    to_value(&contact)?,
                )?;
                Ok(HttpAnswer::json(201, shown(record)))
            }
            ("GET", "/groups/{id}/contacts/{cid}") => {
                let record = existing(host, group, CONTACTS, param("cid")?)?;
                Ok(HttpAnswer::json(200, shown(record)))
            }
            ("PATCH", "/groups/{id}/contacts/{cid}") => {
                let record = existing(host, group, CONTACTS, param("cid")?)?;
                let base: Contact = from_value(record.data)?;
                let contact = parse::<ContactInput>(body())?.apply(Some(base))?;
                check_user(host, group, contact.user_id)?;
                let record = host.put_record(
                    group,
                    CONTACTS,
                    Some(record.id),
                    &contact.name.to_lowercase(),
                    to_value(&contact)?,
                )?;
                Ok(HttpAnswer::json(200, shown(record)))
            }
            ("DELETE", "/groups/{id}/contacts/{cid}") => {
                if !host.delete_record(group, CONTACTS, param("cid")?)? {
                    return Err(PluginError::not_found("contact"));
                }
                Ok(HttpAnswer::no_content())
            }
            ("GET", "/groups/{id}/activities") => {
                let now = moment(Utc::now());
                let (from, to) = match request.query.get("when").and_then(Value::as_str) {
                    None | Some("all") => (None, None),
                    Some("past") => (None, Some(now)),
                    Some("upcoming") => (Some(now), None),
                    Some(_) => {
                        return Err(PluginError::invalid(
                            "when",
                            "must be past, upcoming or all",
                        ));
                    }
                };
                let page = host.list_records(listing(request, ACTIVITIES, true, from, to)?)?;
                let items = seen_by(host, request, page.items)?;
                Ok(HttpAnswer::page(&Page {
                    items,
                    next: page.next,
                }))
            }
            ("POST", "/groups/{id}/activities") => {
                let activity = parse::<ActivityInput>(body())?.apply(None, author)?;
                check_contact(host, group, activity.contact_id)?;
                let record = host.put_record(
                    group,
                    ACTIVITIES,
                    None,
                    &activity.when,
                    to_value(&activity)?,
                )?;
                Ok(HttpAnswer::json(201, one_seen_by(host, request, record)?))
            }
            ("GET", "/groups/{id}/activities/{aid}") => {
                let record = existing(host, group, ACTIVITIES, param("aid")?)?;
                Ok(HttpAnswer::json(200, one_seen_by(host, request, record)?))
            }
            ("PATCH", "/groups/{id}/activities/{aid}") => {
                let record = existing(host, group, ACTIVITIES, param("aid")?)?;
                let base: Activity = from_value(record.data)?;
                let activity = parse::<ActivityInput>(body())?.apply(Some(base), author)?;
                check_contact(host, group, activity.contact_id)?;
                let record = host.put_record(
                    group,
                    ACTIVITIES,
                    Some(record.id),
                    &activity.when,
                    to_value(&activity)?,
                )?;
                Ok(HttpAnswer::json(200, one_seen_by(host, request, record)?))
            }
            ("DELETE", "/groups/{id}/activities/{aid}") => {
                if !host.delete_record(group, ACTIVITIES, param("aid")?)? {
                    return Err(PluginError::not_found("activity"));
                }
                Ok(HttpAnswer::no_content())
            }
            _ => Err(PluginError::not_found("route")),
        }
    }
}

fn parse<T: serde::de::DeserializeOwned>(body: Value) -> Result<T, PluginError> {
    serde_json::from_value(body).map_err(|e| PluginError::invalid("body", e.to_string()))
}

fn to_value<T: serde::Serialize>(value: &T) -> Result<Value, PluginError> {
    serde_json::to_value(value).map_err(|e| PluginError::internal(e.to_string()))
}

fn from_value<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, PluginError> {
    serde_json::from_value(value)
        .map_err(|e| PluginError::internal(format!("a stored record is unreadable: {e}")))
}

fn existing(host: &Host, group: i64, collection: &str, id: i64) -> Result<Record, PluginError> {
    host.get_record(group, collection, id)?.ok_or_else(|| {
        PluginError::not_found(if collection == CONTACTS {
            "contact"
        } else {
            "activity"
        })
    })
}

/// A contact may name only a user of its group's subtree (the person's own account).
fn check_user(host: &Host, group: i64, user: Option<i64>) -> Result<(), PluginError> {
    match user {
        Some(id) if host.users(vec![id], group)?.is_empty() => Err(PluginError::invalid(
            "user_id",
            "is not a user of this group or of a group below it",
        )),
        _ => Ok(()),
    }
}

/// Activities as the caller may see them: an author who is a user of a group above the
/// caller's is shown as `user_id: null` (with `system: false`), so that nobody learns the ids
/// of the accounts above them.
fn seen_by(
    host: &Host,
    request: &HttpRequest,
    records: Vec<Record>,
) -> Result<Vec<Value>, PluginError> {
    let author = |record: &Record| {
        record
            .data
            .get("author")
            .and_then(|a| a.get("user_id"))
            .and_then(Value::as_i64)
    };
    let authors: Vec<i64> = records.iter().filter_map(author).collect();
    let visible: Vec<i64> = if authors.is_empty() {
        Vec::new()
    } else {
        host.users(authors, request.actor.group_id)?
            .into_iter()
            .map(|user| user.id)
            .collect()
    };
    Ok(records
        .into_iter()
        .map(|mut record| {
            if author(&record).is_some_and(|id| !visible.contains(&id))
                && let Some(author) = record.data.get_mut("author")
            {
                author["user_id"] = Value::Null;
            }
            shown(record)
        })
        .collect())
}

fn one_seen_by(host: &Host, request: &HttpRequest, record: Record) -> Result<Value, PluginError> {
    Ok(seen_by(host, request, vec![record])?
        .pop()
        .unwrap_or(Value::Null))
}

/// An activity may name only a contact of its own group.
fn check_contact(host: &Host, group: i64, contact: Option<i64>) -> Result<(), PluginError> {
    match contact {
        Some(id) if host.get_record(group, CONTACTS, id)?.is_none() => Err(PluginError::invalid(
            "contact_id",
            "is not a contact of this group",
        )),
        _ => Ok(()),
    }
}

fn listing(
    request: &HttpRequest,
    collection: &str,
    descending: bool,
    from: Option<String>,
    to: Option<String>,
) -> Result<ListRecords, PluginError> {
    let (cursor, limit) = request.paging()?;
    Ok(ListRecords {
        group_id: request.group.id,
        collection: collection.to_owned(),
        descending,
        from,
        to,
        cursor,
        limit,
    })
}

/// A record as the API shows it: its fields, with id and times.
fn shown(record: Record) -> Value {
    let mut value = record.data;
    if let Value::Object(map) = &mut value {
        map.insert("id".to_owned(), json!(record.id));
        map.insert("group_id".to_owned(), json!(record.group_id));
        map.insert("created_at".to_owned(), json!(record.created_at));
        map.insert("updated_at".to_owned(), json!(record.updated_at));
    }
    value
}

/// The group view's CRM corner: the last and the next activity.
fn summary(host: &Host, request: &HttpRequest) -> Result<HttpAnswer, PluginError> {
    let group = request.group.id;
    let now = moment(Utc::now());
    let one = |descending: bool, from: Option<String>, to: Option<String>| {
        let page = host.list_records(ListRecords {
            group_id: group,
            collection: ACTIVITIES.to_owned(),
            descending,
            from,
            to,
            cursor: None,
            limit: 1,
        })?;
        Ok::<_, PluginError>(
            seen_by(host, request, page.items)?
                .pop()
                .unwrap_or(Value::Null),
        )
    };
    let last = one(true, None, Some(now.clone()))?;
    let next = one(false, Some(now), None)?;
    Ok(HttpAnswer::json(
        200,
        json!({"group_id": group, "last_activity": last, "next_activity": next}),
    ))
}

export_plugin!(Crm);
