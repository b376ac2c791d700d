//! Backup profiles (`/api/v1/groups/{id}/profiles`, `/api/v1/profiles/{id}`) and retention
//! policies (`/api/v1/groups/{id}/retention-policies`, `/api/v1/retention-policies/{id}`): one
//! implementation, two kinds.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use serde::Serialize;
use tenantry_api_types::{
    BackupDefaults, BackupDefaultsBody, CreateProfile, CreateRetentionPolicy, ErrorBody, ListQuery,
    SettingBody, SettingPage, UpdateBackupDefaults, UpdateProfile, UpdateRetentionPolicy,
};
use tenantry_domain::{Action, DomainError, GroupId, SettingKind, TreePath, parse_setting_name};
use tenantry_storage::backup_defaults;
use tenantry_storage::settings::{self, Setting};
use tenantry_storage::{DbConnection, StoreError, groups};

use super::page_request;
use crate::caller::Caller;
use crate::error::ApiError;
use crate::etag::{etag, required_version};
use crate::extract::JsonBody;
use crate::state::AppState;

fn etag_kind(kind: SettingKind) -> &'static str {
    match kind {
        SettingKind::Profile => "profile",
        SettingKind::RetentionPolicy => "retention-policy",
    }
}

pub(crate) fn actions(kind: SettingKind) -> (Action, Action) {
    match kind {
        SettingKind::Profile => (Action::ViewProfiles, Action::ManageProfiles),
        SettingKind::RetentionPolicy => (
            Action::ViewRetentionPolicies,
            Action::ManageRetentionPolicies,
        ),
    }
}

/// A setting as the caller sees it: its owner named only within the caller's reach, and
/// `locked` where the caller (or the group it is listed for) may use it but not change it.
/// Stored fields that do not read as JSON are an error (500 `internal`), never shown as empty.
pub(crate) fn body(
    kind: SettingKind,
    setting: Setting,
    owner_shown: bool,
    locked: bool,
) -> Result<SettingBody, StoreError> {
    let settings = serde_json::from_str(&setting.settings).map_err(|e| {
        StoreError::Corrupt(format!(
            "the fields of setting {} do not read: {e}",
            setting.id
        ))
    })?;
    Ok(SettingBody {
        id: setting.id,
        kind,
        group_id: owner_shown.then_some(setting.group_id),
        name: setting.name,
        settings,
        locked: locked || setting.is_default,
        default: setting.is_default,
        version: setting.version,
        created_at: setting.created_at.and_utc(),
        updated_at: setting.updated_at.and_utc(),
    })
}

/// Whether `owner` (an ancestor-or-self of the group at `path`) lies within the caller's reach.
fn within(caller: &Caller, path: &TreePath, owner: i64) -> bool {
    let ids = path.ids();
    let caller_at = ids.iter().position(|g| *g == caller.group_id());
    let owner_at = ids.iter().position(|g| g.0 == owner);
    matches!((caller_at, owner_at), (Some(c), Some(o)) if o >= c)
}

fn to_json<T: Serialize>(value: &T) -> Result<String, ApiError> {
    serde_json::to_string(value).map_err(ApiError::internal)
}

async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    kind: SettingKind,
    id: GroupId,
    query: ListQuery,
) -> Result<HttpResponse, ApiError> {
    let page = page_request(query.limit, query.cursor.as_deref())?;
    Ok(HttpResponse::Ok().json(listed(&state, &caller, kind, id, page).await?))
}

/// The settings of a kind a group may use: its own and its ancestors' (`locked`), for the API
/// and the console alike.
pub(crate) async fn listed(
    state: &AppState,
    caller: &Caller,
    kind: SettingKind,
    id: GroupId,
    page: tenantry_storage::PageRequest,
) -> Result<SettingPage, ApiError> {
    let who = caller.clone();
    let (found, group) = state
        .read(move |c| {
            let group = who.group(c, id, actions(kind).0)?;
            let found = settings::usable_by(c, kind, &group, &page)?;
            Ok((found, group))
        })
        .await?;
    Ok(SettingPage {
        has_more: found.next.is_some(),
        next_cursor: found.next.map(|c| c.token().to_owned()),
        items: found
            .items
            .into_iter()
            .map(|s| {
                let shown = within(caller, &group.path, s.group_id);
                let locked = s.group_id != group.id.0;
                body(kind, s, shown, locked)
            })
            .collect::<Result<_, _>>()?,
    })
}

