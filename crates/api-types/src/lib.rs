//! The bodies of Tenantry's HTTP API, shared by the server and its clients (the admin agent, the
//! tests). Serde and OpenAPI schemas only: no diesel, no actix.

mod devices;
mod downloads;
mod error;
mod groups;
mod health;
mod patch;
mod settings;
mod users;

pub use devices::{
    CreateDeploymentToken, CreateDevice, CreatedDeploymentToken, CreatedDevice,
    DeploymentTokenBody, DeploymentTokenList, DeviceBody, DeviceCount, DeviceCounts, DevicePage,
    DevicesQuery, EnrollRequest, EnrolledDevice, HistoryBody, HistoryDayBody, PassphraseBody,
    PassphraseRequest, SessionReportBody, UpdateDevice,
};
pub use downloads::{DownloadBody, DownloadList};
pub use error::{ErrorBody, ErrorCode, FieldErrorBody};
pub use groups::{
    CreateGroup, DescendantsQuery, GroupBody, GroupPage, ImportQuery, ImportReport, ImportedGroup,
    ListQuery, ModuleBody, ModulesBody, UpdateGroup,
};
pub use health::{HealthBody, ReadinessBody};
pub use settings::{
    BackupDefaults, BackupDefaultsBody, CreateProfile, CreateRetentionPolicy, SettingBody,
    SettingPage, UpdateBackupDefaults, UpdateProfile, UpdateRetentionPolicy,
};
pub use tenantry_domain::{
    Action, CompanyProfile, GroupState, InstallerOs, Level, Module, ProfileSettings,
    RetentionSettings, Role, Schedule, ServiceType, SessionStatus, SettingKind, UserKind,
};
pub use users::{
    ApiTokenBody, ApiTokenList, CreateApiToken, CreateUser, CreatedApiToken, LoginRequest,
    LoginResponse, MeBody, UpdateUser, UserBody, UserPage,
};

/// `GET /api/v1/plugins`: what this installation loaded.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct PluginList {
    pub items: Vec<PluginBody>,
}

/// One loaded plugin.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct PluginBody {
    pub name: String,
    pub version: String,
    /// The lifecycle hooks it is called with (`before_update`, …).
    pub hooks: Vec<String>,
    pub routes: Vec<PluginRouteBody>,
}

/// One HTTP route a plugin serves, under `/api/v1`.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct PluginRouteBody {
    pub method: String,
    pub path: String,
    /// The permission-table action the caller needs on the group.
    pub action: String,
}
