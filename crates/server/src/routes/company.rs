//! A group's company profile: `/api/v1/groups/{id}/company`.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, put, web};
use tenantry_api_types::{CompanyProfile, ErrorBody};
use tenantry_domain::{Action, GroupId};
use tenantry_storage::groups;

use crate::caller::Caller;
use crate::error::ApiError;
use crate::etag::{etag, required_version};
use crate::extract::JsonBody;
use crate::state::AppState;

const KIND: &str = "company";

fn ok_with_etag(id: GroupId, profile: CompanyProfile, version: i64) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::ETAG, etag(KIND, id.0, version)))
        .json(profile)
}

/// The group's company profile (every field `null` until one is saved).
#[utoipa::path(
    tag = "groups",
    params(("id" = i64, Path, description = "Group id")),
    responses(
        (status = 200, description = "The profile; `ETag` carries its version", body = CompanyProfile),
        (status = 404, description = "No such group in the caller's subtree", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/groups/{id}/company")]
pub async fn get_company(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = GroupId(id.into_inner());
    let (profile, version) = state
        .read(move |c| {
            caller.group(c, id, Action::ViewGroup)?;
            groups::get_company(c, &caller.scope, id)
        })
        .await?;
    Ok(ok_with_etag(id, profile, version))
}

/// Replaces the group's company profile; fields left out or `null` are cleared.
#[utoipa::path(
    tag = "groups",
    params(
        ("id" = i64, Path, description = "Group id"),
        ("If-Match" = Option<String>, Header, description = "The ETag the change is based on"),
    ),
    request_body = CompanyProfile,
    responses(
        (status = 200, description = "The saved profile", body = CompanyProfile),
        (status = 404, description = "No such group in the caller's subtree", body = ErrorBody),
        (status = 412, description = "`precondition_failed`", body = ErrorBody),
        (status = 422, description = "`validation_failed`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[put("/groups/{id}/company")]
pub async fn put_company(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<i64>,
    body: JsonBody<CompanyProfile>,
) -> Result<HttpResponse, ApiError> {
    let id = GroupId(id.into_inner());
    let if_match = required_version(&req, KIND, id.0)?;
    let profile = body.0.validated()?;
    let now = tenantry_storage::now();
    let (profile, version) = state
        .write(move |w| {
            caller.group(w.conn(), id, Action::EditCompanyProfile)?;
            groups::put_company(w, &caller.scope, id, profile, if_match, now)
        })
        .await?;
    Ok(ok_with_etag(id, profile, version))
}
