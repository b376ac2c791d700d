//! Liveness and readiness, for load balancers and orchestrators. No credentials needed.

use actix_web::{HttpResponse, get, web};
use tenantry_api_types::{HealthBody, ReadinessBody};

use crate::error::ApiError;
use crate::state::AppState;

/// The process is up and serving HTTP.
#[utoipa::path(tag = "health", responses((status = 200, body = HealthBody)))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(HealthBody {
        status: "ok".into(),
    })
}

/// The process can serve requests: its database answers, and it runs the plugins it lists.
#[utoipa::path(
    tag = "health",
    responses((status = 200, body = ReadinessBody), (status = 503, body = ReadinessBody))
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let plugins = state.plugins.manifests().map(|m| m.name.clone()).collect();
    match state.ready().await {
        Ok(()) => HttpResponse::Ok().json(ReadinessBody {
            status: "ready".into(),
            database: "ok".into(),
            plugins,
        }),
        Err(error) => HttpResponse::ServiceUnavailable().json(ReadinessBody {
            status: "not_ready".into(),
            database: error.to_string(),
            plugins,
        }),
    }
}

/// Prometheus metrics (text format): requests by route pattern and status with their latency,
/// database pool usage, plugin calls with their latency and failures. Keep it off the public
/// internet (the compose file's proxy does not forward it).
#[utoipa::path(
    tag = "health",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain", body = String))
)]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let text = state
        .metrics
        .render(&state.pool_usage())
        .map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(text))
}
