//! The JSON Schemas the OpenAPI document shows for the CRM routes: what each takes and answers,
//! with the limits `model.rs` checks.

use tenantry_plugin_api::schema::{nullable, record};
use tenantry_plugin_api::{Value, json};

fn contact_type() -> Value {
    json!({"type": "string", "enum": ["billing", "technical", "sales", "other"]})
}

pub fn contact() -> Value {
    record(
        json!({
            "name": {"type": "string"},
            "type": contact_type(),
            "email": nullable(json!({"type": "string"})),
            "phone": nullable(json!({"type": "string"})),
            "mailing_opt_in": {"type": "boolean"},
            "user_id": nullable(json!({"type": "integer", "format": "int64"})),
        }),
        &[
            "name",
            "type",
            "email",
            "phone",
            "mailing_opt_in",
            "user_id",
        ],
    )
}

/// A contact's fields as a body: `name` required to add one, every field optional to change one.
pub fn contact_input(adding: bool) -> Value {
    let mut schema = json!({
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 100},
            "type": contact_type(),
            "email": nullable(json!({"type": "string", "maxLength": 254})),
            "phone": nullable(json!({"type": "string", "maxLength": 50})),
            "mailing_opt_in": {"type": "boolean"},
            "user_id": nullable(json!({"type": "integer", "format": "int64", "minimum": 1})),
        },
    });
    if adding {
        schema["required"] = json!(["name"]);
    }
    schema
}

fn activity_kind() -> Value {
    json!({"type": "string", "enum": ["call", "email", "meeting", "note"]})
}

pub fn activity() -> Value {
    record(
        json!({
            "kind": activity_kind(),
            "subject": {"type": "string"},
            "notes": nullable(json!({"type": "string"})),
            "when": {"type": "string", "format": "date-time"},
            "contact_id": nullable(json!({"type": "integer", "format": "int64"})),
            "done": {"type": "boolean"},
            "author": {
                "type": "object",
                "properties": {
                    "user_id": nullable(json!({"type": "integer", "format": "int64"})),
                    "system": {"type": "boolean"},
                },
                "required": ["user_id", "system"],
            },
        }),
        &[
            "kind",
            "subject",
            "notes",
            "when",
            "contact_id",
            "done",
            "author",
        ],
    )
}

/// An activity's fields as a body: kind, subject and when required to record one.
pub fn activity_input(adding: bool) -> Value {
    let mut schema = json!({
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "kind": activity_kind(),
            "subject": {"type": "string", "minLength": 1, "maxLength": 200},
            "notes": nullable(json!({"type": "string", "maxLength": 10000})),
            "when": {"type": "string", "format": "date-time"},
            "contact_id": nullable(json!({"type": "integer", "format": "int64"})),
            "done": {"type": "boolean"},
        },
    });
    if adding {
        schema["required"] = json!(["kind", "subject", "when"]);
    }
    schema
}

pub fn summary() -> Value {
    json!({
        "type": "object",
        "properties": {
            "group_id": {"type": "integer", "format": "int64"},
            "last_activity": nullable(activity()),
            "next_activity": nullable(activity()),
        },
        "required": ["group_id", "last_activity", "next_activity"],
    })
}
