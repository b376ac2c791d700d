//! The plugins' routes in the OpenAPI document, as completely as the host's own: every path
//! parameter with its schema (ids unless the plugin says otherwise), the query parameters, the
//! request body's and the answer's schemas where the plugin declares them, the real success
//! status, and every error the host can answer with (problem details). Written into the rendered
//! document, where a plugin's JSON Schema goes in as it is.

use serde_json::{Map, Value, json};
use tenantry_plugin_host::api::{BodyKind, Route};

use super::Plugins;

/// An error answer, as problem details.
fn problem(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
    })
}

/// Fills in the plugins' operations (added bare by `openapi_paths`).
pub fn plugin_details(doc: &mut Value, plugins: &Plugins) {
    for plugin in &plugins.loaded {
        for route in &plugin.manifest.routes {
            let path = format!("/api/v1{}", route.path);
            let method = route.method.to_ascii_lowercase();
            if let Some(operation) = doc
                .pointer_mut(&format!("/paths/{}/{method}", escape(&path)))
                .and_then(Value::as_object_mut)
            {
                describe(operation, route);
                if let Some(param) = &route.schemas.creates {
                    link(operation, route, param, &plugin.manifest.routes);
                }
            }
        }
    }
}

/// OpenAPI links from a creation's success to the routes its answer's `id` addresses: how a
/// client (or a test suite) finds a value for `param` without knowing the plugin.
fn link(operation: &mut Map<String, Value>, creation: &Route, param: &str, routes: &[Route]) {
    let placeholder = format!("{{{param}}}");
    let links: Map<String, Value> = routes
        .iter()
        .filter(|route| route.path.contains(&placeholder))
        .map(|route| {
            let method = route.method.to_ascii_lowercase();
            let path = format!("/api/v1{}", route.path);
            // Link names are `[A-Za-z0-9._-]+`: the method and the path's words.
            let name = std::iter::once(method.as_str())
                .chain(path.split(|c: char| !c.is_ascii_alphanumeric()))
                .filter(|word| !word.is_empty())
                .collect::<Vec<_>>()
                .join("_");
            let mut parameters = Map::new();
            parameters.insert(param.to_owned(), json!("$response.body#/id"));
            // The group is the creation's own.
            if route.path.contains("{id}") && creation.path.contains("{id}") {
                parameters.insert("id".to_owned(), json!("$request.path.id"));
            }
            let link = json!({
                "operationRef": format!("#/paths/{}/{method}", escape(&path)),
                "parameters": parameters,
            });
            (name, link)
        })
        .collect();
    let success = creation.success.unwrap_or(200).to_string();
    if let Some(answer) = operation
        .get_mut("responses")
        .and_then(|responses| responses.get_mut(&success))
        .and_then(Value::as_object_mut)
        && !links.is_empty()
    {
        answer.insert("links".to_owned(), Value::Object(links));
    }
}

/// A JSON Pointer token for a path (`/` and `~` escaped).
fn escape(path: &str) -> String {
    path.replace('~', "~0").replace('/', "~1")
}

fn describe(operation: &mut Map<String, Value>, route: &Route) {
    let mut parameters: Vec<Value> = route
        .path
        .split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| {
            let schema = route
                .schemas
                .path
                .get(name)
                .cloned()
                .unwrap_or_else(|| json!({"type": "integer", "format": "int64"}));
            json!({"name": name, "in": "path", "required": true, "schema": schema})
        })
        .collect();
    parameters.extend(route.schemas.query.iter().map(
        |(name, schema)| json!({"name": name, "in": "query", "required": false, "schema": schema}),
    ));
    operation.insert("parameters".to_owned(), Value::Array(parameters));
    let mut responses = Map::new();
    let success = route.success.unwrap_or(200);
    let mut content = Map::new();
    if let Some(schema) = &route.schemas.response {
        content.insert("application/json".to_owned(), json!({"schema": schema}));
    }
    for media in &route.schemas.media {
        let schema = if media.starts_with("text/") || media.ends_with("+xml") {
            json!({"type": "string"})
        } else {
            json!({"type": "string", "format": "binary"})
        };
        content.insert(media.clone(), json!({"schema": schema}));
    }
    let answer = match success {
        204 => json!({"description": "Done; no content"}),
        _ if content.is_empty() => json!({"description": "Success"}),
        _ => json!({"description": "Success", "content": content}),
    };
    responses.insert(success.to_string(), answer);
    match route.body {
        Some(BodyKind::Json) => {
            let schema = route
                .schemas
                .request
                .clone()
                .unwrap_or_else(|| json!({"type": "object"}));
            let mut json_body = json!({"schema": schema});
            if let Some(example) = &route.schemas.example {
                json_body["example"] = example.clone();
            }
            operation.insert(
                "requestBody".to_owned(),
                json!({"required": true, "content": {"application/json": json_body}}),
            );
            responses.insert(
                "400".to_owned(),
                problem("`malformed_request`: the body is not JSON"),
            );
            responses.insert("413".to_owned(), problem("`payload_too_large`"));
            responses.insert(
                "415".to_owned(),
                problem("`unsupported_media_type`: not application/json"),
            );
        }
        Some(BodyKind::Image) => {
            let binary = json!({"schema": {"type": "string", "format": "binary"}});
            operation.insert(
                "requestBody".to_owned(),
                json!({"required": true, "content": {"image/png": binary, "image/svg+xml": binary}}),
            );
            responses.insert("413".to_owned(), problem("`payload_too_large`: over 1 MiB"));
            responses.insert(
                "415".to_owned(),
                problem("`unsupported_media_type`: not PNG or SVG"),
            );
        }
        None => {}
    }
    responses.insert("401".to_owned(), problem("`unauthenticated`"));
    responses.insert(
        "403".to_owned(),
        problem("`forbidden`, or `module_unavailable` at the group's level"),
    );
    responses.insert(
        "404".to_owned(),
        problem("`not_found`: no such group in the caller's subtree, or no such record"),
    );
    if route.method != "GET" {
        responses.insert(
            "409".to_owned(),
            problem("`conflict` or `plugin_refused`: nothing was written"),
        );
    }
    responses.insert(
        "422".to_owned(),
        problem("`validation_failed`: the fields at fault"),
    );
    responses.insert(
        "500".to_owned(),
        problem("`plugin_failed`: nothing was written"),
    );
    responses.insert("503".to_owned(), problem("`unavailable`: try again"));
    operation.insert("responses".to_owned(), Value::Object(responses));
}