async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    kind: SettingKind,
    id: GroupId,
    name: String,
    fields: String,
) -> Result<HttpResponse, ApiError> {
    let created = created(&state, &caller, kind, id, name, fields).await?;
    let path = match kind {
        SettingKind::Profile => "profiles",
        SettingKind::RetentionPolicy => "retention-policies",
    };
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/{path}/{}", created.id)))
        .insert_header((
            header::ETAG,
            etag(etag_kind(kind), created.id, created.version),
        ))
        .json(body(kind, created, true, false)?))
}

/// Creates a setting owned by a group (its fields already validated and serialised): the one
/// way, for the API and the console alike.
pub(crate) async fn created(
    state: &AppState,
    caller: &Caller,
    kind: SettingKind,
    id: GroupId,
    name: String,
    fields: String,
) -> Result<Setting, ApiError> {
    let name = parse_setting_name(&name)?;
    let now = tenantry_storage::now();
    let caller = caller.clone();
    state
        .write(move |w| {
            let group = caller.group(w.conn(), id, actions(kind).1)?;
            settings::create(w, kind, &group, &name, &fields, now)
        })
        .await
}

pub(crate) fn viewed(
    c: &mut DbConnection,
    caller: &Caller,
    kind: SettingKind,
    id: i64,
) -> Result<(Setting, bool), StoreError> {
    let setting = settings::visible(c, kind, &caller.scope, id)?;
    let own = settings::owned_within(c, &caller.scope, &setting)?;
    let where_viewed = if own {
        GroupId(setting.group_id)
    } else {
        caller.group_id()
    };
    caller.group(c, where_viewed, actions(kind).0)?;
    Ok((setting, own))
}

async fn read(
    state: web::Data<AppState>,
    caller: Caller,
    kind: SettingKind,
    id: i64,
) -> Result<HttpResponse, ApiError> {
    let (setting, own) = state.read(move |c| viewed(c, &caller, kind, id)).await?;
    Ok(HttpResponse::Ok()
        .insert_header((
            header::ETAG,
            etag(etag_kind(kind), setting.id, setting.version),
        ))
        .json(body(kind, setting, own, !own)?))
}

#[allow(clippy::too_many_arguments)]
async fn change(
    state: web::Data<AppState>,
    caller: Caller,
    kind: SettingKind,
    id: i64,
    if_match: Option<i64>,
    name: Option<String>,
    fields: Option<String>,
) -> Result<HttpResponse, ApiError> {
    let changed = changed(&state, &caller, kind, id, if_match, name, fields).await?;
    Ok(HttpResponse::Ok()
        .insert_header((
            header::ETAG,
            etag(etag_kind(kind), changed.id, changed.version),
        ))
        .json(body(kind, changed, true, false)?))
}

/// Changes a setting's name and/or fields (by those who manage its owner): the one way, for the
/// API and the console alike.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn changed(
    state: &AppState,
    caller: &Caller,
    kind: SettingKind,
    id: i64,
    if_match: Option<i64>,
    name: Option<String>,
    fields: Option<String>,
) -> Result<Setting, ApiError> {
    let name = name.as_deref().map(parse_setting_name).transpose()?;
    let now = tenantry_storage::now();
    let caller = caller.clone();
    state
        .write(move |w| {
            let (setting, _) = viewed(w.conn(), &caller, kind, id)?;
            owner_may_change(w.conn(), &caller, kind, &setting)?;
            settings::update(
                w,
                kind,
                &caller.scope,
                id,
                name.as_deref(),
                fields.as_deref(),
                if_match,
                now,
            )
        })
        .await
}

/// The change rule of a setting the caller may see: by those who manage its owner. One owned
/// above the caller's group (inherited, readable from below) is not found there, and storage
/// refuses changing it as locked; any other failure to read the owner stays an error.
fn owner_may_change(
    c: &mut DbConnection,
    caller: &Caller,
    kind: SettingKind,
    setting: &Setting,
) -> Result<(), StoreError> {
    match caller.group(c, GroupId(setting.group_id), actions(kind).1) {
        Ok(_) | Err(StoreError::Domain(DomainError::NotFound { .. })) => Ok(()),
        Err(other) => Err(other),
    }
}

