//! Liveness and readiness, for load balancers and orchestrators. No credentials needed.

use actix_web::{HttpResponse, get, web};
use tenantry_api_types::{HealthBody, ReadinessBody};

use crate::state::AppState;

/// The process is up and serving HTTP.
#[utoipa::path(tag = "health", responses((status = 200, body = HealthBody)))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(HealthBody {
        status: "ok".into(),
    })
}

/// The process can serve requests: its database answers.
#[utoipa::path(
    tag = "health",
    responses((status = 200, body = ReadinessBody), (status = 503, body = ReadinessBody))
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    match state.ping().await {
        Ok(()) => HttpResponse::Ok().json(ReadinessBody {
            status: "ready".into(),
            database: "ok".into(),
        }),
        Err(error) => HttpResponse::ServiceUnavailable().json(ReadinessBody {
            status: "not_ready".into(),
            database: error.to_string(),
        }),
    }
}
