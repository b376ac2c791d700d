//! Users: `/api/v1/groups/{id}/users` and `/api/v1/users/{id}`.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use tenantry_api_types::{CreateUser, ErrorBody, ListQuery, UpdateUser, UserBody, UserPage};
use tenantry_domain::{
    Action, DomainError, Group, GroupId, NewUser, PasswordChange, User, UserChanges, UserId,
    UserKind, check_grant, check_password, check_reach, check_user_change,
};
use tenantry_storage::{DbConnection, StoreError, groups, users};

use super::page_request;
use crate::auth::password;
use crate::caller::Caller;
use crate::convert::{display_name_change, user_body, user_draft};
use crate::error::ApiError;
use crate::etag::{etag, required_version};
use crate::extract::JsonBody;
use crate::state::AppState;

const KIND: &str = "user";

fn ok_with_etag(user: User) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::ETAG, etag(KIND, user.id.0, user.version)))
        .json(user_body(user))
}

/// A user in the caller's scope and its group, once `action` is allowed there.
pub(crate) fn user_target(
    c: &mut DbConnection,
    caller: &Caller,
    id: UserId,
    action: Action,
) -> Result<(User, Group), StoreError> {
    let user = users::get(c, &caller.scope, id)?;
    let group = caller.group(c, user.group_id, action)?;
    Ok((user, group))
}