async fn remove(
    state: web::Data<AppState>,
    caller: Caller,
    kind: SettingKind,
    id: i64,
    if_match: Option<i64>,
) -> Result<HttpResponse, ApiError> {
    removed(&state, &caller, kind, id, if_match).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Removes a setting no device uses (by those who manage its owner): the one way, for the API
/// and the console alike.
pub(crate) async fn removed(
    state: &AppState,
    caller: &Caller,
    kind: SettingKind,
    id: i64,
    if_match: Option<i64>,
) -> Result<(), ApiError> {
    let caller = caller.clone();
    state
        .write(move |w| {
            let (setting, _) = viewed(w.conn(), &caller, kind, id)?;
            owner_may_change(w.conn(), &caller, kind, &setting)?;
            settings::delete(w, kind, &caller.scope, id, if_match)
        })
        .await
}

#[utoipa::path(tag = "profiles", params(("id" = i64, Path, description = "Group id"), ListQuery),
    responses((status = 200, body = SettingPage), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/groups/{id}/profiles")]
pub async fn list_profiles(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = GroupId(id.into_inner());
    list(state, caller, SettingKind::Profile, id, query.into_inner()).await
}

/// Creates a backup profile owned by the group (SuperUsers, Administrators, Managers).
#[utoipa::path(tag = "profiles", params(("id" = i64, Path, description = "Group id")),
    request_body = CreateProfile,
    responses((status = 201, body = SettingBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/groups/{id}/profiles")]
pub async fn create_profile(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
    body: JsonBody<CreateProfile>,
) -> Result<HttpResponse, ApiError> {
    let id = GroupId(id.into_inner());
    let fields = to_json(&body.0.settings.validated()?)?;
    create(state, caller, SettingKind::Profile, id, body.0.name, fields).await
}

/// One backup profile: one the caller's subtree owns, or one it inherits (`locked`).
#[utoipa::path(tag = "profiles", params(("id" = i64, Path, description = "Profile id")),
    responses((status = 200, body = SettingBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/profiles/{id}")]
pub async fn get_profile(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    read(state, caller, SettingKind::Profile, id.into_inner()).await
}

/// Changes a backup profile owned within the caller's subtree.
#[utoipa::path(tag = "profiles", params(("id" = i64, Path, description = "Profile id")),
    request_body = UpdateProfile,
    responses((status = 200, body = SettingBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 412, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[patch("/profiles/{id}")]
pub async fn update_profile(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<i64>,
    body: JsonBody<UpdateProfile>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let if_match = required_version(&req, "profile", id)?;
    let fields = match body.0.settings {
        Some(settings) => Some(to_json(&settings.validated()?)?),
        None => None,
    };
    change(
        state,
        caller,
        SettingKind::Profile,
        id,
        if_match,
        body.0.name,
        fields,
    )
    .await
}

/// Removes a backup profile no device uses (`in_use` otherwise).
#[utoipa::path(tag = "profiles", params(("id" = i64, Path, description = "Profile id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "`in_use`, with `devices`", body = ErrorBody)),
    security(("bearer" = [])))]
#[delete("/profiles/{id}")]
pub async fn delete_profile(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let if_match = required_version(&req, "profile", id)?;
    remove(state, caller, SettingKind::Profile, id, if_match).await
}

/// The retention policies a group may use: its own, its ancestors' and the installation's
/// default (`locked`).
#[utoipa::path(tag = "profiles", params(("id" = i64, Path, description = "Group id"), ListQuery),
    responses((status = 200, body = SettingPage), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/groups/{id}/retention-policies")]
pub async fn list_policies(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = GroupId(id.into_inner());
    list(
        state,
        caller,
        SettingKind::RetentionPolicy,
        id,
        query.into_inner(),
    )
    .await
}

/// Creates a retention policy owned by the group (SuperUsers and Administrators).
#[utoipa::path(tag = "profiles", params(("id" = i64, Path, description = "Group id")),
    request_body = CreateRetentionPolicy,
    responses((status = 201, body = SettingBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/groups/{id}/retention-policies")]
pub async fn create_policy(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
    body: JsonBody<CreateRetentionPolicy>,
) -> Result<HttpResponse, ApiError> {
    let id = GroupId(id.into_inner());
    let fields = to_json(&body.0.settings.validated()?)?;
    create(
        state,
        caller,
        SettingKind::RetentionPolicy,
        id,
        body.0.name,
        fields,
    )
    .await
}

/// One retention policy: one the caller's subtree owns, or one it inherits (`locked`).
#[utoipa::path(tag = "profiles", params(("id" = i64, Path, description = "Policy id")),
    responses((status = 200, body = SettingBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/retention-policies/{id}")]
pub async fn get_policy(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    read(state, caller, SettingKind::RetentionPolicy, id.into_inner()).await
}

/// Changes a retention policy owned within the caller's subtree (never the default).
#[utoipa::path(tag = "profiles", params(("id" = i64, Path, description = "Policy id")),
    request_body = UpdateRetentionPolicy,
    responses((status = 200, body = SettingBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 412, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[patch("/retention-policies/{id}")]
pub async fn update_policy(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<i64>,
    body: JsonBody<UpdateRetentionPolicy>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let if_match = required_version(&req, "retention-policy", id)?;
    let fields = match body.0.settings {
        Some(settings) => Some(to_json(&settings.validated()?)?),
        None => None,
    };
    change(
        state,
        caller,
        SettingKind::RetentionPolicy,
        id,
        if_match,
        body.0.name,
        fields,
    )
    .await
}

/// Removes a retention policy no device uses (never the default).
#[utoipa::path(tag = "profiles", params(("id" = i64, Path, description = "Policy id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "`in_use`, with `devices`", body = ErrorBody)),
    security(("bearer" = [])))]
#[delete("/retention-policies/{id}")]
pub async fn delete_policy(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let if_match = required_version(&req, "retention-policy", id)?;
    remove(state, caller, SettingKind::RetentionPolicy, id, if_match).await
}

/// A group's backup defaults as the caller sees them: where each comes from named only when that
/// group lies within the caller's reach.
fn defaults_body(
    caller: &Caller,
    group: &tenantry_domain::Group,
    own: backup_defaults::Defaults,
    effective: backup_defaults::Effective,
) -> BackupDefaultsBody {
    let from = |inherited: Option<backup_defaults::Inherited>| {
        inherited
            .map(|i| i.from.0)
            .filter(|from| within(caller, &group.path, *from))
    };
    BackupDefaultsBody {
        group_id: group.id.0,
        own: BackupDefaults {
            profile_id: own.profile_id,
            retention_policy_id: own.retention_policy_id,
        },
        profile_id: effective.profile.map(|p| p.id),
        profile_from: from(effective.profile),
        retention_policy_id: effective.retention_policy.map(|p| p.id),
        retention_policy_from: from(effective.retention_policy),
    }
}

/// The group's default backup profile and retention policy: its own, and those in effect
/// (inherited from the nearest group that sets one; for the policy, else the installation's).
#[utoipa::path(tag = "profiles", params(("id" = i64, Path, description = "Group id")),
    responses((status = 200, body = BackupDefaultsBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/groups/{id}/backup-defaults")]
pub async fn get_backup_defaults(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = GroupId(id.into_inner());
    let who = caller.clone();
    let (group, own, effective) = state
        .read(move |c| {
            let group = who.group(c, id, Action::ViewProfiles)?;
            let own = backup_defaults::own(c, group.id)?;
            let effective = backup_defaults::effective(c, &group.path)?;
            Ok((group, own, effective))
        })
        .await?;
    Ok(HttpResponse::Ok().json(defaults_body(&caller, &group, own, effective)))
}

/// Changes the group's own defaults (the fields given; null: inherit again): the profile and
/// policy that devices added in its subtree get when they name none, by hand or by enrolment.
/// Each must be one the group may use (its own or an ancestor's).
#[utoipa::path(tag = "profiles", params(("id" = i64, Path, description = "Group id")),
    request_body = UpdateBackupDefaults,
    responses((status = 200, body = BackupDefaultsBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, description = "`validation_failed`: a setting the group may not use", body = ErrorBody)),
    security(("bearer" = [])))]
#[patch("/groups/{id}/backup-defaults")]
pub async fn update_backup_defaults(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
    body: JsonBody<UpdateBackupDefaults>,
) -> Result<HttpResponse, ApiError> {
    let id = GroupId(id.into_inner());
    let change = body.0;
    let who = caller.clone();
    let (group, own, effective) = state
        .write(move |w| {
            let group = groups::get(w.conn(), &who.scope, id)?;
            if change.profile_id.is_some() {
                who.authorize(Action::ManageProfiles, &group)?;
            }
            if change.retention_policy_id.is_some() {
                who.authorize(Action::ManageRetentionPolicies, &group)?;
            }
            // Read under the group's lock (`set` takes it first): two changes of different
            // fields at once both stay.
            groups::hold(w.conn(), group.id)?;
            let before = backup_defaults::own(w.conn(), group.id)?;
            let wanted = backup_defaults::Defaults {
                profile_id: change.profile_id.unwrap_or(before.profile_id),
                retention_policy_id: change
                    .retention_policy_id
                    .unwrap_or(before.retention_policy_id),
            };
            let own = backup_defaults::set(w, &group, wanted)?;
            let effective = backup_defaults::effective(w.conn(), &group.path)?;
            Ok((group, own, effective))
        })
        .await?;
    Ok(HttpResponse::Ok().json(defaults_body(&caller, &group, own, effective)))
}
