//! The branding tab of the console: every field as the group shows it, with where it comes
//! from (a table the console draws from `GET …/branding/fields`), and a reset per field that
//! makes it inherit again (`DELETE …/branding/values/{field}`).

use tenantry_plugin_api::{Host, HttpAnswer, HttpRequest, Page, PluginError, Value, json};

use crate::values::{FIELDS, Values};
use crate::{IMAGES, VALUES, data_collection, effective, own, store_values, stored_values};

/// What a person reads for a field.
fn label(field: &str) -> &'static str {
    match field {
        "company_name" => "Company name",
        "product_name" => "Product name",
        "main_color" => "Main colour",
        "accent_color" => "Accent colour",
        "navigation_text_color" => "Text on the main colour",
        "support_email" => "Support email",
        "support_phone" => "Support phone",
        "support_url" => "Support web page",
        "login_address" => "Login address",
        "logo" => "Logo",
        "favicon" => "Favicon",
        _ => "",
    }
}

/// Every field and image that may be reset, for the route's path parameter.
pub fn names() -> Vec<&'static str> {
    FIELDS
        .iter()
        .chain(["login_address"].iter())
        .chain(IMAGES.iter())
        .copied()
        .collect()
}

/// Where a value comes from, as the caller may be told.
fn source(host: &Host, group: i64, view: &Value) -> Result<String, PluginError> {
    if view.is_null() || view.get("value").is_some_and(Value::is_null) {
        return Ok("Not set: the installation's".to_owned());
    }
    Ok(match view["source_group_id"].as_i64() {
        Some(id) if id == group => "This customer".to_owned(),
        Some(id) => format!("Inherited from {}", host.group(id)?.name),
        None => "Inherited from above".to_owned(),
    })
}

/// `GET /groups/{id}/branding/fields`: one row a field, then the images.
pub fn list(host: &Host, request: &HttpRequest) -> Result<HttpAnswer, PluginError> {
    let group = request.group.id;
    let view = effective(host, request)?;
    let mut rows = Vec::new();
    for field in FIELDS {
        let shown = &view["fields"][field];
        let own = shown["inherited"] == false && !shown["value"].is_null();
        rows.push(json!({
            "field": field,
            "label": label(field),
            "value": shown["value"],
            "source": source(host, group, shown)?,
            "reset": own.then_some(field),
        }));
    }
    // The login address is the group's own, never inherited.
    let address = own(host, group, VALUES)?
        .map(|record| stored_values(&record))
        .transpose()?
        .and_then(|values| values.login_address);
    rows.push(json!({
        "field": "login_address",
        "label": label("login_address"),
        "value": address.as_ref().map(|a| format!("/login/{a}")),
        "source": if address.is_some() { "This customer" } else { "Not set" },
        "reset": address.is_some().then_some("login_address"),
    }));
    for image in IMAGES {
        let shown = &view[image];
        let value = shown["content_type"].as_str().map(|kind| {
            let kind = if kind == "image/png" { "PNG" } else { "SVG" };
            let number = |name: &str| shown[name].as_f64().unwrap_or_default();
            format!(
                "{kind}, {} × {}, {} bytes",
                number("width"),
                number("height"),
                number("bytes")
            )
        });
        let own = !shown.is_null() && shown["inherited"] == false;
        rows.push(json!({
            "field": image,
            "label": label(image),
            "value": value,
            "source": source(host, group, shown)?,
            "reset": own.then_some(image),
        }));
    }
    Ok(HttpAnswer::page(&Page {
        items: rows,
        next: None,
    }))
}

/// `DELETE /groups/{id}/branding/values/{field}`: the group's own value (or image) goes, and the
/// field inherits again.
pub fn reset(host: &Host, request: &HttpRequest) -> Result<HttpAnswer, PluginError> {
    let group = request.group.id;
    let field = request
        .params
        .get("field")
        .and_then(Value::as_str)
        .filter(|name| names().contains(name))
        .ok_or_else(|| PluginError::not_found("field"))?;
    if IMAGES.contains(&field) {
        host.delete_collection(group, field)?;
        host.delete_collection(group, &data_collection(field))?;
        return Ok(HttpAnswer::no_content());
    }
    if let Some(record) = own(host, group, VALUES)? {
        let mut values = serde_json::to_value(stored_values(&record)?)
            .map_err(|e| PluginError::internal(e.to_string()))?;
        values[field] = Value::Null;
        let values: Values =
            serde_json::from_value(values).map_err(|e| PluginError::internal(e.to_string()))?;
        store_values(host, group, Some(record.id), &values)?;
    }
    Ok(HttpAnswer::no_content())
}
