//! `GET /api/v1/me`: who the caller is.

use actix_web::{HttpResponse, get, web};
use tenantry_api_types::{ErrorBody, MeBody};
use tenantry_storage::users::SessionKind;
use tenantry_storage::{groups, users};

use crate::caller::Caller;
use crate::convert::{group_body, user_body};
use crate::error::ApiError;
use crate::state::AppState;

/// The caller: its user, its group, its account type, and what that type may do.
#[utoipa::path(
    tag = "auth",
    responses(
        (status = 200, description = "The caller", body = MeBody),
        (status = 401, description = "`unauthenticated`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/me")]
pub async fn me(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    let who = caller.clone();
    let (user, group) = state
        .read(move |c| {
            let user = users::get(c, &who.scope, who.actor.user_id)?;
            let group = groups::get(c, &who.scope, who.group_id())?;
            Ok((user, group))
        })
        .await?;
    // The core's actions and those the loaded plugins declare.
    let permissions = state
        .plugins
        .declarations
        .all()
        .filter(|action| action.permits(user.authority()))
        .map(|action| action.name())
        .collect();
    let level = group.level;
    Ok(HttpResponse::Ok().json(MeBody {
        user: user_body(user),
        group: group_body(group, caller.group_id(), tenantry_storage::now()),
        level,
        permissions,
        credential: match caller.session.kind {
            SessionKind::Session => "session",
            SessionKind::Api => "api",
        }
        .to_owned(),
        expires_at: caller.session.expires_at,
    }))
}