/// The users of a group, by username.
#[utoipa::path(
    tag = "users",
    params(("id" = i64, Path, description = "Group id"), ListQuery),
    responses(
        (status = 200, description = "One page of users", body = UserPage),
        (status = 404, description = "No such group in the caller's subtree", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/groups/{id}/users")]
pub async fn list_users(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = GroupId(id.into_inner());
    let page = page_request(query.limit, query.cursor.as_deref())?;
    let found = state
        .read(move |c| {
            let group = caller.group(c, id, Action::ViewUsers)?;
            users::list(c, &group, &page)
        })
        .await?;
    Ok(HttpResponse::Ok().json(UserPage {
        has_more: found.next.is_some(),
        next_cursor: found.next.map(|c| c.token().to_owned()),
        items: found.items.into_iter().map(user_body).collect(),
    }))
}

/// Adds a user (or an API user) to a group. Only SuperUsers and Administrators add users, never
/// of a type above their own; only Security Officers grant the Security Officer flag.
#[utoipa::path(
    tag = "users",
    params(("id" = i64, Path, description = "Group id")),
    request_body = CreateUser,
    responses(
        (status = 201, description = "Created; `Location` names the new user", body = UserBody),
        (status = 403, description = "`forbidden`: the account type does not allow it", body = ErrorBody),
        (status = 404, description = "No such group in the caller's subtree", body = ErrorBody),
        (status = 409, description = "`username_taken`", body = ErrorBody),
        (status = 422, description = "`validation_failed` (username, password policy, flag)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/groups/{id}/users")]
pub async fn create_user(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
    body: JsonBody<CreateUser>,
) -> Result<HttpResponse, ApiError> {
    let user = create(&state, &caller, GroupId(id.into_inner()), body.0).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/users/{}", user.id)))
        .insert_header((header::ETAG, etag(KIND, user.id.0, user.version)))
        .json(user_body(user)))
}

/// One user.
/// Adds a user to a group (the password hashed off the async workers): the one way, for the
/// API and the console alike.
pub(crate) async fn create(
    state: &AppState,
    caller: &Caller,
    group_id: GroupId,
    body: CreateUser,
) -> Result<User, ApiError> {
    let draft = user_draft(body)?;
    let authority = draft.authority;
    let check = move |c: &mut DbConnection, caller: &Caller| -> Result<String, StoreError> {
        let caller = caller.refreshed(c)?;
        let group = caller.group(c, group_id, Action::ManageUsers)?;
        check_grant(&caller.actor, authority)?;
        Ok(group.name)
    };
    // Checked before the (deliberately slow) hashing, and again in the write transaction.
    let who = caller.clone();
    let group_name = state.read(move |c| check(c, &who)).await?;
    let password_hash = match draft.password {
        Some(plain) => {
            check_password("password", &plain, &draft.username, Some(&group_name))?;
            Some(state.compute(move || password::hash(&plain)).await?)
        }
        None => None,
    };
    let new = NewUser {
        group_id,
        username: draft.username,
        name: draft.name,
        authority,
        kind: draft.kind,
        password_hash,
    };
    let now = tenantry_storage::now();
    let who = caller.clone();
    let user = state
        .write(move |w| {
            check(w.conn(), &who)?;
            users::create(w, &who.scope, new, now)
        })
        .await?;
    Ok(user)
}

#[utoipa::path(
    tag = "users",
    params(("id" = i64, Path, description = "User id")),
    responses(
        (status = 200, description = "The user; `ETag` carries its version", body = UserBody),
        (status = 404, description = "No such user in the caller's subtree", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/users/{id}")]
pub async fn get_user(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = UserId(id.into_inner());
    let (user, _) = state
        .read(move |c| user_target(c, &caller, id, Action::ViewUsers))
        .await?;
    Ok(ok_with_etag(user))
}

/// Whether a change touches only what users may change about themselves (display name and
/// password), whatever their account type.
fn is_self_service(caller: &Caller, target: &User, changes: &UserChanges) -> bool {
    target.id == caller.actor.user_id
        && changes.role.is_none()
        && changes.security_officer.is_none()
}

/// The one check of a PATCH, against the user as it is when the change is written.
fn check_change(
    c: &mut DbConnection,
    caller: &Caller,
    target: &User,
    changes: &UserChanges,
) -> Result<(), StoreError> {
    let group = groups::get(c, &caller.scope, target.group_id)?;
    if is_self_service(caller, target, changes) {
        caller.authorize(Action::ViewUsers, &group)?;
    } else {
        caller.authorize(Action::ManageUsers, &group)?;
        check_user_change(&caller.actor, target, changes)?;
    }
    if changes.password.is_change() && target.kind == UserKind::Api {
        return Err(DomainError::invalid("password", "API users have no password").into());
    }
    Ok(())
}

/// Changes a user: display name, account type, Security Officer flag, password. Users change
/// their own name and password (with `current_password`); everything else is for SuperUsers and
/// Administrators, within their own account type. A new password ends the user's sessions.
#[utoipa::path(
    tag = "users",
    params(
        ("id" = i64, Path, description = "User id"),
        ("If-Match" = Option<String>, Header, description = "The ETag the change is based on"),
    ),
    request_body = UpdateUser,
    responses(
        (status = 200, description = "The changed user", body = UserBody),
        (status = 403, description = "`forbidden`", body = ErrorBody),
        (status = 404, description = "No such user in the caller's subtree", body = ErrorBody),
        (status = 412, description = "`precondition_failed`", body = ErrorBody),
        (status = 422, description = "`validation_failed`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[patch("/users/{id}")]
pub async fn update_user(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<i64>,
    body: JsonBody<UpdateUser>,
) -> Result<HttpResponse, ApiError> {
    let id = UserId(id.into_inner());
    let if_match = required_version(&req, KIND, id.0)?;
    let user = update(&state, &caller, id, body.0, if_match).await?;
    Ok(ok_with_etag(user))
}

/// Changes a user (name, account type, Security Officer flag, password): the one way, for the
/// API and the console alike. Every session of the installation is checked again afterwards.
pub(crate) async fn update(
    state: &AppState,
    caller: &Caller,
    id: UserId,
    body: UpdateUser,
    if_match: Option<i64>,
) -> Result<User, ApiError> {
    let mut changes = UserChanges {
        name: display_name_change(body.name)?,
        role: body.role,
        security_officer: body.security_officer,
        password: match body.password {
            Some(_) => PasswordChange::Asked,
            None => PasswordChange::Unchanged,
        },
    };
    let (who, probe) = (caller.clone(), changes.clone());
    let target = state
        .read(move |c| {
            let target = users::get(c, &who.scope, id)?;
            check_change(c, &who, &target, &probe)?;
            let group = groups::get(c, &who.scope, target.group_id)?;
            Ok((target, group.name))
        })
        .await?;
    let (target, group_name) = target;
    if let Some(new_password) = body.password {
        let username = tenantry_domain::Username::parse(&target.username)?;
        check_password("password", &new_password, &username, Some(&group_name))?;
        if target.id == caller.actor.user_id {
            let current = body.current_password.ok_or_else(|| {
                DomainError::invalid(
                    "current_password",
                    "is required to change your own password",
                )
            })?;
            // Guessing one's own password here counts toward the lockout like a login would.
            let policy = state.lockout_policy;
            let now = tenantry_storage::now();
            state
                .write(move |w| users::record_attempt(w, id, now, &policy))
                .await?;
            let stored = state
                .read(move |c| users::password_hash(c, id))
                .await?
                .unwrap_or_default();
            let matches = state
                .compute(move || Ok(password::verify(&stored, &current)))
                .await?;
            if !matches {
                return Err(DomainError::invalid("current_password", "is wrong").into());
            }
        }
        changes.password =
            PasswordChange::Hashed(state.compute(move || password::hash(&new_password)).await?);
    }
    let now = tenantry_storage::now();
    let who = caller.clone();
    let user = state
        .write(move |w| {
            let who = who.refreshed(w.conn())?;
            let target = users::get(w.conn(), &who.scope, id)?;
            check_change(w.conn(), &who, &target, &changes)?;
            let scope = who.scope.clone();
            let rules = changes.clone();
            // Once more on the locked row: what the rules read of the user cannot move now.
            users::update(w, &scope, id, changes, if_match, now, |locked| {
                if is_self_service(&who, locked, &rules) {
                    Ok(())
                } else {
                    check_user_change(&who.actor, locked, &rules).map(|_| ())
                }
            })
        })
        .await?;
    state.sessions.clear();
    Ok(user)
}

/// Removes a user, with its sessions and tokens. The root group's last SuperUser stays.
#[utoipa::path(
    tag = "users",
    params(
        ("id" = i64, Path, description = "User id"),
        ("If-Match" = Option<String>, Header, description = "The ETag the removal is based on"),
    ),
    responses(
        (status = 204, description = "Removed"),
        (status = 403, description = "`forbidden`: the account type, or the root's last SuperUser", body = ErrorBody),
        (status = 404, description = "No such user in the caller's subtree", body = ErrorBody),
        (status = 412, description = "`precondition_failed`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[delete("/users/{id}")]
pub async fn delete_user(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = UserId(id.into_inner());
    let if_match = required_version(&req, KIND, id.0)?;
    delete(&state, &caller, id, if_match).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Removes a user: the one way, for the API and the console alike.
pub(crate) async fn delete(
    state: &AppState,
    caller: &Caller,
    id: UserId,
    if_match: Option<i64>,
) -> Result<(), ApiError> {
    let who = caller.clone();
    state
        .write(move |w| {
            let who = who.refreshed(w.conn())?;
            user_target(w.conn(), &who, id, Action::ManageUsers)?;
            users::delete(w, &who.scope, id, if_match, |target| {
                check_reach(&who.actor, target)
            })
        })
        .await?;
    state.sessions.clear();
    Ok(())
}

/// Lifts a user's lockout after too many failed logins (and forgets the failures), for whoever
/// may manage the user: an administrator of its group or of a group above, within their account
/// type. The user logs in again at once, without waiting for the lock to run out.
#[utoipa::path(
    tag = "users",
    params(("id" = i64, Path, description = "User id")),
    responses(
        (status = 200, description = "The user, no longer locked", body = UserBody),
        (status = 401, description = "`unauthenticated`", body = ErrorBody),
        (status = 403, description = "`forbidden`: the caller may not manage this user", body = ErrorBody),
        (status = 404, description = "No such user in the caller's subtree", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/users/{id}/unlock")]
pub async fn unlock_user(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let user = unlock(&state, &caller, UserId(id.into_inner())).await?;
    Ok(ok_with_etag(user))
}

/// Lifts a lockout: the one way, for the API and the console alike.
pub(crate) async fn unlock(
    state: &AppState,
    caller: &Caller,
    id: UserId,
) -> Result<User, ApiError> {
    let who = caller.clone();
    let user = state
        .write(move |w| {
            let who = who.refreshed(w.conn())?;
            user_target(w.conn(), &who, id, Action::ManageUsers)?;
            users::unlock(w, &who.scope, id, |target| check_reach(&who.actor, target))
        })
        .await?;
    log::info!("user {id} unlocked by user {}", caller.actor.user_id);
    Ok(user)
}
