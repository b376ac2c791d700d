//! Tenantry's domain: the rules of a multi-tenant backup console, with no I/O.
//!
//! Everything here is plain data and pure functions so that the rules can be unit-tested
//! cell by cell and reused unchanged by storage, the HTTP server, plugins and the agent.

mod company;
mod error;
mod event;
mod group;
mod level;
mod module;
mod name;
mod path;
mod state;

pub use company::CompanyProfile;
pub use error::{DomainError, FieldError};
pub use event::{GroupChange, GroupCreated, GroupDeleted, GroupEvent, GroupMoved, GroupUpdated};
pub use group::{
    Group, GroupChanges, GroupId, NewGroup, ServiceType, check_automatic_deployment,
    check_child_level,
};
pub use level::Level;
pub use module::Module;
pub use name::{CustomerReference, GroupName};
pub use path::TreePath;
pub use state::{DEFAULT_TRIAL_DAYS, GroupState, StateChange, StoredState};
