//! Users, login and API tokens.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tenantry_domain::{Level, Role, UserKind};
use utoipa::ToSchema;

use crate::GroupBody;
use crate::patch::{not_null, nullable};

/// A user account. The password (or its hash) is never part of it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct UserBody {
    pub id: i64,
    pub group_id: i64,
    /// An email address; unique within the group, compared case-insensitively.
    pub username: String,
    pub name: Option<String>,
    pub role: Role,
    pub security_officer: bool,
    pub kind: UserKind,
    /// Changes with every update; the same value as the `ETag`.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
    /// Set while the account refuses every login after too many failures: until when. An
    /// administrator who may manage the user can lift it (`POST /users/{id}/unlock`).
    #[serde(default)]
    pub locked_until: Option<DateTime<Utc>>,
}

/// One page of users, by username.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct UserPage {
    pub items: Vec<UserBody>,
    pub next_cursor: Option<String>,
    pub has_more: bool,
}

/// `POST /api/v1/groups/{id}/users`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    /// An email address.
    pub username: String,
    #[serde(default)]
    pub name: Option<String>,
    /// `reporter` is accepted as the legacy name of `supporter`.
    pub role: Role,
    /// Not for Supporters; only a Security Officer may grant it.
    #[serde(default)]
    pub security_officer: bool,
    /// Defaults to `interactive`.
    #[serde(default)]
    pub kind: Option<UserKind>,
    /// Interactive users only (required for them): 12 to 256 characters, not easily guessed
    /// (common passwords and patterns are refused), not containing the username or the group's
    /// name.
    #[serde(default)]
    pub password: Option<String>,
}

/// `PATCH /api/v1/users/{id}`: only the fields to change.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    /// `null` removes the display name.
    #[serde(default, deserialize_with = "nullable")]
    pub name: Option<Option<String>>,
    #[serde(default, deserialize_with = "not_null")]
    pub role: Option<Role>,
    #[serde(default, deserialize_with = "not_null")]
    pub security_officer: Option<bool>,
    /// A new password (interactive users). Ends every session of the user.
    #[serde(default, deserialize_with = "not_null")]
    pub password: Option<String>,
    /// Required when users change their own password.
    #[serde(default, deserialize_with = "not_null")]
    pub current_password: Option<String>,
}

/// `POST /api/v1/auth/login`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// The name of the user's group: part of the credentials.
    pub group: String,
    pub username: String,
    pub password: String,
}

/// A new session.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct LoginResponse {
    /// Send as `Authorization: Bearer <token>`. Shown only here.
    pub token: String,
    /// When the session ends if it is not used (each use moves this on).
    pub idle_expires_at: DateTime<Utc>,
    /// When the session ends however much it is used.
    pub expires_at: DateTime<Utc>,
    pub user: UserBody,
}

/// `GET /api/v1/me`: the caller, its group, and what it may do there.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct MeBody {
    pub user: UserBody,
    pub group: GroupBody,
    /// The caller's group's level (also in `group`), for clients that only need this.
    pub level: Level,
    /// Every action of the permission table the caller's account type allows, the loaded
    /// plugins' included (module rules still apply per target group).
    pub permissions: Vec<String>,
    /// `session` (interactive login) or `api` (an API token).
    pub credential: String,
    pub expires_at: DateTime<Utc>,
}

/// `POST /api/v1/users/{id}/tokens`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiToken {
    /// What the token is for (shown in listings).
    #[serde(default)]
    pub name: Option<String>,
    /// When the token stops working; default 90 days from now, at most a year (configurable).
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
}

/// An API token as listed: never the token itself.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ApiTokenBody {
    pub id: i64,
    pub user_id: i64,
    pub name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// A new API token: `token` is shown this once and never again.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct CreatedApiToken {
    pub token: String,
    #[serde(flatten)]
    pub details: ApiTokenBody,
}

/// An API user's tokens, newest first.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ApiTokenList {
    pub items: Vec<ApiTokenBody>,
}
