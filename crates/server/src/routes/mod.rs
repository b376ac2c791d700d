//! The route table. [`api`] is the single list of API endpoints: actix serves exactly these and
//! the OpenAPI document is generated from exactly these, so the two cannot drift (and tests that
//! must cover "every endpoint" can read the document).

pub(crate) mod auth;
#[cfg(feature = "bench-baseline")]
pub mod baseline;
pub(crate) mod company;
pub(crate) mod deployment;
pub(crate) mod devices;
mod downloads;
pub(crate) mod group_file;
pub(crate) mod groups;
mod health;
mod me;
pub mod openapi;
mod plugins;
pub(crate) mod settings;
pub(crate) mod tokens;
pub(crate) mod users;

use actix_web::HttpResponse;
use actix_web::http::header::ContentType;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::error::ApiError;
use tenantry_storage::{Cursor, PageRequest};

/// The paging of a list request, validated.
pub(crate) fn page_request(
    limit: Option<i64>,
    cursor: Option<&str>,
) -> Result<PageRequest, ApiError> {
    let after = cursor.map(Cursor::parse).transpose()?;
    Ok(PageRequest::new(limit, after)?)
}

pub use health::{healthz, metrics, readyz};

/// Every endpoint under `/api/v1`. All but login need a caller (the OpenAPI document marks
/// them with the `bearer` security requirement).
pub fn api(cfg: &mut ServiceConfig<'_>) {
    cfg.service(auth::login)
        .service(auth::logout)
        .service(me::me)
        .service(plugins::list_plugins)
        .service(groups::create_group)
        .service(groups::get_group)
        .service(groups::update_group)
        .service(groups::delete_group)
        .service(groups::list_children)
        .service(groups::list_descendants)
        .service(groups::list_ancestors)
        .service(groups::group_modules)
        .service(group_file::import_groups)
        .service(group_file::export_groups)
        .service(company::get_company)
        .service(company::put_company)
        .service(users::list_users)
        .service(users::create_user)
        .service(users::get_user)
        .service(users::update_user)
        .service(users::delete_user)
        .service(users::unlock_user)
        .service(tokens::list_tokens)
        .service(tokens::create_token)
        .service(tokens::revoke_token)
        .service(devices::list_devices)
        .service(devices::device_counts)
        .service(devices::create_device)
        .service(devices::get_device)
        .service(devices::update_device)
        .service(devices::delete_device)
        .service(devices::report_session)
        .service(devices::device_history)
        .service(devices::generate_passphrase)
        .service(deployment::create_token)
        .service(deployment::list_tokens)
        .service(deployment::revoke_token)
        .service(deployment::enroll)
        .service(downloads::list_downloads)
        .service(downloads::download)
        .service(settings::list_profiles)
        .service(settings::create_profile)
        .service(settings::get_profile)
        .service(settings::update_profile)
        .service(settings::delete_profile)
        .service(settings::list_policies)
        .service(settings::create_policy)
        .service(settings::get_policy)
        .service(settings::update_policy)
        .service(settings::delete_policy)
        .service(settings::get_backup_defaults)
        .service(settings::update_backup_defaults);
}

/// A page of groups as JSON, written into a buffer sized for it up front: a page of 100 groups
/// is about 30 kB, and growing a buffer to that size by doubling copied it six times over.
pub(crate) fn page_response(
    page: &tenantry_api_types::GroupPage,
) -> Result<HttpResponse, ApiError> {
    const BYTES_PER_GROUP: usize = 400;
    let mut body = Vec::with_capacity(64 + page.items.len() * BYTES_PER_GROUP);
    serde_json::to_writer(&mut body, page).map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type(ContentType::json())
        .body(body))
}
