//! JSON Schema pieces a plugin's routes share with the host's own API, so that every listing,
//! record and page parameter reads the same in the OpenAPI document whoever serves it.

use serde_json::{Value, json};

/// A page's size when the caller names none.
pub const DEFAULT_PAGE: i64 = 50;
/// The largest page any listing answers: the host's and every plugin's.
pub const MAX_PAGE: i64 = 500;

/// `schema`, or `null`.
pub fn nullable(schema: Value) -> Value {
    json!({"anyOf": [schema, {"type": "null"}]})
}

/// A page of `item`s, as every listing answers: `has_more`, `next_cursor`, `items`.
pub fn page(item: Value) -> Value {
    json!({
        "type": "object",
        "properties": {
            "has_more": {"type": "boolean"},
            "next_cursor": nullable(json!({"type": "string"})),
            "items": {"type": "array", "items": item},
        },
        "required": ["has_more", "next_cursor", "items"],
    })
}

/// A host record as a plugin shows it: its own `fields` (of which `required` always appear)
/// beside the record's id, group and times.
pub fn record(fields: Value, required: &[&str]) -> Value {
    let mut properties = json!({
        "id": {"type": "integer", "format": "int64"},
        "group_id": {"type": "integer", "format": "int64"},
        "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
    });
    if let (Some(all), Value::Object(own)) = (properties.as_object_mut(), fields) {
        all.extend(own);
    }
    let mut all_required = vec!["id", "group_id", "created_at", "updated_at"];
    all_required.extend_from_slice(required);
    json!({"type": "object", "properties": properties, "required": all_required})
}

/// The `limit` query parameter of a listing.
pub fn page_limit() -> Value {
    json!({"type": "integer", "minimum": 1, "maximum": MAX_PAGE})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_keeps_its_own_fields_beside_the_hosts() {
        let schema = record(json!({"name": {"type": "string"}}), &["name"]);
        assert_eq!(schema["properties"]["name"]["type"], "string");
        assert_eq!(schema["properties"]["id"]["format"], "int64");
        assert_eq!(
            schema["required"],
            json!(["id", "group_id", "created_at", "updated_at", "name"])
        );
    }
}
