//! Devices: `/api/v1/groups/{id}/devices` and `/api/v1/devices/{id}`.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use chrono::SubsecRound;
use tenantry_api_types::{
    CreateDevice, CreatedDevice, DeviceBody, DeviceCount, DeviceCounts, DevicePage, DevicesQuery,
    ErrorBody, HistoryBody, HistoryDayBody, PassphraseBody, PassphraseRequest, SessionReportBody,
    UpdateDevice,
};
use tenantry_domain::{
    Action, Device, DeviceId, DomainError, GroupId, SessionReport, SessionStatus,
    parse_device_name, parse_os,
};
use tenantry_storage::devices::{self, DeviceChanges, DeviceFilter, DeviceSort, NewDevice};
use tenantry_storage::{DbConnection, StoreError, groups};

use super::page_request;
use crate::auth::{password, token};
use crate::caller::Caller;
use crate::device_caller::DeviceCaller;
use crate::error::ApiError;
use crate::etag::{etag, required_version};
use crate::extract::{JsonBody, OptionalJsonBody};
use crate::state::AppState;

const KIND: &str = "device";

pub(crate) fn device_body(device: Device) -> DeviceBody {
    DeviceBody {
        id: device.id.0,
        group_id: device.group_id.0,
        name: device.name,
        os: device.os,
        enrolled: device.enrolled,
        status: device.status,
        selected_bytes: device.selected_bytes,
        used_bytes: device.used_bytes,
        last_session_at: device.last_session_at,
        version: device.version,
        created_at: device.created_at,
        updated_at: device.updated_at,
        passphrase_by: device.passphrase_by.map(|u| u.0),
        passphrase_at: device.passphrase_at,
        profile_id: device.profile_id,
        retention_policy_id: device.retention_policy_id,
        machine_id: device.machine_id,
    }
}

fn ok_with_etag(device: Device) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::ETAG, etag(KIND, device.id.0, device.version)))
        .json(device_body(device))
}

/// A device in the caller's scope, once `action` is allowed on its group.
fn device_target(
    c: &mut DbConnection,
    caller: &Caller,
    id: DeviceId,
    action: Action,
) -> Result<Device, StoreError> {
    let device = devices::get(c, &caller.scope, id)?;
    caller.group(c, device.group_id, action)?;
    Ok(device)
}

