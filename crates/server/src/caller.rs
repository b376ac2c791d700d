//! Who is asking: every API handler takes a [`Caller`], and every read or write it makes is
//! limited to the caller's scope (its group's subtree) and passes [`Caller::authorize`].

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use chrono::{DateTime, Duration, Utc};
use tenantry_api_types::ErrorCode;
use tenantry_domain::{Action, Actor, DomainError, Group, GroupId, Permission, TreePath};
use tenantry_storage::users::{self, AuthSession, SessionKind};
use tenantry_storage::{DbConnection, StoreError};

use crate::auth::token;
use crate::error::ApiError;
use crate::state::AppState;

/// A session's idle expiry is written back at most this often: a request renews it, but at a
/// minute's granularity, so that reads stay reads.
const RENEWAL_GRANULARITY: Duration = Duration::minutes(1);

/// The authenticated caller and the subtree it may see and change.
#[derive(Clone, Debug)]
pub struct Caller {
    pub actor: Actor,
    /// The path of the caller's group: everything outside it answers 404.
    pub scope: TreePath,
    pub session: Arc<AuthSession>,
}

impl Caller {
    pub fn group_id(&self) -> GroupId {
        self.actor.group_id
    }

    /// The one authorization gate, for a target group already found within the caller's scope:
    /// the module must be available at its level, then the account type must allow the action.
    pub fn authorize(&self, action: Action, target: &Group) -> Result<(), DomainError> {
        tenantry_domain::authorize(&self.actor, action, target)
    }

    /// The group `id`, found within the caller's scope and authorized for `action`: the one way
    /// a request reaches its target group. Outside the scope it does not exist (404); then the
    /// module and the account type decide (403). A storage error stays what it is (503, 500),
    /// never a refusal.
    pub fn group(
        &self,
        c: &mut DbConnection,
        id: GroupId,
        action: Action,
    ) -> Result<Group, StoreError> {
        self.group_for(c, id, &Permission::Core(action))
    }

    /// [`Caller::group`], for a core action or one a plugin declared.
    pub fn group_for(
        &self,
        c: &mut DbConnection,
        id: GroupId,
        permission: &Permission,
    ) -> Result<Group, StoreError> {
        let group = tenantry_storage::groups::get(c, &self.scope, id)?;
        self.authorize_permission(permission, &group)?;
        Ok(group)
    }

    /// [`Caller::authorize`], for a core action or one a plugin declared.
    pub fn authorize_permission(
        &self,
        permission: &Permission,
        target: &Group,
    ) -> Result<(), DomainError> {
        tenantry_domain::authorize_permission(&self.actor, permission, target)
    }

    /// The caller as its user stands now in the database, for writes that hand out power
    /// (users, passwords, tokens): a demotion or removal that committed while this request was
    /// under way, or that another replica's cache has not seen, counts.
    pub fn refreshed(&self, c: &mut DbConnection) -> Result<Caller, StoreError> {
        let user = users::get(c, &self.scope, self.actor.user_id).map_err(account_gone)?;
        let mut fresh = self.clone();
        fresh.actor.authority = user.authority();
        Ok(fresh)
    }

    /// The session or API token this request presented (logout ends exactly this one).
    pub fn session_id(&self) -> i64 {
        self.session.session_id
    }
}

/// The caller's own user, looked up again, was not found: removed, or moved out of reach, so
/// refused. Any other failure stays a storage error (an exhausted pool is 503, not 403).
fn account_gone(error: StoreError) -> StoreError {
    match error {
        StoreError::Domain(DomainError::NotFound { .. }) => DomainError::Forbidden {
            message: "your account has changed; log in again".to_owned(),
        }
        .into(),
        other => other,
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Caller, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer_token(req).map(token::hash);
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal("application state missing"))?;
            authenticate(&state, token?).await
        })
    }
}

fn unauthenticated(message: &str) -> ApiError {
    ApiError::new(ErrorCode::Unauthenticated, message)
}

fn bearer_token(req: &HttpRequest) -> Result<&str, ApiError> {
    req.headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split_once(' '))
        // The scheme is case-insensitive (RFC 9110); the token is not.
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .filter(|token| !token.is_empty())
        .ok_or_else(|| unauthenticated("send Authorization: Bearer <token>"))
}

/// The caller a session or API token stands for (the bearer header's and the console cookie's
/// token alike), or `unauthenticated`.
pub(crate) async fn from_token(state: &AppState, token: &str) -> Result<Caller, ApiError> {
    authenticate(state, token::hash(token)).await
}

async fn authenticate(state: &AppState, token_hash: String) -> Result<Caller, ApiError> {
    let now = tenantry_storage::now();
    if let Some(session) = state.sessions.get(&token_hash, now) {
        return Ok(caller_of(session));
    }
    let read_at = state.sessions.generation();
    let hash = token_hash.clone();
    let found = state
        .read(move |c| users::authenticate(c, &hash, now))
        .await?;
    let mut session = found.ok_or_else(|| {
        unauthenticated("the token is not valid (expired, revoked, or never issued)")
    })?;
    if let Some(idle) = renewal(state, &session, now) {
        let id = session.session_id;
        state
            .write(move |w| users::touch_session(w, id, now, idle))
            .await?;
        session.idle_expires_at = idle;
        session.last_used_at = Some(now);
    }
    let session = Arc::new(session);
    state
        .sessions
        .put(token_hash, Arc::clone(&session), read_at);
    Ok(caller_of(session))
}

/// Whether this use should be written back, and the idle expiry to write: sessions move their
/// idle expiry on; API tokens only record their last use. At most once a minute either way.
fn renewal(
    state: &AppState,
    session: &AuthSession,
    now: DateTime<Utc>,
) -> Option<Option<DateTime<Utc>>> {
    match session.kind {
        SessionKind::Session => {
            let renewed = state.session_policy.idle_expiry(now, session.expires_at);
            let stored = session.idle_expires_at.unwrap_or(now);
            (renewed - stored >= RENEWAL_GRANULARITY).then_some(Some(renewed))
        }
        SessionKind::Api => {
            let stale = session
                .last_used_at
                .is_none_or(|last| now - last >= RENEWAL_GRANULARITY);
            stale.then_some(None)
        }
    }
}

fn caller_of(session: Arc<AuthSession>) -> Caller {
    Caller {
        actor: Actor {
            user_id: session.user.id,
            group_id: session.group_id,
            authority: session.user.authority(),
        },
        scope: session.group_path.clone(),
        session,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_missing_account_is_a_refusal() {
        let gone = account_gone(DomainError::NotFound { what: "user" }.into());
        assert!(matches!(
            gone,
            StoreError::Domain(DomainError::Forbidden { .. })
        ));
        for failure in [
            StoreError::Unavailable("connection lost".to_owned()),
            StoreError::Pool("timed out".to_owned()),
            StoreError::Busy("database is locked".to_owned()),
        ] {
            let kept = format!("{failure:?}");
            assert_eq!(format!("{:?}", account_gone(failure)), kept);
        }
    }
}
