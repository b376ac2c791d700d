//! API users' tokens: `/api/v1/users/{id}/tokens`. A token is shown once, when created; only its
//! hash is kept.

use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, post, web};
use tenantry_api_types::{ApiTokenList, CreateApiToken, CreatedApiToken, ErrorBody};
use tenantry_domain::{Action, DomainError, UserId, UserKind, check_reach, parse_display_name};
use tenantry_storage::users;

use super::users::user_target;
use crate::auth::token;
use crate::caller::Caller;
use crate::convert::token_body;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::state::AppState;

/// An API user's tokens, newest first (never the tokens themselves).
#[utoipa::path(
    tag = "users",
    params(("id" = i64, Path, description = "User id (an API user)")),
    responses(
        (status = 200, description = "The tokens", body = ApiTokenList),
        (status = 404, description = "No such user in the caller's subtree", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/users/{id}/tokens")]
pub async fn list_tokens(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = UserId(id.into_inner());
    let tokens = state
        .read(move |c| {
            let (user, _) = user_target(c, &caller, id, Action::ManageApiTokens)?;
            check_reach(&caller.actor, &user)?;
            users::list_api_tokens(c, id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(ApiTokenList {
        items: tokens.into_iter().map(token_body).collect(),
    }))
}

/// Creates a token for an API user. The answer carries the token: it is shown this once.
#[utoipa::path(
    tag = "users",
    params(("id" = i64, Path, description = "User id (an API user)")),
    request_body = CreateApiToken,
    responses(
        (status = 201, description = "The new token, shown only now", body = CreatedApiToken),
        (status = 404, description = "No such user in the caller's subtree", body = ErrorBody),
        (status = 409, description = "`conflict`: not an API user", body = ErrorBody),
        (status = 422, description = "`validation_failed`: the expiry", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/users/{id}/tokens")]
pub async fn create_token(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
    body: JsonBody<CreateApiToken>,
) -> Result<HttpResponse, ApiError> {
    let id = UserId(id.into_inner());
    let created = create(&state, &caller, id, body.0).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/users/{}/tokens/{}", id, created.details.id),
        ))
        .json(created))
}

/// Revokes an API user's token: it stops working at once.
/// Creates an API user's token, shown once: the one way, for the API and the console alike.
pub(crate) async fn create(
    state: &AppState,
    caller: &Caller,
    id: UserId,
    body: CreateApiToken,
) -> Result<CreatedApiToken, ApiError> {
    let now = tenantry_storage::now();
    let policy = state.api_tokens;
    let expires_at = body.expires_at.unwrap_or(now + policy.default_lifetime);
    if expires_at <= now || expires_at > now + policy.max_lifetime {
        return Err(DomainError::invalid(
            "expires_at",
            format!(
                "must be in the future and at most {} days away",
                policy.max_lifetime.num_days()
            ),
        )
        .into());
    }
    let name = match &body.name {
        Some(raw) => parse_display_name(raw)?,
        None => None,
    };
    let (token, token_hash) = token::generate().map_err(ApiError::internal)?;
    let who = caller.clone();
    let created = state
        .write(move |w| {
            let caller = who.refreshed(w.conn())?;
            let (user, _) = user_target(w.conn(), &caller, id, Action::ManageApiTokens)?;
            check_reach(&caller.actor, &user)?;
            if user.kind != UserKind::Api {
                return Err(DomainError::Conflict {
                    message: "only API users have tokens; interactive users log in".to_owned(),
                }
                .into());
            }
            users::create_api_token(w, id, &token_hash, name.as_deref(), expires_at, now)
        })
        .await?;
    Ok(CreatedApiToken {
        token,
        details: token_body(created),
    })
}

#[utoipa::path(
    tag = "users",
    params(
        ("id" = i64, Path, description = "User id (an API user)"),
        ("token_id" = i64, Path, description = "Token id"),
    ),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, description = "No such user or token in the caller's subtree", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[delete("/users/{id}/tokens/{token_id}")]
pub async fn revoke_token(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, ApiError> {
    let (id, token_id) = path.into_inner();
    revoke(&state, &caller, UserId(id), token_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Revokes an API user's token: the one way, for the API and the console alike.
pub(crate) async fn revoke(
    state: &AppState,
    caller: &Caller,
    id: UserId,
    token_id: i64,
) -> Result<(), ApiError> {
    let who = caller.clone();
    state
        .write(move |w| {
            let caller = who.refreshed(w.conn())?;
            let (user, _) = user_target(w.conn(), &caller, id, Action::ManageApiTokens)?;
            check_reach(&caller.actor, &user)?;
            users::revoke_api_token(w, id, token_id)
        })
        .await?;
    state.sessions.clear();
    Ok(())
}
