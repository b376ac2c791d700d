//! The JSON Schemas the OpenAPI document shows for the branding routes: the values a body
//! takes (with the checks `values.rs` makes), the group's own view and the effective one.

use tenantry_plugin_api::schema::nullable;
use tenantry_plugin_api::{Value, json};

use crate::IMAGES;
use crate::values::FIELDS;

fn colour() -> Value {
    json!({"type": "string", "pattern": "^#[0-9A-Fa-f]{6}$"})
}

fn field(name: &str) -> Value {
    if name.ends_with("_color") {
        colour()
    } else {
        json!({"type": "string"})
    }
}

/// The values as a body: each field optional, null or absent meaning "inherit".
pub fn values() -> Value {
    let mut properties: serde_json::Map<String, Value> = FIELDS
        .iter()
        .map(|name| ((*name).to_owned(), nullable(field(name))))
        .collect();
    properties.insert(
        "login_address".to_owned(),
        nullable(json!({
            "type": "string",
            "pattern": "^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$",
            "description": "The group's own white-label login address: /login/{login_address}",
        })),
    );
    json!({"type": "object", "additionalProperties": false, "properties": properties})
}

/// An image's metadata: what `PUT …/logo` answers, and what the views show of it.
pub fn image() -> Value {
    json!({
        "type": "object",
        "properties": {
            "content_type": {"type": "string", "enum": ["image/png", "image/svg+xml"]},
            "width": {"type": "number"},
            "height": {"type": "number"},
            "bytes": {"type": "integer"},
            "updated_at": {"type": "string", "format": "date-time"},
        },
        "required": ["content_type", "width", "height", "bytes", "updated_at"],
    })
}

/// What `GET /groups/{id}/branding` shows: the group's own values and images.
pub fn own_view() -> Value {
    let mut schema = json!({
        "type": "object",
        "properties": {
            "group_id": {"type": "integer", "format": "int64"},
            "values": values(),
        },
        "required": ["group_id", "values"],
    });
    for name in IMAGES {
        schema["properties"][name] = nullable(image());
        if let Some(required) = schema["required"].as_array_mut() {
            required.push(json!(name));
        }
    }
    schema
}

/// Where an effective value comes from: inherited or not, and the group that sets it when the
/// caller may see that group (null when it lies above the caller, or nothing sets it).
fn sourced(mut schema: Value) -> Value {
    if let Some(properties) = schema["properties"].as_object_mut() {
        properties.insert("inherited".to_owned(), json!({"type": "boolean"}));
        properties.insert(
            "source_group_id".to_owned(),
            nullable(json!({"type": "integer", "format": "int64"})),
        );
    }
    if let Some(required) = schema["required"].as_array_mut() {
        required.extend([json!("inherited"), json!("source_group_id")]);
    }
    schema
}

/// What `GET /groups/{id}/branding/effective` shows: every field resolved up the tree.
pub fn effective() -> Value {
    let fields: serde_json::Map<String, Value> = FIELDS
        .iter()
        .map(|name| {
            let value = json!({
                "type": "object",
                "properties": {"value": nullable(field(name))},
                "required": ["value"],
            });
            ((*name).to_owned(), sourced(value))
        })
        .collect();
    let mut image = image();
    image["properties"]["url"] = json!({"type": "string"});
    if let Some(required) = image["required"].as_array_mut() {
        required.push(json!("url"));
    }
    let image = nullable(sourced(image));
    let mut schema = json!({
        "type": "object",
        "properties": {
            "group_id": {"type": "integer", "format": "int64"},
            "fields": {
                "type": "object",
                "properties": fields,
                "required": FIELDS,
            },
        },
        "required": ["group_id", "fields"],
    });
    for name in IMAGES {
        schema["properties"][name] = image.clone();
        if let Some(required) = schema["required"].as_array_mut() {
            required.push(json!(name));
        }
    }
    schema
}

/// A row of the branding tab: a field or image, what the group shows and where it comes from;
/// `reset` names it when the group sets it itself.
pub fn field_row() -> Value {
    json!({
        "type": "object",
        "properties": {
            "field": {"type": "string"},
            "label": {"type": "string"},
            "value": nullable(json!({"type": "string"})),
            "source": {"type": "string"},
            "reset": nullable(json!({"type": "string"})),
        },
        "required": ["field", "label", "value", "source", "reset"],
    })
}
