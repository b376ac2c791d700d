//! The branding plugin: a group's own branding values (names, colours, support contact, logo and
//! favicon), and the effective branding that resolves every field from the nearest group up the
//! tree that sets it. A moved group's effective branding follows its new ancestors by itself:
//! nothing is copied, everything is resolved when asked.

mod fields;
mod images;
mod schemas;
mod theme;
mod values;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use tenantry_plugin_api::panel::{
    Column, FieldKind, FormField, Panel, PanelForm, PanelTable, RowAction,
};
use tenantry_plugin_api::{
    ActionSpec, BodyKind, GroupInfo, Host, HttpAnswer, HttpRequest, ListRecords, Manifest, Plugin,
    PluginError, PluginErrorCode, Record, Route, Theme, ThemeCall, Value, export_plugin, json,
};

use images::Image;
use values::{FIELDS, Values};

pub(crate) const VALUES: &str = "values";
/// The images a group can set, each kept as metadata (small, read when resolving) and data.
pub(crate) const IMAGES: [&str; 2] = ["logo", "favicon"];

#[derive(Debug, Default)]
pub struct Branding;

fn route(method: &str, path: &str, action: &str, summary: &str, body: Option<BodyKind>) -> Route {
    Route {
        body,
        // A reset answers 204 No Content; everything else 200.
        success: Some(if method == "DELETE" { 204 } else { 200 }),
        ..Route::new(method, path, action, summary)
    }
}

impl Plugin for Branding {
    fn manifest(&self) -> Manifest {
        let base = "/groups/{id}/branding";
        let mut routes = vec![
            route(
                "GET",
                base,
                "view_branding",
                "The group's own branding values",
                None,
            )
            .returns(schemas::own_view()),
            route(
                "PUT",
                base,
                "manage_branding",
                "Replace the group's own branding values",
                None,
            )
            .json_body(schemas::values())
            .example(json!({"company_name": "Acme Backup", "main_color": "#0b5cab"}))
            .returns(schemas::own_view()),
            route(
                "PATCH",
                base,
                "manage_branding",
                "Change some of the group's own branding values (a field set to null inherits again); the others stay",
                None,
            )
            .json_body(schemas::values())
            .example(json!({"company_name": "Acme Backup", "main_color": "#0b5cab"}))
            .returns(schemas::own_view()),
            route(
                "DELETE",
                base,
                "manage_branding",
                "Reset: remove the group's own branding, images included",
                None,
            ),
            route(
                "GET",
                &format!("{base}/effective"),
                "view_branding",
                "Every branding field as the group shows it, with the group it comes from",
                None,
            )
            .returns(schemas::effective()),
            route(
                "GET",
                &format!("{base}/fields"),
                "view_branding",
                "Every field and image as the group shows it, with where it comes from: the rows \
                 of the console's branding tab",
                None,
            )
            .paged(schemas::field_row()),
            route(
                "DELETE",
                &format!("{base}/values/{{field}}"),
                "manage_branding",
                "Reset one of the group's own values or images: it inherits again",
                None,
            )
            .path_param("field", json!({"type": "string", "enum": fields::names()})),
        ];
        for image in IMAGES {
            routes.push(
                route(
                    "PUT",
                    &format!("{base}/{image}"),
                    "manage_branding",
                    &format!("Set the group's {image} (PNG or SVG, at most 512 kB)"),
                    Some(BodyKind::Image),
                )
                .returns(schemas::image()),
            );
            routes.push(
                route(
                    "GET",
                    &format!("{base}/{image}"),
                    "view_branding",
                    &format!("The {image} the group shows (its own or inherited)"),
                    None,
                )
                .answers_as("image/png")
                .answers_as("image/svg+xml"),
            );
        }
        Manifest {
            name: "branding".to_owned(),
            ticks: false,
            actions: vec![
                ActionSpec::new(
                    "view_branding",
                    "supporter",
                    "See a group's own and effective branding (everyone sees the console's)",
                ),
                ActionSpec::new(
                    "manage_branding",
                    "administrator",
                    "Set and reset a group's branding values and images (as the company profile)",
                ),
            ],
            module: None,
            version: env!("CARGO_PKG_VERSION").to_owned(),
            hooks: Vec::new(),
            routes,
            // The console is drawn with the effective branding of the group whose console it is.
            themes: true,
            panels: vec![panel()],
        }
    }

