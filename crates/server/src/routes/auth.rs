//! Login and logout: `/api/v1/auth/…`.

use std::net::IpAddr;

use actix_web::{HttpRequest, HttpResponse, post, web};
use tenantry_api_types::{ErrorBody, ErrorCode, LoginRequest, LoginResponse};
use tenantry_domain::{DomainError, UserKind};
use tenantry_storage::users;

use crate::auth::{password, token};
use crate::caller::Caller;
use crate::convert::user_body;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::origin;
use crate::state::AppState;

/// One answer for an unknown group, an unknown user, an API user and a wrong password.
fn rejected() -> ApiError {
    ApiError::new(
        ErrorCode::Unauthenticated,
        "the group name, username or password is wrong",
    )
}

/// A user removed while its login was under way looks like any unknown user.
fn gone_is_rejected(error: ApiError) -> ApiError {
    if error.code() == ErrorCode::NotFound {
        rejected()
    } else {
        error
    }
}

/// Logs in with the group's name, the username and the password; answers a session token.
///
/// Unknown group, unknown user and wrong password answer the same 401 in about the same time.
/// After repeated failures the (group, username) pair is locked for a while (`locked`, 423),
/// whatever password is sent, whether or not it names an account. One source address may try a
/// limited number of times a minute (`too_many_requests`, 429, with `Retry-After`).
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "A new session", body = LoginResponse),
        (status = 400, description = "`malformed_request`: the body is not JSON", body = ErrorBody),
        (status = 401, description = "`unauthenticated`: wrong group, username or password", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`: the body is not `application/json`", body = ErrorBody),
        (status = 422, description = "`validation_failed`: a field missing or not a string", body = ErrorBody),
        (status = 423, description = "`locked`: too many failed logins", body = ErrorBody),
        (status = 429, description = "`too_many_requests`: too many attempts from this address; `Retry-After` says when to try again", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
#[post("/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let LoginRequest {
        group,
        username,
        password,
    } = body.0;
    let source = origin::client_addr(&req);
    let (token, session) = sign_in(&state, source, group, username, password).await?;
    Ok(HttpResponse::Ok().json(LoginResponse {
        token,
        idle_expires_at: session.idle_expires_at.unwrap_or(session.expires_at),
        expires_at: session.expires_at,
        user: user_body(session.user),
    }))
}

/// Checks a login (group name, username, password) and starts a session: the one way in, for the
/// API's token and the console's cookie alike, with the same lockout and the same answers.
pub(crate) async fn sign_in(
    state: &AppState,
    source: IpAddr,
    group: String,
    username: String,
    password: String,
) -> Result<(String, users::AuthSession), ApiError> {
    if let Err(wait) = state.login_throttle.attempt(source) {
        log::warn!("login attempts from {source} throttled");
        return Err(ApiError::new(
            ErrorCode::TooManyRequests,
            "too many login attempts from this address; try again later",
        )
        .retry_after(wait));
    }
    let now = tenantry_storage::now();
    let names = (group.clone(), username.clone());
    let record = state
        .read(move |c| users::for_login(c, &names.0, &names.1))
        .await?;
    // API users never log in interactively: to a guesser they look like no user at all.
    let account = record.and_then(|record| match (record.user.kind, &record.password_hash) {
        (UserKind::Interactive, Some(hash)) => {
            Some((record.user.id, hash.clone(), record.failures))
        }
        _ => None,
    });
    let Some((user_id, hash, failures)) = account else {
        // No such account: locked and failed exactly as one would be (see `auth::unknown`).
        if let Some(until) = state.unknown_accounts.locked_until(&group, &username, now) {
            return Err(DomainError::Locked { until }.into());
        }
        state
            .compute(move || {
                password::verify_nothing(&password);
                Ok(())
            })
            .await?;
        let policy = state.lockout_policy;
        state.unknown_accounts.fail(&group, &username, now, &policy);
        return Err(rejected());
    };
    if let Some(until) = failures.locked_until.filter(|_| failures.is_locked(now)) {
        return Err(DomainError::Locked { until }.into());
    }
    // The attempt counts before its password is checked (see `users::record_attempt`).
    let policy = state.lockout_policy;
    let counted = state
        .write(move |w| users::record_attempt(w, user_id, now, &policy))
        .await
        .map_err(gone_is_rejected)?;
    let matches = state
        .compute(move || Ok(password::verify(&hash, &password)))
        .await?;
    if !matches {
        if counted.is_locked(now) {
            log::warn!(
                "user {user_id} locked after {} failed logins",
                counted.count
            );
        }
        return Err(rejected());
    }
    let (token, token_hash) = token::generate().map_err(ApiError::internal)?;
    let session_policy = state.session_policy;
    let session = state
        .write(move |w| users::start_session(w, user_id, &token_hash, now, &session_policy))
        .await
        .map_err(gone_is_rejected)?;
    Ok((token, session))
}

/// Ends the session (or revokes the API token) this request is made with.
#[utoipa::path(
    tag = "auth",
    responses(
        (status = 204, description = "The token no longer works"),
        (status = 401, description = "`unauthenticated`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/auth/logout")]
pub async fn logout(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    sign_out(&state, &caller).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Ends the caller's session (API and console alike).
pub(crate) async fn sign_out(state: &AppState, caller: &Caller) -> Result<(), ApiError> {
    let id = caller.session_id();
    state.write(move |w| users::revoke_session(w, id)).await?;
    state.sessions.clear();
    Ok(())
}
