//! `GET /api/v1/plugins`: what this installation loaded.

use actix_web::{HttpResponse, get, web};
use tenantry_api_types::{ErrorBody, PluginBody, PluginList, PluginRouteBody};

use crate::caller::Caller;
use crate::state::AppState;

/// The plugins this installation runs, with their hooks and routes.
#[utoipa::path(
    tag = "plugins",
    responses(
        (status = 200, description = "The loaded plugins", body = PluginList),
        (status = 401, description = "`unauthenticated`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/plugins")]
pub async fn list_plugins(state: web::Data<AppState>, _caller: Caller) -> HttpResponse {
    let items = state
        .plugins
        .manifests()
        .map(|manifest| PluginBody {
            name: manifest.name.clone(),
            version: manifest.version.clone(),
            hooks: manifest
                .hooks
                .iter()
                .map(|hook| hook.as_str().to_owned())
                .collect(),
            routes: manifest
                .routes
                .iter()
                .map(|route| PluginRouteBody {
                    method: route.method.clone(),
                    path: format!("/api/v1{}", route.path),
                    action: route.action.clone(),
                })
                .collect(),
        })
        .collect();
    HttpResponse::Ok().json(PluginList { items })
}
