//! Quick Installation: a group's deployment tokens (`/api/v1/groups/{id}/deployment-tokens`) and
//! the enrolment of machines with them (`POST /api/v1/enroll`, no user token).

use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, post, web};
use chrono::Duration;
use tenantry_api_types::{
    CreateDeploymentToken, CreatedDeploymentToken, DeploymentTokenBody, DeploymentTokenList,
    EnrollRequest, EnrolledDevice, ErrorBody, ErrorCode,
};
use tenantry_domain::{
    Action, DomainError, Group, GroupId, Module, parse_device_name, parse_display_name,
    parse_machine_id, parse_os,
};
use tenantry_storage::devices::deployment::{
    self, DeploymentToken, Enrolling, Enrolment, NewDeploymentToken, Refusal,
};
use tenantry_storage::{DbConnection, StoreError};

use super::devices::device_body;
use crate::auth::token;
use crate::caller::Caller;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::state::AppState;

/// A token's life when the request names none, and the longest allowed.
const DEFAULT_LIFETIME: Duration = Duration::days(7);
const MAX_LIFETIME: Duration = Duration::days(90);

fn token_body(token: DeploymentToken) -> DeploymentTokenBody {
    DeploymentTokenBody {
        id: token.id,
        group_id: token.group_id,
        name: token.name,
        created_by: token.created_by,
        created_at: token.created_at.and_utc(),
        expires_at: token.expires_at.and_utc(),
        max_uses: token.max_uses,
        uses: token.uses,
        revoked_at: token.revoked_at.map(|t| t.and_utc()),
    }
}

/// Whether machines may enrol into the group now: its level has Quick Installation, and the
/// group has automatic deployment switched on.
pub(crate) fn quick_installation_on(group: &Group) -> bool {
    Module::QuickInstallation.is_available_at(group.level) && group.automatic_deployment
}

/// The group, found within the caller's scope, once it may deploy there.
pub(crate) fn deploying_group(
    c: &mut DbConnection,
    caller: &Caller,
    id: GroupId,
) -> Result<Group, StoreError> {
    let group = caller.group(c, id, Action::DeployDevices)?;
    Ok(group)
}

/// Issues a deployment token (SuperUsers and Managers, where Quick Installation is available and
/// switched on for the group). The token is in this answer only.
#[utoipa::path(
    tag = "devices",
    params(("id" = i64, Path, description = "Group id")),
    request_body = CreateDeploymentToken,
    responses(
        (status = 201, description = "The token, shown only now", body = CreatedDeploymentToken),
        (status = 403, description = "`module_unavailable` at Distributor and Sub-distributor, or `forbidden`", body = ErrorBody),
        (status = 404, description = "No such group in the caller's subtree", body = ErrorBody),
        (status = 409, description = "`conflict`: automatic deployment is off for the group", body = ErrorBody),
        (status = 422, description = "`validation_failed`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/groups/{id}/deployment-tokens")]
pub async fn create_token(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
    body: JsonBody<CreateDeploymentToken>,
) -> Result<HttpResponse, ApiError> {
    let id = GroupId(id.into_inner());
    let created = create(&state, &caller, id, body.0).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!(
                "/api/v1/groups/{}/deployment-tokens/{}",
                id, created.details.id
            ),
        ))
        .json(created))
}

/// A group's deployment tokens, newest first (never the tokens themselves).
/// Creates a Quick Installation token, shown once: the one way, for the API and the console.
pub(crate) async fn create(
    state: &AppState,
    caller: &Caller,
    id: GroupId,
    body: CreateDeploymentToken,
) -> Result<CreatedDeploymentToken, ApiError> {
    let now = tenantry_storage::now();
    let expires_at = body.expires_at.unwrap_or(now + DEFAULT_LIFETIME);
    if expires_at <= now || expires_at > now + MAX_LIFETIME {
        return Err(DomainError::invalid(
            "expires_at",
            format!(
                "must be in the future and at most {} days away",
                MAX_LIFETIME.num_days()
            ),
        )
        .into());
    }
    if body.max_uses.is_some_and(|n| !(1..=1_000_000).contains(&n)) {
        return Err(DomainError::invalid("max_uses", "must be between 1 and 1000000").into());
    }
    let name = match &body.name {
        Some(raw) => parse_display_name(raw)?,
        None => None,
    };
    let (secret, hash) = token::generate_with_prefix("tdp_").map_err(ApiError::internal)?;
    let created_by = caller.actor.user_id;
    let max_uses = body.max_uses;
    let caller = caller.clone();
    let created = state
        .write(move |w| {
            let group = deploying_group(w.conn(), &caller, id)?;
            if !group.automatic_deployment {
                return Err(DomainError::Conflict {
                    message: "automatic deployment is off for this group: switch it on first"
                        .to_owned(),
                }
                .into());
            }
            let new = NewDeploymentToken {
                group: id,
                token_hash: &hash,
                name: name.as_deref(),
                created_by,
                expires_at,
                max_uses,
            };
            deployment::create(w, &new, now)
        })
        .await?;
    Ok(CreatedDeploymentToken {
        token: secret,
        details: token_body(created),
    })
}

