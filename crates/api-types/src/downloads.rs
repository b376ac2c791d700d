//! Downloads: the installers an installation offers.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tenantry_domain::InstallerOs;
use utoipa::ToSchema;

/// One installer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DownloadBody {
    pub os: InstallerOs,
    /// The file name.
    pub name: String,
    /// From the file name (`tenantry-2.4.1-x64.msi` is 2.4.1); `null` when it names none.
    pub version: Option<String>,
    pub size: u64,
    /// Hex SHA-256 of the file, to check a download against.
    pub sha256: String,
    pub modified_at: DateTime<Utc>,
    /// Where to fetch it (with the caller's token; `Range` requests are honoured).
    pub url: String,
    /// The command line that installs it and enrols the machine into this group, with the
    /// deployment token of this answer. Only where Quick Installation is available and switched
    /// on, and the caller may issue deployment tokens.
    pub install_command: Option<String>,
}

/// The installers offered to a group, by operating system and name.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct DownloadList {
    pub items: Vec<DownloadBody>,
    /// The deployment token minted for this answer's install command lines (listed among the
    /// group's tokens as "Downloads", revocable like any other); `null` when there are none.
    pub deployment_token_id: Option<i64>,
    pub deployment_token_expires_at: Option<DateTime<Utc>>,
}
