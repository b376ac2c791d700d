//! The OpenAPI document's frame; its paths and schemas come from the route table.

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
