//! Backup profiles and retention policies.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tenantry_domain::{ProfileSettings, RetentionSettings, SettingKind};
use utoipa::ToSchema;

use crate::patch::not_null;

/// A profile or a policy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SettingBody {
    pub id: i64,
    #[schema(value_type = String)]
    pub kind: SettingKind,
    /// The owning group; `null` when it lies above the caller's own group.
    pub group_id: Option<i64>,
    pub name: String,
    /// The profile's or the policy's fields.
    #[schema(value_type = Object)]
    pub settings: Value,
    /// Inherited (owned above the group it is listed for, or above the caller) or the
    /// installation's default: usable, not changeable here.
    pub locked: bool,
    /// The installation's default retention policy.
    pub default: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Profiles or policies a group may use: its own and its ancestors', by id.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct SettingPage {
    pub items: Vec<SettingBody>,
    pub next_cursor: Option<String>,
    pub has_more: bool,
}

/// `POST /api/v1/groups/{id}/profiles`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProfile {
    pub name: String,
    pub settings: ProfileSettings,
}

/// `PATCH /api/v1/profiles/{id}`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateProfile {
    #[serde(default, deserialize_with = "not_null")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    pub settings: Option<ProfileSettings>,
}

/// `POST /api/v1/groups/{id}/retention-policies`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRetentionPolicy {
    pub name: String,
    pub settings: RetentionSettings,
}

/// `PATCH /api/v1/retention-policies/{id}`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateRetentionPolicy {
    #[serde(default, deserialize_with = "not_null")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    pub settings: Option<RetentionSettings>,
}

/// `PATCH /api/v1/groups/{id}/backup-defaults`: the fields given change (null: inherit again);
/// those left out stay.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateBackupDefaults {
    /// A backup profile the group may use (its own or an ancestor's); null: inherit.
    #[serde(default, deserialize_with = "crate::patch::nullable")]
    pub profile_id: Option<Option<i64>>,
    /// A retention policy the group may use; null: inherit.
    #[serde(default, deserialize_with = "crate::patch::nullable")]
    pub retention_policy_id: Option<Option<i64>>,
}

/// A group's own default backup profile and retention policy (null: inherited).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BackupDefaults {
    /// A backup profile the group may use (its own or an ancestor's); null: inherit.
    #[serde(default)]
    pub profile_id: Option<i64>,
    /// A retention policy the group may use; null: inherit.
    #[serde(default)]
    pub retention_policy_id: Option<i64>,
}

/// A group's default backup profile and retention policy: what it sets itself, and what a
/// device added in it (by hand or by enrolment, naming none) gets.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BackupDefaultsBody {
    pub group_id: i64,
    /// The group's own choices (null: inherited).
    pub own: BackupDefaults,
    /// In effect: the nearest group's profile (none: devices get none).
    pub profile_id: Option<i64>,
    /// The group it comes from, when that group lies within the caller's reach.
    pub profile_from: Option<i64>,
    /// In effect: the nearest group's policy, else the installation's default.
    pub retention_policy_id: Option<i64>,
    pub retention_policy_from: Option<i64>,
}
