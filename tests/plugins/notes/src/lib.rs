//! Notes on a group: a plugin written as someone outside this repository would write one, with
//! a console module and permissions of its own, a route of each kind and a hook. Nothing in
//! `crates/domain` or `crates/server` names it; the end-to-end tests load it beside the
//! first-party plugins, and `docs/plugins.md` walks through it.
//!
//! - Module `notes`: available from Distributor down to End-customer (a Site has none).
//! - `view_notes` (every account type) and `manage_notes` (Operators and above).
//! - `GET|POST /groups/{id}/notes`, `DELETE /groups/{id}/notes/{nid}`.
//! - A group with a pinned note cannot be removed (`before_delete` refuses).
//! - A "Notes" tab on a customer's screen in the console, declared as data (`panels`).
//! - With `NOTES_THEMES` set (in the server's environment), it themes the console too: the
//!   product is called "Noted" and its main colour is that variable's value, for every group.

use tenantry_plugin_api::panel::{
    Column, FieldKind, FormField, Panel, PanelForm, PanelTable, RowAction,
};
use tenantry_plugin_api::{
    ActionSpec, Event, Hook, HookCall, Host, HttpAnswer, HttpRequest, ListRecords, Manifest,
    ModuleSpec, Plugin, PluginError, Record, Route, Theme, ThemeCall, Value, export_plugin, json,
    schema,
};

const NOTES: &str = "notes";
const MAX_TEXT_CHARS: usize = 2000;

#[derive(Debug, Default)]
pub struct Notes;

/// A note as the API shows it.
fn shown(record: &Record) -> Value {
    json!({
        "id": record.id,
        "group_id": record.group_id,
        "text": record.data["text"],
        "pinned": record.data["pinned"].as_bool().unwrap_or(false),
        "created_at": record.created_at,
        "updated_at": record.updated_at,
    })
}

fn note_schema() -> Value {
    schema::record(
        json!({"text": {"type": "string"}, "pinned": {"type": "boolean"}}),
        &["text", "pinned"],
    )
}

impl Plugin for Notes {
    fn manifest(&self) -> Manifest {
        let notes = "/groups/{id}/notes";
        Manifest {
            themes: std::env::var_os("NOTES_THEMES").is_some(),
            // Its tab on a customer's screen: the notes, newest first, and a form to write one.
            panels: vec![
                Panel::new("notes", "Notes", "view_notes")
                    .intro("What the team should know about this customer.")
                    .table(
                        // NOTES_PANEL_LIST points the table elsewhere: a test that a panel
                        // bound to no route of the plugin stops start-up.
                        PanelTable::new(
                            &std::env::var("NOTES_PANEL_LIST").unwrap_or_else(|_| notes.to_owned()),
                            "No notes yet.",
                        )
                        .column(Column::text("text", "Note"))
                        .column(Column::checkbox("pinned", "Pinned"))
                        .column(Column::date_time("created_at", "Written"))
                        .row_action(RowAction::remove(
                            "/groups/{id}/notes/{nid}",
                            "Remove this note?",
                        )),
                    )
                    .form(
                        PanelForm::new("POST", notes, "Add note")
                            .field(FormField::new("text", "Note", FieldKind::LongText).required())
                            .field(FormField::new(
                                "pinned",
                                "Pinned (the customer cannot be removed while it has one)",
                                FieldKind::Checkbox,
                            )),
                    ),
            ],
            name: "notes".to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            hooks: vec![Hook::BeforeDelete],
            module: Some(ModuleSpec {
                name: "notes".to_owned(),
                title: "Notes".to_owned(),
                levels: ["distributor", "sub_distributor", "reseller", "end_customer"]
                    .map(str::to_owned)
                    .to_vec(),
            }),
            actions: vec![
                ActionSpec::new("view_notes", "supporter", "Read a group's notes")
                    .in_module("notes"),
                ActionSpec::new(
                    "manage_notes",
                    "operator",
                    "Write, pin and remove a group's notes",
                )
                .in_module("notes"),
            ],
            routes: vec![
                Route::new(
                    "GET",
                    notes,
                    "view_notes",
                    "The group's notes, newest first",
                )
                .paged(note_schema()),
                Route::new("POST", notes, "manage_notes", "Write a note")
                    .json_body(json!({
                        "type": "object",
                        "additionalProperties": false,
                        "properties": {
                            "text": {"type": "string", "minLength": 1, "maxLength": MAX_TEXT_CHARS},
                            "pinned": {"type": "boolean"},
                        },
                        "required": ["text"],
                    }))
                    .example(json!({"text": "Call back about the renewal", "pinned": false}))
                    .answers(201)
                    .returns(note_schema())
                    .creates("nid"),
                Route::new(
                    "DELETE",
                    "/groups/{id}/notes/{nid}",
                    "manage_notes",
                    "Remove a note",
                )
                .answers(204),
            ],
            ticks: false,
        }
    }

