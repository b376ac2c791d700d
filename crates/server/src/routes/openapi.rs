//! The OpenAPI document's frame; its paths and schemas come from the route table.

use serde_json::{Value, json};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Tenantry",
        description = "Multi-tenant backup management console: groups (customers), their modules, users and devices.",
        license(name = "Apache-2.0")
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Login, logout, and who is asking"),
        (name = "devices", description = "The protected machines of each group"),
        (name = "downloads", description = "The installers this installation offers, with install command lines for Quick Installation"),
        (name = "groups", description = "The customer tree"),
        (name = "users", description = "Users of a group, and API users' tokens"),
        (name = "health", description = "Liveness and readiness"),
        (name = "profiles", description = "Backup profiles and retention policies: owned by a group, used by it and its descendants"),
        (name = "plugins", description = "What this installation loaded; each plugin's routes carry its name as tag"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        // A device's own credential (`tdv_…`), sent as a bearer token by the device itself.
        components.add_security_scheme(
            "device",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Every error answer is served as `application/problem+json`: said so in the document for the
/// host's routes too (they are declared with the error body's schema under `application/json`).
pub fn problems_as_served(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for operation in paths
        .values_mut()
        .filter_map(Value::as_object_mut)
        .flat_map(|item| item.values_mut())
    {
        let Some(responses) = operation
            .get_mut("responses")
            .and_then(Value::as_object_mut)
        else {
            continue;
        };
        for (status, response) in responses.iter_mut() {
            if (status.starts_with('4') || status.starts_with('5'))
                && let Some(content) = response.get_mut("content").and_then(Value::as_object_mut)
                && let Some(json) = content.remove("application/json")
            {
                content.insert("application/problem+json".to_owned(), json);
            }
        }
    }
}

/// The errors every API operation can answer with, whatever its own declaration says, added
/// where missing: a body that is not JSON (400), too large (413) or not JSON at all (415); no or
/// a dead token (401) and a refusal (403) where the operation needs a token; a query parameter
/// with a control character (422, refused before any handler); a database fault (503).
pub fn complete_errors(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        if !path.starts_with("/api/v1/") || path == "/api/v1/openapi.json" {
            continue;
        }
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for operation in item.values_mut().filter_map(Value::as_object_mut) {
            let has_body = operation.contains_key("requestBody");
            let secured = operation
                .get("security")
                .and_then(Value::as_array)
                .is_some_and(|s| !s.is_empty());
            let Some(responses) = operation
                .entry("responses")
                .or_insert_with(|| json!({}))
                .as_object_mut()
            else {
                continue;
            };
            let mut add = |status: &str, description: &str| {
                responses
                    .entry(status.to_owned())
                    .or_insert_with(|| problem(description));
            };
            if has_body {
                add("400", "`malformed_request`: the body is not JSON");
                add("413", "`payload_too_large`");
                add("415", "`unsupported_media_type`");
            }
            if secured {
                add(
                    "401",
                    "`unauthenticated`: no token, or one that expired or was revoked",
                );
                add(
                    "403",
                    "`forbidden`, or `module_unavailable` at the group's level",
                );
            }
            add(
                "422",
                "`validation_failed`: a field, query parameter or path part at fault",
            );
            add(
                "503",
                "`unavailable`: the database is not reachable now; nothing was written",
            );
        }
    }
}

/// An error answer, as problem details.
fn problem(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
    })
}