/// How many devices each group of the subtree holds itself: for a tree view with counts, in
/// one request whatever the subtree's size.
#[utoipa::path(
    tag = "devices",
    params(("id" = i64, Path, description = "Group id")),
    responses(
        (status = 200, description = "Each group with devices, and how many", body = DeviceCounts),
        (status = 404, description = "No such group in the caller's subtree", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/groups/{id}/device-counts")]
pub async fn device_counts(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = GroupId(id.into_inner());
    let counts = state
        .read(move |c| {
            let group = caller.group(c, id, Action::ViewDevices)?;
            devices::counts(c, &group)
        })
        .await?;
    Ok(HttpResponse::Ok().json(DeviceCounts {
        items: counts
            .into_iter()
            .map(|(group_id, devices)| DeviceCount { group_id, devices })
            .collect(),
    }))
}

/// The devices of a group, or of its whole subtree: filtered, sorted, a page at a time.
#[utoipa::path(
    tag = "devices",
    params(("id" = i64, Path, description = "Group id"), DevicesQuery),
    responses(
        (status = 200, description = "One page of devices", body = DevicePage),
        (status = 404, description = "No such group in the caller's subtree", body = ErrorBody),
        (status = 422, description = "`validation_failed`: a bad filter, limit or cursor", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/groups/{id}/devices")]
pub async fn list_devices(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
    query: web::Query<DevicesQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = GroupId(id.into_inner());
    let query = query.into_inner();
    let page = page_request(query.limit, query.cursor.as_deref())?;
    let filter = device_filter(query)?;
    let found = state
        .read(move |c| {
            let group = caller.group(c, id, Action::ViewDevices)?;
            devices::list(c, &group, &filter, &page)
        })
        .await?;
    Ok(HttpResponse::Ok().json(DevicePage {
        has_more: found.next.is_some(),
        next_cursor: found.next.map(|c| c.token().to_owned()),
        items: found.items.into_iter().map(device_body).collect(),
    }))
}

/// A listing's query as the storage layer's filter, every value checked (API and console).
pub(crate) fn device_filter(query: DevicesQuery) -> Result<DeviceFilter, ApiError> {
    let status = match query.status.as_deref() {
        None => None,
        Some("none") => Some(None),
        Some(text) => Some(Some(SessionStatus::parse(text).ok_or_else(|| {
            DomainError::invalid(
                "status",
                "must be completed, failed, with_errors, aborted or none",
            )
        })?)),
    };
    let clean =
        |value: Option<String>| value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    let now = tenantry_storage::now();
    let hours_ago = |field: &'static str, hours: Option<i64>| match hours {
        None => Ok(None),
        Some(h) if (1..=87_600).contains(&h) => Ok(Some(now - chrono::Duration::hours(h))),
        Some(_) => Err(DomainError::invalid(
            field,
            "must be between 1 and 87600 hours",
        )),
    };
    let sort = match query.sort.as_deref() {
        None => DeviceSort::Tree,
        Some(text) => DeviceSort::parse(text).ok_or_else(|| {
            DomainError::invalid(
                "sort",
                "must be tree, name, used_bytes or last_session_at (with a leading - to reverse \
                 all but tree)",
            )
        })?,
    };
    let filter = DeviceFilter {
        descendants: query.descendants.unwrap_or(false),
        status,
        os: clean(query.os),
        name: clean(query.name),
        last_session_before: hours_ago(
            "last_session_older_than_hours",
            query.last_session_older_than_hours,
        )?,
        last_session_since: hours_ago(
            "last_session_within_hours",
            query.last_session_within_hours,
        )?,
        sort,
    };
    if let Some(name) = &filter.name {
        parse_device_name(name)?;
    }
    Ok(filter)
}

/// Adds a device to a group by hand (SuperUsers; devices that install themselves come through
/// Quick Installation).
#[utoipa::path(
    tag = "devices",
    params(("id" = i64, Path, description = "Group id")),
    request_body = CreateDevice,
    responses(
        (status = 201, description = "Added; `Location` names the device; `credential` (shown once) is what the device reports with", body = CreatedDevice),
        (status = 403, description = "`forbidden`", body = ErrorBody),
        (status = 404, description = "No such group in the caller's subtree", body = ErrorBody),
        (status = 409, description = "`not_available`: the profile or policy is not one the group may use", body = ErrorBody),
        (status = 422, description = "`validation_failed`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/groups/{id}/devices")]
pub async fn create_device(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
    body: JsonBody<CreateDevice>,
) -> Result<HttpResponse, ApiError> {
    let id = GroupId(id.into_inner());
    let body = body.0;
    let name = parse_device_name(&body.name)?;
    let os = parse_os(&body.os)?;
    let now = tenantry_storage::now();
    let (credential, credential_hash) =
        token::generate_device_credential().map_err(ApiError::internal)?;
    let device = state
        .write(move |w| {
            caller.group(w.conn(), id, Action::AddDevices)?;
            let new = NewDevice {
                group: id,
                name: &name,
                os: &os,
                enrolled: false,
                machine_id: None,
                credential_hash: Some(&credential_hash),
                profile_id: body.profile_id,
                retention_policy_id: body.retention_policy_id,
            };
            devices::create(w, &caller.scope, &new, now)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/devices/{}", device.id)))
        .insert_header((header::ETAG, etag(KIND, device.id.0, device.version)))
        .json(CreatedDevice {
            credential,
            device: device_body(device),
        }))
}

/// One device.
#[utoipa::path(
    tag = "devices",
    params(("id" = i64, Path, description = "Device id")),
    responses(
        (status = 200, description = "The device; `ETag` carries its version", body = DeviceBody),
        (status = 404, description = "No such device in the caller's subtree", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/devices/{id}")]
pub async fn get_device(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = DeviceId(id.into_inner());
    let device = state
        .read(move |c| device_target(c, &caller, id, Action::ViewDevices))
        .await?;
    Ok(ok_with_etag(device))
}

/// Renames a device, changes its OS, or moves it to another group in the caller's subtree
/// (SuperUsers and Managers, on both groups).
#[utoipa::path(
    tag = "devices",
    params(
        ("id" = i64, Path, description = "Device id"),
        ("If-Match" = Option<String>, Header, description = "The ETag the change is based on"),
    ),
    request_body = UpdateDevice,
    responses(
        (status = 200, description = "The changed device", body = DeviceBody),
        (status = 403, description = "`forbidden`", body = ErrorBody),
        (status = 404, description = "No such device in the caller's subtree", body = ErrorBody),
        (status = 412, description = "`precondition_failed`", body = ErrorBody),
        (status = 422, description = "`validation_failed` (a bad name or an unknown group)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[patch("/devices/{id}")]
pub async fn update_device(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<i64>,
    body: JsonBody<UpdateDevice>,
) -> Result<HttpResponse, ApiError> {
    let id = DeviceId(id.into_inner());
    let if_match = required_version(&req, KIND, id.0)?;
    let device = update(&state, &caller, id, body.0, if_match).await?;
    Ok(ok_with_etag(device))
}

/// Changes a device (name, OS, group, profile, retention policy): the one way, for the API and
/// the console alike.
pub(crate) async fn update(
    state: &AppState,
    caller: &Caller,
    id: DeviceId,
    body: UpdateDevice,
    if_match: Option<i64>,
) -> Result<Device, ApiError> {
    let changes = DeviceChanges {
        name: body.name.as_deref().map(parse_device_name).transpose()?,
        os: body.os.as_deref().map(parse_os).transpose()?,
        group_id: body.group_id.map(GroupId),
        profile_id: body.profile_id,
        retention_policy_id: body.retention_policy_id,
    };
    let now = tenantry_storage::now();
    let caller = caller.clone();
    let device = state
        .write(move |w| {
            device_target(w.conn(), &caller, id, Action::ManageDevices)?;
            if let Some(to) = changes.group_id {
                // Managed at the destination too; a group out of reach is an unknown one.
                let destination =
                    groups::get(w.conn(), &caller.scope, to).map_err(|e| match e {
                        StoreError::Domain(DomainError::NotFound { .. }) => {
                            DomainError::invalid("group_id", format!("group {to} not found")).into()
                        }
                        other => other,
                    })?;
                caller.authorize(Action::ManageDevices, &destination)?;
            }
            devices::update(w, &caller.scope, id, changes, if_match, now)
        })
        .await?;
    Ok(device)
}

/// Removes a device (SuperUsers and Managers).
#[utoipa::path(
    tag = "devices",
    params(
        ("id" = i64, Path, description = "Device id"),
        ("If-Match" = Option<String>, Header, description = "The ETag the removal is based on"),
    ),
    responses(
        (status = 204, description = "Removed"),
        (status = 403, description = "`forbidden`", body = ErrorBody),
        (status = 404, description = "No such device in the caller's subtree", body = ErrorBody),
        (status = 412, description = "`precondition_failed`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[delete("/devices/{id}")]
pub async fn delete_device(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = DeviceId(id.into_inner());
    let if_match = required_version(&req, KIND, id.0)?;
    state
        .write(move |w| {
            device_target(w.conn(), &caller, id, Action::ManageDevices)?;
            devices::delete(w, &caller.scope, id, if_match)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A device reports one backup session, with its own credential (`Authorization: Bearer tdv_…`),
/// not a user's token. Its status, sizes and last session follow the newest report, and the
/// day's history row counts it.
#[utoipa::path(
    tag = "devices",
    params(("id" = i64, Path, description = "Device id (the reporting device's own)")),
    request_body = SessionReportBody,
    responses(
        (status = 201, description = "Recorded; the device as it now stands", body = DeviceBody),
        (status = 401, description = "`unauthenticated`: not a device credential", body = ErrorBody),
        (status = 404, description = "Not this credential's device", body = ErrorBody),
        (status = 422, description = "`validation_failed`: sizes, counts or times", body = ErrorBody),
    ),
    security(("device" = []))
)]
#[post("/devices/{id}/sessions")]
pub async fn report_session(
    state: web::Data<AppState>,
    device: DeviceCaller,
    id: web::Path<i64>,
    body: JsonBody<SessionReportBody>,
) -> Result<HttpResponse, ApiError> {
    // A credential speaks for its own device only; any other id is one it cannot see.
    if device.0.id.0 != id.into_inner() {
        return Err(DomainError::NotFound { what: "device" }.into());
    }
    let now = tenantry_storage::now();
    let body = body.0;
    // Microseconds, like every timestamp the server keeps (PostgreSQL keeps no more).
    let report = SessionReport {
        started_at: body.started_at.trunc_subsecs(6),
        ended_at: body.ended_at.trunc_subsecs(6),
        status: body.status,
        selected_bytes: body.selected_bytes,
        used_bytes: body.used_bytes,
        files: body.files,
        errors: body.errors,
    }
    .check(now)?;
    let id = device.0.id;
    let device = state
        .write(move |w| devices::report(w, id, &report, now))
        .await?;
    Ok(HttpResponse::Created().json(device_body(device)))
}

/// A device's history: one row per day with sessions, oldest first.
#[utoipa::path(
    tag = "devices",
    params(("id" = i64, Path, description = "Device id")),
    responses(
        (status = 200, description = "The device's days", body = HistoryBody),
        (status = 404, description = "No such device in the caller's subtree", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/devices/{id}/history")]
pub async fn device_history(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = DeviceId(id.into_inner());
    let days = state
        .read(move |c| {
            let device = device_target(c, &caller, id, Action::ViewDevices)?;
            devices::history(c, &device)
        })
        .await?;
    Ok(HttpResponse::Ok().json(HistoryBody {
        device_id: id.0,
        days: days
            .into_iter()
            .map(|d| HistoryDayBody {
                day: d.day,
                sessions: d.sessions,
                sessions_with_errors: d.sessions_with_errors,
                selected_bytes: d.selected_bytes,
                used_bytes: d.used_bytes,
            })
            .collect(),
    }))
}

/// Generates a new passphrase for a device (for re-installation or recovery of an encrypted
/// device): Security Officers only, where Quick Installation and passphrases are available. The
/// passphrase is in this answer only; its hash is kept, with who generated it and when. A
/// device that has one keeps it unless the body says `"replace": true`.
#[utoipa::path(
    tag = "devices",
    params(("id" = i64, Path, description = "Device id")),
    request_body(content = Option<PassphraseRequest>, description = "Optional; `replace` is required to replace an existing passphrase"),
    responses(
        (status = 201, description = "The passphrase, shown only now", body = PassphraseBody),
        (status = 401, description = "`unauthenticated`", body = ErrorBody),
        (status = 409, description = "`conflict`: the device has a passphrase and `replace` was not given", body = ErrorBody),
        (status = 422, description = "`validation_failed`: the body is not a passphrase request", body = ErrorBody),
        (status = 403, description = "`forbidden` (not a Security Officer) or `module_unavailable` (Distributor, Sub-distributor)", body = ErrorBody),
        (status = 404, description = "No such device in the caller's subtree", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/devices/{id}/passphrase")]
pub async fn generate_passphrase(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
    body: OptionalJsonBody<PassphraseRequest>,
) -> Result<HttpResponse, ApiError> {
    let replace = body.0.replace;
    let passphrase = passphrase(&state, &caller, DeviceId(id.into_inner()), replace).await?;
    Ok(HttpResponse::Created().json(passphrase))
}

/// Generates a device's passphrase, shown once (Security Officers): the one way, for the API and
/// the console alike. Replacing one is logged: the old passphrase stops opening new restores.
pub(crate) async fn passphrase(
    state: &AppState,
    caller: &Caller,
    id: DeviceId,
    replace: bool,
) -> Result<PassphraseBody, ApiError> {
    // Allowed before the (deliberately slow) hashing, and checked again when it is written.
    let who = caller.clone();
    state
        .read(move |c| device_target(c, &who, id, Action::GeneratePassphrases))
        .await?;
    let passphrase = token::random_password().map_err(ApiError::internal)?;
    let secret = passphrase.clone();
    let hash = state.compute(move || password::hash(&secret)).await?;
    let now = tenantry_storage::now();
    let by = caller.actor.user_id;
    let caller = caller.clone();
    let device = state
        .write(move |w| {
            let caller = caller.refreshed(w.conn())?;
            device_target(w.conn(), &caller, id, Action::GeneratePassphrases)?;
            devices::set_passphrase(w, &caller.scope, id, &hash, by, replace, now)
        })
        .await?;
    if replace {
        log::warn!("device {id}: passphrase generated by user {by} (replacing any earlier one)");
    }
    Ok(PassphraseBody {
        device_id: device.id.0,
        passphrase,
        generated_by: by.0,
        generated_at: now,
    })
}