    fn theme(&self, _host: &Host, _call: &ThemeCall) -> Result<Theme, PluginError> {
        Ok(Theme {
            product_name: Some("Noted".to_owned()),
            main_color: std::env::var("NOTES_THEMES").ok(),
            ..Theme::default()
        })
    }

    /// Inside the removal's transaction: a pinned note keeps its group (409 plugin_refused).
    fn hook(&self, host: &Host, call: &HookCall) -> Result<(), PluginError> {
        for event in &call.events {
            let Event::GroupDeleted { group_id, name, .. } = event else {
                continue;
            };
            let mut cursor = None;
            loop {
                let page = host.list_records(list(*group_id, cursor, 500))?;
                if page.items.iter().any(|r| r.data["pinned"] == true) {
                    return Err(PluginError::refused(format!(
                        "{name} has a pinned note: unpin or remove it first"
                    )));
                }
                cursor = page.next;
                if cursor.is_none() {
                    break;
                }
            }
        }
        Ok(())
    }

    /// Reached only by callers who may see the group and hold the route's action there.
    fn http(&self, host: &Host, request: &HttpRequest) -> Result<HttpAnswer, PluginError> {
        let group = request.group.id;
        match (request.method.as_str(), request.route.as_str()) {
            ("GET", _) => {
                let (cursor, limit) = request.paging()?;
                let page = host.list_records(list(group, cursor, limit))?;
                let items = page.items.iter().map(shown).collect();
                Ok(HttpAnswer::page(&page.with_items(items)))
            }
            ("POST", _) => {
                let body = request.body.as_ref();
                let text = body
                    .and_then(|b| b["text"].as_str())
                    .map(str::trim)
                    .filter(|t| !t.is_empty() && t.chars().count() <= MAX_TEXT_CHARS)
                    .ok_or_else(|| {
                        PluginError::invalid("text", format!("1 to {MAX_TEXT_CHARS} characters"))
                    })?;
                let pinned = match body.map(|b| &b["pinned"]) {
                    None | Some(Value::Null) => false,
                    Some(Value::Bool(pinned)) => *pinned,
                    Some(_) => return Err(PluginError::invalid("pinned", "true or false")),
                };
                // No sort key: a listing newest first then runs by record id, which is the
                // order notes were written in.
                let data = json!({"text": text, "pinned": pinned});
                let record = host.put_record(group, NOTES, None, "", data)?;
                log::info!("note {} written on group {group}", record.id);
                Ok(HttpAnswer::json(201, shown(&record)))
            }
            ("DELETE", _) => {
                let id = request
                    .params
                    .get("nid")
                    .and_then(Value::as_str)
                    .and_then(|v| v.parse().ok())
                    .ok_or_else(|| PluginError::not_found("note"))?;
                host.get_record(group, NOTES, id)?
                    .ok_or_else(|| PluginError::not_found("note"))?;
                host.delete_record(group, NOTES, id)?;
                Ok(HttpAnswer::no_content())
            }
            _ => Err(PluginError::not_found("route")),
        }
    }
}

fn list(group: i64, cursor: Option<String>, limit: i64) -> ListRecords {
    ListRecords {
        group_id: group,
        collection: NOTES.to_owned(),
        descending: true,
        from: None,
        to: None,
        cursor,
        limit,
    }
}

export_plugin!(Notes);