    fn theme(&self, host: &Host, call: &ThemeCall) -> Result<Theme, PluginError> {
        theme::of(host, call)
    }

    fn http(&self, host: &Host, request: &HttpRequest) -> Result<HttpAnswer, PluginError> {
        let group = request.group.id;
        if request.route.ends_with("/branding/fields") {
            return fields::list(host, request);
        }
        if request.route.ends_with("/values/{field}") {
            return fields::reset(host, request);
        }
        let image = IMAGES
            .iter()
            .find(|image| request.route.ends_with(&format!("/{image}")))
            .copied();
        match (
            request.method.as_str(),
            image,
            request.route.ends_with("/effective"),
        ) {
            ("GET", None, false) => Ok(HttpAnswer::json(200, own_view(host, group)?)),
            ("PUT", None, false) => {
                let body = request.body.clone().unwrap_or(Value::Null);
                let values: Values = serde_json::from_value(body)
                    .map_err(|e| PluginError::invalid("body", e.to_string()))?;
                let existing = own(host, group, VALUES)?.map(|r| r.id);
                store_values(host, group, existing, &values.validated()?)?;
                Ok(HttpAnswer::json(200, own_view(host, group)?))
            }
            ("PATCH", None, false) => {
                // The fields given, over the values as they are, in this one transaction: no
                // change made in between is lost, as it would be by reading and then replacing.
                let Some(Value::Object(changes)) = request.body.clone() else {
                    return Err(PluginError::invalid("body", "must be an object of fields"));
                };
                let existing = own(host, group, VALUES)?;
                // What is stored must read back whole: one that does not is an error, never
                // overwritten with defaults and the request's fields.
                let mut values = match &existing {
                    Some(record) => serde_json::to_value(stored_values(record)?)
                        .map_err(|e| PluginError::internal(e.to_string()))?,
                    None => json!({}),
                };
                if let Value::Object(fields) = &mut values {
                    fields.extend(changes);
                }
                let values: Values = serde_json::from_value(values)
                    .map_err(|e| PluginError::invalid("body", e.to_string()))?;
                store_values(host, group, existing.map(|r| r.id), &values.validated()?)?;
                Ok(HttpAnswer::json(200, own_view(host, group)?))
            }
            ("DELETE", None, false) => {
                host.delete_collection(group, VALUES)?;
                for image in IMAGES {
                    host.delete_collection(group, image)?;
                    host.delete_collection(group, &data_collection(image))?;
                }
                Ok(HttpAnswer::no_content())
            }
            ("GET", None, true) => Ok(HttpAnswer::json(200, effective(host, request)?)),
            ("PUT", Some(image), _) => put_image(host, request, image),
            ("GET", Some(image), _) => get_image(host, request, image),
            _ => Err(PluginError::not_found("route")),
        }
    }
}

/// The branding tab of a customer's screen in the console: each field as it shows, where it
/// comes from and a reset, then a form of the group's own values.
fn panel() -> Panel {
    let colour = |name: &str, label: &str| {
        FormField::new(name, label, FieldKind::Colour).hint("#rrggbb, e.g. #0b5cab")
    };
    let image_hint = "PNG or SVG, at most 512 kB.";
    Panel::new("branding", "Branding", "view_branding")
        .upload("PUT", "/groups/{id}/branding/logo", "Logo", image_hint)
        .upload(
            "PUT",
            "/groups/{id}/branding/favicon",
            "Favicon",
            image_hint,
        )
        .intro(
            "How the console looks for this customer and everyone below it: each value its own, \
             or the nearest customer's above that sets one. Reset a value to inherit it again.",
        )
        .table(
            PanelTable::new("/groups/{id}/branding/fields", "")
                .column(Column::text("label", "Field"))
                .column(Column::new("value", "Shown", FieldKind::Colour))
                .column(Column::text("source", "From"))
                .row_action(
                    RowAction::remove(
                        "/groups/{id}/branding/values/{field}",
                        "Reset this value? It is inherited again.",
                    )
                    .labelled("Reset")
                    .keyed_by("reset"),
                ),
        )
        .form(
            PanelForm::new("PATCH", "/groups/{id}/branding", "Save branding")
                .filled_from("/groups/{id}/branding", "/values")
                .field(FormField::new(
                    "product_name",
                    "Product name",
                    FieldKind::Text,
                ))
                .field(
                    FormField::new("login_address", "Login address", FieldKind::Text).hint(
                        "This customer's own login page, in its look: /login/<address>. Letters, \
                         digits and hyphens, as in acme-backup.",
                    ),
                )
                .field(FormField::new(
                    "company_name",
                    "Company name",
                    FieldKind::Text,
                ))
                .field(colour("main_color", "Main colour"))
                .field(colour("accent_color", "Accent colour"))
                .field(colour("navigation_text_color", "Text on the main colour"))
                .field(FormField::new(
                    "support_email",
                    "Support email",
                    FieldKind::Email,
                ))
                .field(FormField::new(
                    "support_phone",
                    "Support phone",
                    FieldKind::Text,
                ))
                .field(FormField::new(
                    "support_url",
                    "Support web page",
                    FieldKind::Text,
                )),
        )
}

