//! Tenantry's domain: the rules of a multi-tenant backup console, with no I/O.
//!
//! Everything here is plain data and pure functions so that the rules can be unit-tested
//! cell by cell and reused unchanged by storage, the HTTP server, plugins and the agent.

mod company;
mod declared;
mod device;
mod download;
mod error;
mod event;
mod group;
mod import;
mod level;
mod login;
mod module;
mod name;
mod path;
mod permission;
mod role;
mod settings;
mod state;
mod user;

pub use company::CompanyProfile;
pub use declared::{
    ActionDeclaration, Declarations, DeclaredAction, DeclaredModule, ModuleRef, Permission,
};
pub use device::{
    Device, DeviceId, SessionReport, SessionStatus, parse_device_name, parse_machine_id, parse_os,
};
pub use download::{InstallerOs, install_command, installer_version, is_offerable_name};
pub use error::{DomainError, FieldError, Problems};
pub use event::{GroupChange, GroupCreated, GroupDeleted, GroupEvent, GroupMoved, GroupUpdated};
pub use group::{
    Group, GroupChanges, GroupId, NewGroup, ServiceType, check_automatic_deployment,
    check_child_level,
};
pub use import::{
    Existing, ImportRow, MAX_IMPORT_ROWS, PlannedGroup, PlannedParent, names_to_look_up,
    plan as plan_import,
};
pub use level::Level;
pub use login::{Failures, LockoutPolicy, SessionPolicy};
pub use module::Module;
pub use name::{CustomerReference, GroupName};
pub use path::TreePath;
pub use permission::{
    Action, Actor, Rule, Source, authorize, authorize_permission, permissions_markdown,
};
pub use role::{Authority, Role, UserKind};
pub use settings::{
    ProfileSettings, RetentionSettings, Schedule, SettingKind, is_visible_from, parse_setting_name,
};
pub use state::{DEFAULT_TRIAL_DAYS, GroupState, StateChange, StoredState};
pub use user::{
    MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS, NewUser, PasswordChange, User, UserChanges, UserId,
    Username, check_grant, check_password, check_reach, check_user_change, parse_display_name,
};
