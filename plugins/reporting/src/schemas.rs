//! The JSON Schemas the OpenAPI document shows for the reporting routes: a chart's series, a
//! scheduled report as a body and as shown, and its messages (with the limits `definition.rs`
//! checks).

use tenantry_plugin_api::schema::{nullable, record};
use tenantry_plugin_api::{Value, json};

use crate::definition::CONTACT_TYPES;
use crate::definition::{MAX_EMAILS, MAX_TITLE_CHARS};

/// `GET /groups/{id}/charts/{metric}` as JSON: one point per day, null for a day not rolled up.
pub fn series() -> Value {
    json!({
        "type": "object",
        "properties": {
            "group_id": {"type": "integer", "format": "int64"},
            "metric": {"type": "string"},
            "title": {"type": "string"},
            "unit": {"type": "string", "enum": ["bytes", "count"]},
            "from": {"type": "string", "format": "date"},
            "to": {"type": "string", "format": "date"},
            "points": {"type": "array", "items": {
                "type": "object",
                "properties": {
                    "day": {"type": "string", "format": "date"},
                    "value": nullable(json!({"type": "integer"})),
                },
                "required": ["day", "value"],
            }},
        },
        "required": ["group_id", "metric", "title", "unit", "from", "to", "points"],
    })
}

fn kind() -> Value {
    json!({"type": "string", "enum": ["device_summary", "usage", "errors"]})
}

fn format() -> Value {
    json!({"type": "string", "enum": ["csv", "html"]})
}

fn weekday() -> Value {
    json!({"type": "string", "enum": [
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"
    ]})
}

fn schedule() -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "frequency": {"type": "string", "enum": ["daily", "weekly", "monthly"]},
            "weekday": nullable(weekday()),
            "day": nullable(json!({"type": "integer", "minimum": 1, "maximum": 31})),
            "at": {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$"},
            "time_zone": {"type": "string", "description": "An IANA name: Europe/Berlin"},
        },
        "required": ["frequency", "at", "time_zone"],
    })
}

fn recipients() -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "description": "At least one address or a contact type",
        "properties": {
            "emails": {
                "type": "array",
                "maxItems": MAX_EMAILS,
                "items": {"type": "string", "format": "email", "maxLength": 254},
            },
            "contact_type": nullable(json!({"type": "string", "enum": CONTACT_TYPES})),
        },
    })
}

/// The body of `POST` and `PUT` (which replaces the definition whole).
pub fn definition_input() -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "title": {"type": "string", "minLength": 1, "maxLength": MAX_TITLE_CHARS},
            "kind": kind(),
            "schedule": schedule(),
            "recipients": recipients(),
            "format": format(),
            "enabled": {"type": "boolean"},
        },
        "required": ["title", "kind", "schedule", "recipients"],
    })
}

/// A scheduled report as shown: its definition, when it runs next (null while disabled) and
/// why the last scheduled run sent nothing, if it did not.
pub fn definition() -> Value {
    record(
        json!({
            "title": {"type": "string"},
            "kind": kind(),
            "schedule": schedule(),
            "recipients": recipients(),
            "format": format(),
            "enabled": {"type": "boolean"},
            "next_run_at": nullable(json!({"type": "string", "format": "date-time"})),
            "schedule_text": {"type": "string", "description": "The schedule in words"},
            "last_problem": nullable(json!({"type": "string"})),
            "last_outcome": nullable(json!({
                "type": "string",
                "description": "What came of the last run's message: sent, pending or failed",
            })),
            "enable_id": nullable(json!({"type": "integer", "format": "int64"})),
            "disable_id": nullable(json!({"type": "integer", "format": "int64"})),
            "last_failure": {
                "type": "object",
                "properties": {
                    "at": {"type": "string", "format": "date-time"},
                    "message": {"type": "string"},
                },
                "required": ["at", "message"],
            },
        }),
        &[
            "title",
            "kind",
            "schedule",
            "recipients",
            "format",
            "enabled",
            "next_run_at",
        ],
    )
}

/// One message of a report: queued by a run, then sent or given up on.
pub fn message() -> Value {
    let time = || nullable(json!({"type": "string", "format": "date-time"}));
    json!({
        "type": "object",
        "properties": {
            "id": {"type": "integer", "format": "int64"},
            "to": {"type": "array", "items": {"type": "string"}},
            "subject": {"type": "string"},
            "status": {"type": "string", "enum": ["pending", "sent", "failed"]},
            "attempts": {"type": "integer"},
            "created_at": {"type": "string", "format": "date-time"},
            "sent_at": time(),
            "next_attempt_at": time(),
            "last_error": nullable(json!({"type": "string"})),
        },
        "required": ["id", "to", "subject", "status", "attempts", "created_at"],
    })
}