/// Writes a group's own values, and gives the record the group's login address as its key
/// (unique in the installation: the host's index keeps two groups from taking one at once).
pub(crate) fn store_values(
    host: &Host,
    group: i64,
    existing: Option<i64>,
    values: &Values,
) -> Result<(), PluginError> {
    let data = serde_json::to_value(values).map_err(|e| PluginError::internal(e.to_string()))?;
    let record = host.put_record(group, VALUES, existing, "", data)?;
    host.set_record_key(group, VALUES, record.id, values.login_address.as_deref())
        .map_err(|error| {
            if error.code == PluginErrorCode::Conflict {
                PluginError::invalid("login_address", "is another customer's already")
            } else {
                error
            }
        })
}

/// A group's stored values; one that does not read is the plugin's fault (500), never taken
/// for "nothing set".
pub(crate) fn stored_values(record: &Record) -> Result<Values, PluginError> {
    serde_json::from_value(record.data.clone()).map_err(|e| {
        PluginError::internal(format!(
            "the stored branding of group {} is unreadable: {e}",
            record.group_id
        ))
    })
}

pub(crate) fn data_collection(image: &str) -> String {
    format!("{image}-data")
}

/// The group's one record of a collection, if it has one.
pub(crate) fn own(
    host: &Host,
    group: i64,
    collection: &str,
) -> Result<Option<Record>, PluginError> {
    let page = host.list_records(ListRecords::first_of(group, collection))?;
    Ok(page.items.into_iter().next())
}

fn image_meta(record: &Record) -> Value {
    json!({
        "content_type": record.data["content_type"],
        "width": record.data["width"],
        "height": record.data["height"],
        "bytes": record.data["bytes"],
        "updated_at": record.updated_at,
    })
}

fn own_view(host: &Host, group: i64) -> Result<Value, PluginError> {
    let values = own(host, group, VALUES)?
        .map(|r| r.data)
        .unwrap_or_else(|| json!(Values::default()));
    let mut view = json!({"group_id": group, "values": values});
    for image in IMAGES {
        view[image] = own(host, group, image)?.map_or(Value::Null, |r| image_meta(&r));
    }
    Ok(view)
}

/// The group and its ancestors, nearest first.
pub(crate) fn chain(host: &Host, group: &GroupInfo) -> Result<Vec<GroupInfo>, PluginError> {
    let mut chain = host.ancestors(group.id)?;
    chain.push(group.clone());
    chain.reverse();
    Ok(chain)
}

/// Which source a caller may be told about: its own group and what lies below it. A value that
/// comes from above the caller's group shows as inherited, without naming the group.
fn visible_source(chain: &[GroupInfo], caller_group: i64, source: i64) -> Option<i64> {
    let caller_at = chain.iter().position(|g| g.id == caller_group)?;
    let source_at = chain.iter().position(|g| g.id == source)?;
    (source_at <= caller_at).then_some(source)
}

