//! Devices: the protected machines of a group.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tenantry_domain::SessionStatus;
use utoipa::{IntoParams, ToSchema};

use crate::patch::{not_null, nullable};

/// A device.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DeviceBody {
    pub id: i64,
    pub group_id: i64,
    pub name: String,
    pub os: String,
    /// Enrolled itself through Quick Installation (rather than added by hand).
    pub enrolled: bool,
    /// How its last backup session ended; `null` before the first one.
    pub status: Option<SessionStatus>,
    pub selected_bytes: i64,
    pub used_bytes: i64,
    pub last_session_at: Option<DateTime<Utc>>,
    /// Changes with every update; the same value as the `ETag`.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Who generated the current passphrase, and when (the passphrase itself is never shown
    /// again).
    pub passphrase_by: Option<i64>,
    pub passphrase_at: Option<DateTime<Utc>>,
    pub profile_id: Option<i64>,
    pub retention_policy_id: Option<i64>,
    /// The machine it runs on, as its installer identified it when it enrolled (none for
    /// devices added by hand): enrolling that machine again takes this device over.
    pub machine_id: Option<String>,
}

/// Asks for a device's passphrase. A device that has one keeps it unless `replace` says
/// otherwise: backups made with the old passphrase cannot be restored with a new one by
/// someone who holds only the new one.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PassphraseRequest {
    /// Replace the device's current passphrase (required when it has one).
    #[serde(default)]
    pub replace: bool,
}

/// A new device passphrase: shown this once; only its hash is kept.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PassphraseBody {
    pub device_id: i64,
    pub passphrase: String,
    pub generated_by: i64,
    pub generated_at: DateTime<Utc>,
}

/// One page of devices, by id.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct DevicePage {
    pub items: Vec<DeviceBody>,
    pub next_cursor: Option<String>,
    pub has_more: bool,
}

/// `GET /api/v1/groups/{id}/device-counts`: how many devices each group of the subtree holds
/// itself (groups without devices are left out), in tree order.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct DeviceCounts {
    pub items: Vec<DeviceCount>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DeviceCount {
    pub group_id: i64,
    /// The group's own devices (not its descendants').
    pub devices: i64,
}

/// `POST /api/v1/groups/{id}/devices`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDevice {
    /// 1–100 characters; need not be unique.
    pub name: String,
    /// The operating system, 1–50 characters (e.g. `Windows 11`, `Ubuntu 24.04`).
    pub os: String,
    /// A backup profile of the group or one of its ancestors.
    #[serde(default)]
    pub profile_id: Option<i64>,
    /// A retention policy of the group or one of its ancestors; the installation's default
    /// when left out.
    #[serde(default)]
    pub retention_policy_id: Option<i64>,
}

/// `PATCH /api/v1/devices/{id}`: the fields to change; `group_id` moves the device.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateDevice {
    #[serde(default, deserialize_with = "not_null")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    pub os: Option<String>,
    /// Another group in the caller's subtree (where its profile and policy must be available).
    #[serde(default, deserialize_with = "not_null")]
    pub group_id: Option<i64>,
    /// `null` removes the profile.
    #[serde(default, deserialize_with = "nullable")]
    pub profile_id: Option<Option<i64>>,
    #[serde(default, deserialize_with = "not_null")]
    pub retention_policy_id: Option<i64>,
}

/// Paging and filters of `GET /api/v1/groups/{id}/devices`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DevicesQuery {
    /// `true`: the devices of the whole subtree, not the group's own only.
    pub descendants: Option<bool>,
    /// `completed`, `failed`, `with_errors`, `aborted`, or `none` (never reported).
    pub status: Option<String>,
    /// Exactly this operating system.
    pub os: Option<String>,
    /// Part of the name, ignoring case.
    pub name: Option<String>,
    /// Devices without a session for more than this many hours, never-reported ones included
    /// (1–87600).
    pub last_session_older_than_hours: Option<i64>,
    /// Devices with a session in the last this many hours (1–87600).
    pub last_session_within_hours: Option<i64>,
    /// `tree` (the default: by group in tree order, then id), `name`, `used_bytes`,
    /// `last_session_at` (never reported first, then oldest); a leading `-` reverses all but
    /// `tree`. Cursors belong to their order.
    pub sort: Option<String>,
    /// 1–500, default 50.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// From the previous page's `next_cursor`.
    pub cursor: Option<String>,
}

/// A device just added: `credential` is what the device authenticates its reports with, shown
/// this once.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct CreatedDevice {
    pub credential: String,
    #[serde(flatten)]
    pub device: DeviceBody,
}

/// A machine just enrolled: `credential` is what it authenticates its reports with, shown this
/// once.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct EnrolledDevice {
    pub credential: String,
    /// The machine was enrolled already (same `machine_id`, in the token's group's subtree):
    /// its device was kept, with its history, name, group and settings, and its previous
    /// credential no longer works. `false`: a new device.
    pub taken_over: bool,
    #[serde(flatten)]
    pub device: DeviceBody,
}

/// `POST /api/v1/devices/{id}/sessions`, sent by the device with its own credential.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionReportBody {
    pub started_at: DateTime<Utc>,
    /// Not before `started_at`, not in the future.
    pub ended_at: DateTime<Utc>,
    pub status: SessionStatus,
    /// 0 to 1 PB.
    pub selected_bytes: i64,
    /// 0 to 1 PB.
    pub used_bytes: i64,
    #[serde(default)]
    pub files: i64,
    #[serde(default)]
    pub errors: i64,
}

/// One day of a device's history (UTC).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct HistoryDayBody {
    pub day: chrono::NaiveDate,
    pub sessions: i64,
    pub sessions_with_errors: i64,
    /// As the day's last session left them.
    pub selected_bytes: i64,
    pub used_bytes: i64,
}

/// A device's history, oldest day first.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct HistoryBody {
    pub device_id: i64,
    pub days: Vec<HistoryDayBody>,
}

/// `POST /api/v1/groups/{id}/deployment-tokens`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDeploymentToken {
    /// What the token is for (shown in listings).
    #[serde(default)]
    pub name: Option<String>,
    /// Default 7 days from now; at most 90 days away.
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
    /// How many machines may enrol with it; none: any number until it expires.
    #[serde(default)]
    pub max_uses: Option<i64>,
}

/// A deployment token as listed: never the token itself.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DeploymentTokenBody {
    pub id: i64,
    pub group_id: i64,
    pub name: Option<String>,
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub max_uses: Option<i64>,
    pub uses: i64,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A new deployment token: `token` is shown this once.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct CreatedDeploymentToken {
    pub token: String,
    #[serde(flatten)]
    pub details: DeploymentTokenBody,
}

/// A group's deployment tokens, newest first.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct DeploymentTokenList {
    pub items: Vec<DeploymentTokenBody>,
}

/// `POST /api/v1/enroll`: a machine registers itself with a deployment token.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrollRequest {
    pub token: String,
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    #[schema(min_length = 1, max_length = 50)]
    pub os: String,
    /// The machine's stable identifier from its operating system (`/etc/machine-id`, Windows'
    /// `MachineGuid`, macOS's `IOPlatformUUID`): letters, digits and `-_.:{}`, compared without
    /// regard to case. With it, enrolling the same machine again into the token's group's
    /// subtree takes over its device instead of adding a second; elsewhere it is refused (409).
    #[serde(default)]
    #[schema(min_length = 1, max_length = 128, pattern = "^[A-Za-z0-9_.:{}-]+$")]
    pub machine_id: Option<String>,
}
