//! Group (customer) management: `/api/v1/groups…`.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use std::sync::Arc;
use tenantry_api_types::{
    CreateGroup, DescendantsQuery, ErrorBody, GroupBody, GroupPage, ListQuery, ModuleBody,
    ModulesBody, UpdateGroup,
};

use tenantry_domain::{Action, Group, GroupDeleted, GroupEvent, GroupId, GroupName, Module};
use tenantry_plugin_host::api::Hook;
use tenantry_storage::groups::{self, DescendantFilter, StateFilter};

use super::{page_request, page_response};
use crate::caller::Caller;
use crate::convert::{group_body, group_changes, group_page, new_group};
use crate::error::ApiError;
use crate::etag::{etag, required_version};
use crate::events;
use crate::extract::JsonBody;
use crate::state::AppState;

const KIND: &str = "group";

fn ok_with_etag(group: Group, caller: &Caller) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::ETAG, etag(KIND, group.id.0, group.version)))
        .json(group_body(
            group,
            caller.group_id(),
            tenantry_storage::now(),
        ))
}

/// Creates a group under a parent the caller can see.
#[utoipa::path(
    tag = "groups",
    request_body = CreateGroup,
    responses(
        (status = 201, description = "Created; `Location` names the new group", body = GroupBody),
        (status = 409, description = "`name_taken` or `level_violation`", body = ErrorBody),
        (status = 422, description = "`validation_failed` or `invalid_parent`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/groups")]
pub async fn create_group(
    state: web::Data<AppState>,
    caller: Caller,
    body: JsonBody<CreateGroup>,
) -> Result<HttpResponse, ApiError> {
    let group = create(&state, &caller, body.0).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/groups/{}", group.id)))
        .insert_header((header::ETAG, etag(KIND, group.id.0, group.version)))
        .json(group_body(
            group,
            caller.group_id(),
            tenantry_storage::now(),
        )))
}

/// Creates a group under a parent the caller can see, with the plugins' hooks: the one way in,
/// for the API and the console alike.
pub(crate) async fn create(
    state: &AppState,
    caller: &Caller,
    body: CreateGroup,
) -> Result<Group, ApiError> {
    let now = tenantry_storage::now();
    let new = new_group(body, now, state.trial_days)?;
    let who = caller.clone();
    let plugins = Arc::clone(&state.plugins);
    let (group, event) = state
        .write(move |w| {
            let parent = groups::get(w.conn(), &who.scope, new.parent_id)
                .map_err(|e| groups::parent_not_found(e, new.parent_id))?;
            who.authorize(Action::CreateCustomer, &parent)?;
            let (group, event) = groups::create(w, &who.scope, new, now)?;
            let event = GroupEvent::GroupCreated(event);
            plugins.before(w, Hook::BeforeCreate, std::slice::from_ref(&event), &who)?;
            Ok((group, event))
        })
        .await?;
    let events = [event];
    events::publish(caller, &events);
    state.after_hooks(Hook::AfterCreate, &events, caller).await;
    Ok(group)
}