#[utoipa::path(
    tag = "devices",
    params(("id" = i64, Path, description = "Group id")),
    responses(
        (status = 200, description = "The tokens", body = DeploymentTokenList),
        (status = 404, description = "No such group in the caller's subtree", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/groups/{id}/deployment-tokens")]
pub async fn list_tokens(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let items = list(&state, &caller, GroupId(id.into_inner())).await?;
    Ok(HttpResponse::Ok().json(DeploymentTokenList { items }))
}

/// A group's Quick Installation tokens (API and console).
pub(crate) async fn list(
    state: &AppState,
    caller: &Caller,
    id: GroupId,
) -> Result<Vec<DeploymentTokenBody>, ApiError> {
    let caller = caller.clone();
    let tokens = state
        .read(move |c| {
            deploying_group(c, &caller, id)?;
            deployment::list(c, id)
        })
        .await?;
    Ok(tokens.into_iter().map(token_body).collect())
}

/// Revokes a deployment token: no machine enrols with it any more.
#[utoipa::path(
    tag = "devices",
    params(
        ("id" = i64, Path, description = "Group id"),
        ("tid" = i64, Path, description = "Token id"),
    ),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, description = "No such group or token in the caller's subtree", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[delete("/groups/{id}/deployment-tokens/{tid}")]
pub async fn revoke_token(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, ApiError> {
    let (id, tid) = path.into_inner();
    revoke(&state, &caller, GroupId(id), tid).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Revokes a Quick Installation token (API and console).
pub(crate) async fn revoke(
    state: &AppState,
    caller: &Caller,
    id: GroupId,
    tid: i64,
) -> Result<(), ApiError> {
    let now = tenantry_storage::now();
    let caller = caller.clone();
    state
        .write(move |w| {
            deploying_group(w.conn(), &caller, id)?;
            deployment::revoke(w, id, tid, now)
        })
        .await
}

/// A machine enrols itself with a deployment token and gets its own credential (shown once).
/// Unknown, revoked, expired and used-up tokens all get the same 401. A machine that sends its
/// `machine_id` and is enrolled already in the token's group's subtree keeps its device (200,
/// `taken_over`); one enrolled elsewhere is refused (409).
#[utoipa::path(
    tag = "devices",
    request_body = EnrollRequest,
    responses(
        (status = 201, description = "Enrolled as a new device; `credential` is the device's own, shown once", body = EnrolledDevice),
        (status = 200, description = "The machine was enrolled already in the token's subtree: its device is taken over with the new `credential` (shown once); the old one no longer works", body = EnrolledDevice),
        (status = 401, description = "`unauthenticated`: the token is not valid", body = ErrorBody),
        (status = 409, description = "`conflict`: the machine is enrolled already outside the token's group's subtree; remove that device first", body = ErrorBody),
        (status = 422, description = "`validation_failed`: name, OS or machine id", body = ErrorBody),
    )
)]
#[post("/enroll")]
pub async fn enroll(
    state: web::Data<AppState>,
    body: JsonBody<EnrollRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.0;
    let name = parse_device_name(&body.name)?;
    let os = parse_os(&body.os)?;
    let machine_id = body
        .machine_id
        .as_deref()
        .map(parse_machine_id)
        .transpose()?;
    let token_hash = token::hash(body.token.trim());
    let (credential, credential_hash) =
        token::generate_device_credential().map_err(ApiError::internal)?;
    let now = tenantry_storage::now();
    let outcome = state
        .write(move |w| {
            let machine = Enrolling {
                name: &name,
                os: &os,
                machine_id: machine_id.as_deref(),
                credential_hash: &credential_hash,
            };
            deployment::enroll(w, &token_hash, &machine, quick_installation_on, now)
        })
        .await?;
    match outcome {
        Ok(Enrolment { device, taken_over }) => {
            let mut answer = if taken_over {
                HttpResponse::Ok()
            } else {
                HttpResponse::Created()
            };
            Ok(answer
                .insert_header((header::LOCATION, format!("/api/v1/devices/{}", device.id)))
                .json(EnrolledDevice {
                    credential,
                    taken_over,
                    device: device_body(device),
                }))
        }
        Err(Refusal::EnrolledElsewhere) => Err(ApiError::new(
            ErrorCode::Conflict,
            "this machine is enrolled already, outside this token's group: remove its device \
             there (or move it here) first",
        )),
        Err(refusal) => {
            log::info!("enrolment refused: {refusal:?}");
            Err(ApiError::new(
                ErrorCode::Unauthenticated,
                "the deployment token is not valid",
            ))
        }
    }
}