pub(crate) fn effective(host: &Host, request: &HttpRequest) -> Result<Value, PluginError> {
    let group = &request.group;
    let chain = chain(host, group)?;
    let mut sets: Vec<(i64, Values)> = Vec::new();
    for member in &chain {
        if let Some(record) = own(host, member.id, VALUES)? {
            sets.push((member.id, stored_values(&record)?));
        }
    }
    let mut fields = serde_json::Map::new();
    for field in FIELDS {
        let found = sets
            .iter()
            .find_map(|(id, values)| values.get(field).map(|v| (*id, v.clone())));
        fields.insert(
            field.to_owned(),
            match found {
                Some((source, value)) => json!({
                    "value": value,
                    "inherited": source != group.id,
                    "source_group_id": visible_source(&chain, request.actor.group_id, source),
                }),
                None => json!({"value": null, "inherited": false, "source_group_id": null}),
            },
        );
    }
    let mut view = json!({"group_id": group.id, "fields": fields});
    for image in IMAGES {
        view[image] = match nearest_image(host, &chain, image)? {
            Some((source, record)) => {
                let mut meta = image_meta(&record);
                meta["inherited"] = json!(source != group.id);
                meta["source_group_id"] =
                    json!(visible_source(&chain, request.actor.group_id, source));
                meta["url"] = json!(format!("/api/v1/groups/{}/branding/{image}", group.id));
                meta
            }
            None => Value::Null,
        };
    }
    Ok(view)
}

pub(crate) fn nearest_image(
    host: &Host,
    chain: &[GroupInfo],
    image: &str,
) -> Result<Option<(i64, Record)>, PluginError> {
    for member in chain {
        if let Some(record) = own(host, member.id, image)? {
            return Ok(Some((member.id, record)));
        }
    }
    Ok(None)
}

fn put_image(host: &Host, request: &HttpRequest, image: &str) -> Result<HttpAnswer, PluginError> {
    let group = request.group.id;
    let encoded = request.body_base64.clone().unwrap_or_default();
    let bytes = BASE64
        .decode(&encoded)
        .map_err(|_| PluginError::invalid("image", "could not be read"))?;
    let content_type = request.content_type.as_deref();
    let (width, height) = images::check(content_type, &bytes)?;
    let stored = Image {
        content_type: content_type.unwrap_or_default().to_owned(),
        width,
        height,
        bytes: bytes.len(),
        base64: encoded,
    };
    let meta = json!({
        "content_type": stored.content_type, "width": width, "height": height, "bytes": stored.bytes,
    });
    let existing = own(host, group, image)?.map(|r| r.id);
    let record = host.put_record(group, image, existing, "", meta)?;
    let data = data_collection(image);
    let existing = own(host, group, &data)?.map(|r| r.id);
    let blob = serde_json::to_value(&stored).map_err(|e| PluginError::internal(e.to_string()))?;
    host.put_record(group, &data, existing, "", blob)?;
    Ok(HttpAnswer::json(200, image_meta(&record)))
}

fn get_image(host: &Host, request: &HttpRequest, image: &str) -> Result<HttpAnswer, PluginError> {
    let chain = chain(host, &request.group)?;
    let Some((source, _)) = nearest_image(host, &chain, image)? else {
        return Err(PluginError::not_found(image));
    };
    let record =
        own(host, source, &data_collection(image))?.ok_or_else(|| PluginError::not_found(image))?;
    let stored: Image =
        serde_json::from_value(record.data).map_err(|e| PluginError::internal(e.to_string()))?;
    Ok(HttpAnswer {
        status: 200,
        body: Value::Null,
        body_base64: Some(stored.base64),
        content_type: Some(stored.content_type),
    })
}

export_plugin!(Branding);

#[cfg(test)]
mod tests {
    use super::*;

    fn group(id: i64) -> GroupInfo {
        GroupInfo {
            id,
            parent_id: None,
            name: format!("g{id}"),
            level: "reseller".into(),
        }
    }

    #[test]
    fn sources_above_the_caller_are_not_named() {
        // Nearest first: the target 9, its parent 5 (the caller's group), the root 1.
        let chain = [group(9), group(5), group(1)];
        assert_eq!(visible_source(&chain, 5, 9), Some(9));
        assert_eq!(visible_source(&chain, 5, 5), Some(5));
        assert_eq!(visible_source(&chain, 5, 1), None);
        assert_eq!(visible_source(&chain, 1, 1), Some(1));
    }
}
