//! The bodies of Tenantry's HTTP API, shared by the server and its clients (the admin agent, the
//! tests). Serde and OpenAPI schemas only: no diesel, no actix.

mod error;
mod groups;
mod health;
mod patch;
mod users;

pub use error::{ErrorBody, ErrorCode, FieldErrorBody};
pub use groups::{
    CreateGroup, DescendantsQuery, GroupBody, GroupPage, ListQuery, ModuleBody, ModulesBody,
    UpdateGroup,
};
pub use health::{HealthBody, ReadinessBody};
pub use tenantry_domain::{
    Action, CompanyProfile, GroupState, Level, Module, Role, ServiceType, UserKind,
};
pub use users::{
    ApiTokenBody, ApiTokenList, CreateApiToken, CreateUser, CreatedApiToken, LoginRequest,
    LoginResponse, MeBody, UpdateUser, UserBody, UserPage,
};