/// One group.
#[utoipa::path(
    tag = "groups",
    params(("id" = i64, Path, description = "Group id")),
    responses(
        (status = 200, description = "The group; `ETag` carries its version", body = GroupBody),
        (status = 404, description = "No such group in the caller's subtree", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/groups/{id}")]
pub async fn get_group(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = GroupId(id.into_inner());
    let who = caller.clone();
    let group = state
        .read(move |c| {
            let group = who.group(c, id, Action::ViewGroup)?;
            Ok(group)
        })
        .await?;
    Ok(ok_with_etag(group, &caller))
}

/// Changes a group: rename, properties, level, or a move to another parent (with its whole
/// subtree). Send `If-Match` with the `ETag` you read to be sure nobody changed it meanwhile.
#[utoipa::path(
    tag = "groups",
    params(
        ("id" = i64, Path, description = "Group id"),
        ("If-Match" = Option<String>, Header, description = "The ETag the change is based on"),
    ),
    request_body = UpdateGroup,
    responses(
        (status = 200, description = "The changed group", body = GroupBody),
        (status = 404, description = "No such group in the caller's subtree", body = ErrorBody),
        (status = 409, description = "`name_taken` or `level_violation`", body = ErrorBody),
        (status = 412, description = "`precondition_failed`: changed by someone else", body = ErrorBody),
        (status = 422, description = "`validation_failed` or `invalid_parent`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[patch("/groups/{id}")]
pub async fn update_group(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<i64>,
    body: JsonBody<UpdateGroup>,
) -> Result<HttpResponse, ApiError> {
    let id = GroupId(id.into_inner());
    let if_match = required_version(&req, KIND, id.0)?;
    let group = update(&state, &caller, id, body.0, if_match).await?;
    Ok(ok_with_etag(group, &caller))
}

/// Changes a group (rename, properties, a move with its subtree), with the plugins' hooks: the
/// one way, for the API and the console alike.
pub(crate) async fn update(
    state: &AppState,
    caller: &Caller,
    id: GroupId,
    body: UpdateGroup,
    if_match: Option<i64>,
) -> Result<Group, ApiError> {
    let changes = group_changes(body, state.trial_days)?;
    let now = tenantry_storage::now();
    let who = caller.clone();
    let plugins = Arc::clone(&state.plugins);
    let (group, changed) = state
        .write(move |w| {
            who.authorize(
                Action::EditCustomer,
                &groups::get(w.conn(), &who.scope, id)?,
            )?;
            let (group, changed) = groups::update(w, &who.scope, id, changes, if_match, now)?;
            plugins.before(w, Hook::BeforeUpdate, &changed, &who)?;
            Ok((group, changed))
        })
        .await?;
    if changed
        .iter()
        .any(|e| matches!(e, GroupEvent::GroupMoved(_)))
    {
        // Users below a moved group now have another scope path.
        state.sessions.clear();
    }
    events::publish(caller, &changed);
    state.after_hooks(Hook::AfterUpdate, &changed, caller).await;
    Ok(group)
}

/// Removes a group that has no child groups and no devices. Cannot be undone.
#[utoipa::path(
    tag = "groups",
    params(
        ("id" = i64, Path, description = "Group id"),
        ("If-Match" = Option<String>, Header, description = "The ETag the removal is based on"),
    ),
    responses(
        (status = 204, description = "Removed"),
        (status = 403, description = "`forbidden`: the root group", body = ErrorBody),
        (status = 404, description = "No such group in the caller's subtree", body = ErrorBody),
        (status = 409, description = "`group_not_empty`, with `children` and `devices` counts", body = ErrorBody),
        (status = 412, description = "`precondition_failed`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[delete("/groups/{id}")]
pub async fn delete_group(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = GroupId(id.into_inner());
    let if_match = required_version(&req, KIND, id.0)?;
    delete(&state, &caller, id, if_match).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Removes an empty group, with the plugins' hooks: the one way, for the API and the console.
pub(crate) async fn delete(
    state: &AppState,
    caller: &Caller,
    id: GroupId,
    if_match: Option<i64>,
) -> Result<(), ApiError> {
    let now = tenantry_storage::now();
    let who = caller.clone();
    let plugins = Arc::clone(&state.plugins);
    let event = state
        .write(move |w| {
            let group = who.group(w.conn(), id, Action::RemoveCustomer)?;
            // Plugins see the group (and their records of it) before it goes.
            if let Some(parent_id) = group.parent_id {
                let leaving = GroupEvent::GroupDeleted(GroupDeleted {
                    group_id: id,
                    parent_id,
                    name: group.name.clone(),
                    at: now,
                });
                plugins.before(w, Hook::BeforeDelete, &[leaving], &who)?;
            }
            groups::delete(w, &who.scope, id, if_match, now)
        })
        .await?;
    // The group's users went with it.
    state.sessions.clear();
    let events = [GroupEvent::GroupDeleted(event)];
    events::publish(caller, &events);
    state.after_hooks(Hook::AfterDelete, &events, caller).await;
    Ok(())
}

/// The direct children of a group, by id.
#[utoipa::path(
    tag = "groups",
    params(("id" = i64, Path, description = "Group id"), ListQuery),
    responses(
        (status = 200, description = "One page of children", body = GroupPage),
        (status = 404, description = "No such group in the caller's subtree", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/groups/{id}/children")]
pub async fn list_children(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = GroupId(id.into_inner());
    let page = page_request(query.limit, query.cursor.as_deref())?;
    let viewer = caller.group_id();
    let found = state
        .read(move |c| {
            let parent = caller.group(c, id, Action::ListCustomers)?;
            groups::children(c, &caller.scope, &parent, &page)
        })
        .await?;
    page_response(&group_page(found, viewer, tenantry_storage::now()))
}

/// Every group below a group, depth-first (a group comes right before its own descendants).
#[utoipa::path(
    tag = "groups",
    params(("id" = i64, Path, description = "Group id"), DescendantsQuery),
    responses(
        (status = 200, description = "One page of descendants", body = GroupPage),
        (status = 404, description = "No such group in the caller's subtree", body = ErrorBody),
        (status = 422, description = "`validation_failed`: a bad filter, limit or cursor", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/groups/{id}/descendants")]
pub async fn list_descendants(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
    query: web::Query<DescendantsQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = GroupId(id.into_inner());
    let query = query.into_inner();
    let page = page_request(query.limit, query.cursor.as_deref())?;
    let now = tenantry_storage::now();
    let filter = DescendantFilter {
        level: query.level,
        state: query.state.map(|state| StateFilter { state, now }),
        name: query
            .name
            .filter(|n| !n.trim().is_empty())
            .map(|n| n.trim().to_owned()),
    };
    // The same rules as a group name (length, no control characters): nothing odd reaches SQL.
    if let Some(name) = &filter.name {
        GroupName::parse(name)?;
    }
    let viewer = caller.group_id();
    let found = state
        .read(move |c| {
            let top = caller.group(c, id, Action::ListCustomers)?;
            groups::descendants(c, &caller.scope, &top, &filter, &page)
        })
        .await?;
    page_response(&group_page(found, viewer, now))
}

/// The groups above a group, root first, as far up as the caller can see.
#[utoipa::path(
    tag = "groups",
    params(("id" = i64, Path, description = "Group id")),
    responses(
        (status = 200, description = "The ancestors, root first (never a page of more)", body = GroupPage),
        (status = 404, description = "No such group in the caller's subtree", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/groups/{id}/ancestors")]
pub async fn list_ancestors(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = GroupId(id.into_inner());
    let viewer = caller.group_id();
    let found = state
        .read(move |c| {
            caller.group(c, id, Action::ViewGroup)?;
            groups::ancestors(c, &caller.scope, id)
        })
        .await?;
    let now = tenantry_storage::now();
    page_response(&GroupPage {
        items: found
            .into_iter()
            .map(|g| group_body(g, viewer, now))
            .collect(),
        next_cursor: None,
        has_more: false,
    })
}

/// Every console module, and whether this group's level may use it.
#[utoipa::path(
    tag = "groups",
    params(("id" = i64, Path, description = "Group id")),
    responses(
        (status = 200, description = "The module matrix row of the group's level", body = ModulesBody),
        (status = 404, description = "No such group in the caller's subtree", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/groups/{id}/modules")]
pub async fn group_modules(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = GroupId(id.into_inner());
    let group = state
        .read(move |c| {
            let group = caller.group(c, id, Action::ViewGroup)?;
            Ok(group)
        })
        .await?;
    let core = Module::ALL.into_iter().map(|module| ModuleBody {
        module: module.as_str().to_owned(),
        title: module.title().to_owned(),
        available: module.is_available_at(group.level),
    });
    let declared = state
        .plugins
        .declarations
        .modules()
        .iter()
        .map(|module| ModuleBody {
            module: module.name.clone(),
            title: module.title.clone(),
            available: module.is_available_at(group.level),
        });
    let modules = core.chain(declared).collect();
    Ok(HttpResponse::Ok().json(ModulesBody {
        group_id: group.id.0,
        level: group.level,
        modules,
    }))
}
