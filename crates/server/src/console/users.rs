//! Users: a group's users and API users; add, edit (account type, Security Officer flag),
//! remove, reset a password; API users' tokens (shown once) and their revocation. Every change
//! is the API's own operation (`routes::users`, `routes::tokens`).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use tenantry_api_types::{CreateApiToken, CreateUser, UpdateUser};
use tenantry_domain::{Action, Group, Role, User, UserId, UserKind};
use tenantry_storage::users;

use super::customers::{selected, selected_for};
use super::format;
use super::page::{self, Choice, Chrome, ConsoleError, FormPage, Problems, choices};
use super::viewer::{Permit, Viewer};
use crate::routes::{tokens as token_ops, users as user_ops};
use crate::state::AppState;

const PAGE: i64 = 50;

#[derive(Debug)]
struct UserRow {
    id: i64,
    username: String,
    name: String,
    account: &'static str,
    security_officer: bool,
    api: bool,
    last_login: String,
    last_login_exact: String,
    is_me: bool,
    /// While logins are refused after too many failures: until when ("14:32 UTC, in 12
    /// minutes").
    locked: Option<String>,
}

fn user_row(user: &User, me: UserId) -> UserRow {
    let now = tenantry_storage::now();
    UserRow {
        id: user.id.0,
        username: user.username.clone(),
        name: user.name.clone().unwrap_or_default(),
        account: user.role.label(),
        security_officer: user.security_officer,
        api: user.kind == UserKind::Api,
        last_login: user
            .last_login_at
            .map_or_else(|| "never".to_owned(), |at| format::ago(at, now)),
        last_login_exact: user.last_login_at.map(format::exact).unwrap_or_default(),
        is_me: user.id == me,
        locked: user
            .locked_until
            .filter(|until| *until > now)
            .map(|until| format!("{} ({})", format::exact(until), format::ago(until, now))),
    }
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    chrome: Chrome,
    group_id: i64,
    name: String,
    rows: Vec<UserRow>,
    next: Option<String>,
    manage: Permit,
}

#[derive(Debug, Deserialize)]
pub struct ListParams {
    group: Option<i64>,
    cursor: Option<String>,
    notice: Option<String>,
}

/// `GET /users?group=`.
pub async fn page(
    state: web::Data<AppState>,
    viewer: Viewer,
    params: web::Query<ListParams>,
) -> Result<HttpResponse, ConsoleError> {
    let params = params.into_inner();
    let group = selected(&state, &viewer, params.group).await?;
    let request = crate::routes::page_request(Some(PAGE), params.cursor.as_deref())?;
    let (who, target) = (viewer.caller.clone(), group.clone());
    let found = state
        .read(move |c| {
            who.authorize(Action::ViewUsers, &target)?;
            users::list(c, &target, &request)
        })
        .await?;
    let me = viewer.user.id;
    page::html(&UsersPage {
        chrome: Chrome::new(&viewer, format!("{}: users", group.name), "users", &group)
            .with_notice(params.notice.as_deref()),
        group_id: group.id.0,
        name: group.name.clone(),
        rows: found.items.iter().map(|u| user_row(u, me)).collect(),
        next: found
            .next
            .map(|c| format!("/users?group={}&cursor={}", group.id, c.token())),
        manage: viewer.may(Action::ManageUsers, &group),
    })
}

fn roles() -> Vec<(&'static str, &'static str)> {
    Role::ALL.iter().map(|r| (r.as_str(), r.label())).collect()
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct UserForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    security_officer: Option<String>,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    password: String,
    version: Option<i64>,
}

#[derive(Template)]
#[template(path = "user_form.html")]
struct UserFormView {
    group_id: i64,
    editing: Option<i64>,
    form: UserForm,
    roles: Vec<Choice>,
    problems: Problems,
}

#[derive(Template)]
#[template(path = "user_edit.html")]
struct UserEditPage {
    chrome: Chrome,
    user: UserRow,
    group_id: i64,
    form: String,
    password_form: String,
    tokens: Option<String>,
    may_remove: bool,
    may_unlock: bool,
}

#[derive(Debug, Deserialize)]
pub struct GroupParam {
    group: Option<i64>,
}

/// `GET /users/new?group=`.
pub async fn new_form(
    state: web::Data<AppState>,
    viewer: Viewer,
    params: web::Query<GroupParam>,
) -> Result<HttpResponse, ConsoleError> {
    let group = selected_for(&state, &viewer, params.group, Action::ManageUsers).await?;
    let form = UserForm {
        role: Role::Administrator.as_str().to_owned(),
        kind: UserKind::Interactive.as_str().to_owned(),
        ..UserForm::default()
    };
    let view = UserFormView {
        group_id: group.id.0,
        editing: None,
        roles: choices(&roles(), &form.role),
        form,
        problems: Problems::default(),
    };
    page::html(&FormPage {
        chrome: Chrome::new(&viewer, "Add user", "users", &group),
        heading: format!("Add a user to {}", group.name),
        intro: format!(
            "People log in with the group name “{}”, their username and their password. API users \
             are for scripts: they never log in, they use tokens.",
            group.name
        ),
        form: page::fragment(&view)?,
        back: format!("/users?group={}", group.id),
    })
}

fn parse_role(text: &str) -> Result<Role, ConsoleError> {
    Role::parse(text).ok_or_else(|| {
        tenantry_domain::DomainError::invalid("role", "choose an account type").into()
    })
}

/// `POST /users/new?group=`.
pub async fn create(
    state: web::Data<AppState>,
    viewer: Viewer,
    params: web::Query<GroupParam>,
    form: web::Form<UserForm>,
) -> Result<HttpResponse, ConsoleError> {
    let group = selected(&state, &viewer, params.group).await?;
    let form = form.into_inner();
    let api = form.kind == UserKind::Api.as_str();
    let outcome = match parse_role(&form.role) {
        Err(ConsoleError::Api(e)) => Err(e),
        Err(other) => return Err(other),
        Ok(role) => {
            let body = CreateUser {
                username: form.username.clone(),
                name: Some(form.name.clone()).filter(|n| !n.trim().is_empty()),
                role,
                security_officer: form.security_officer.is_some(),
                kind: Some(if api {
                    UserKind::Api
                } else {
                    UserKind::Interactive
                }),
                password: (!api).then(|| form.password.clone()),
            };
            user_ops::create(&state, &viewer.caller, group.id, body).await
        }
    };
    match outcome {
        Ok(user) if user.kind == UserKind::Api => Ok(page::go_to(&format!(
            "/users/{}/edit?notice=user-added",
            user.id
        ))),
        Ok(_) => Ok(page::go_to(&format!(
            "/users?group={}&notice=user-added",
            group.id
        ))),
        Err(error) => page::html_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            &UserFormView {
                group_id: group.id.0,
                editing: None,
                roles: choices(&roles(), &form.role),
                form: UserForm {
                    password: String::new(),
                    ..form
                },
                problems: Problems::from_error(error)?,
            },
        ),
    }
}

/// A user in the caller's scope, with its group.
async fn target(state: &AppState, viewer: &Viewer, id: i64) -> Result<(User, Group), ConsoleError> {
    let who = viewer.caller.clone();
    let id = UserId(id);
    let found = state
        .read(move |c| user_ops::user_target(c, &who, id, Action::ViewUsers))
        .await?;
    Ok(found)
}

#[derive(Template)]
#[template(path = "password_form.html")]
struct PasswordForm {
    user_id: i64,
    is_me: bool,
    problems: Problems,
    done: bool,
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensView {
    user_id: i64,
    rows: Vec<TokenRow>,
    created: Option<String>,
    problems: Problems,
}

#[derive(Debug)]
struct TokenRow {
    id: i64,
    name: String,
    created: String,
    expires: String,
    last_used: String,
}

async fn tokens_view(
    state: &AppState,
    viewer: &Viewer,
    user: &User,
    created: Option<String>,
    problems: Problems,
) -> Result<String, ConsoleError> {
    let (who, id) = (viewer.caller.clone(), user.id);
    let listed = state
        .read(move |c| {
            let (user, _) = user_ops::user_target(c, &who, id, Action::ManageApiTokens)?;
            tenantry_domain::check_reach(&who.actor, &user)?;
            users::list_api_tokens(c, id)
        })
        .await?;
    let now = tenantry_storage::now();
    page::fragment(&TokensView {
        user_id: user.id.0,
        rows: listed
            .into_iter()
            .map(|t| TokenRow {
                id: t.id,
                name: t.name.unwrap_or_default(),
                created: format::date(t.created_at),
                expires: format::date(t.expires_at),
                last_used: t
                    .last_used_at
                    .map_or_else(|| "never".to_owned(), |at| format::ago(at, now)),
            })
            .collect(),
        created,
        problems,
    })
}

#[derive(Debug, Deserialize)]
pub struct NoticeParam {
    notice: Option<String>,
}

/// `GET /users/{id}/edit`: the user's account type and flag, a new password, API tokens.
pub async fn edit_form(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<i64>,
    params: web::Query<NoticeParam>,
) -> Result<HttpResponse, ConsoleError> {
    let (user, group) = target(&state, &viewer, id.into_inner()).await?;
    let form = UserForm {
        username: user.username.clone(),
        name: user.name.clone().unwrap_or_default(),
        role: user.role.as_str().to_owned(),
        security_officer: user.security_officer.then(|| "on".to_owned()),
        kind: user.kind.as_str().to_owned(),
        password: String::new(),
        version: Some(user.version),
    };
    edit_page(
        &state,
        &viewer,
        user,
        group,
        form,
        Problems::default(),
        params.notice.as_deref(),
        StatusCode::OK,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn edit_page(
    state: &AppState,
    viewer: &Viewer,
    user: User,
    group: Group,
    form: UserForm,
    problems: Problems,
    notice: Option<&str>,
    status: StatusCode,
) -> Result<HttpResponse, ConsoleError> {
    let manage = viewer.may(Action::ManageUsers, &group);
    let is_me = user.id == viewer.user.id;
    let tokens = if user.kind == UserKind::Api && manage.allowed {
        Some(tokens_view(state, viewer, &user, None, Problems::default()).await?)
    } else {
        None
    };
    let view = UserFormView {
        group_id: group.id.0,
        editing: Some(user.id.0),
        roles: choices(&roles(), &form.role),
        form,
        problems,
    };
    page::html_with(
        status,
        &UserEditPage {
            chrome: Chrome::new(viewer, format!("User {}", user.username), "users", &group)
                .with_notice(notice),
            group_id: group.id.0,
            form: if manage.allowed {
                page::fragment(&view)?
            } else {
                String::new()
            },
            password_form: if user.kind == UserKind::Interactive && (manage.allowed || is_me) {
                page::fragment(&PasswordForm {
                    user_id: user.id.0,
                    is_me,
                    problems: Problems::default(),
                    done: false,
                })?
            } else {
                String::new()
            },
            tokens,
            may_remove: manage.allowed && !is_me,
            may_unlock: manage.allowed && !is_me,
            user: user_row(&user, viewer.user.id),
        },
    )
}

/// `POST /users/{id}/edit`: name, account type, Security Officer flag.
pub async fn edit(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<i64>,
    form: web::Form<UserForm>,
) -> Result<HttpResponse, ConsoleError> {
    let (user, group) = target(&state, &viewer, id.into_inner()).await?;
    let form = form.into_inner();
    let outcome = match parse_role(&form.role) {
        Err(ConsoleError::Api(e)) => Err(e),
        Err(other) => return Err(other),
        Ok(role) => {
            let body = UpdateUser {
                name: Some(Some(form.name.clone()).filter(|n| !n.trim().is_empty())),
                role: (role != user.role).then_some(role),
                security_officer: (form.security_officer.is_some() != user.security_officer)
                    .then_some(form.security_officer.is_some()),
                ..UpdateUser::default()
            };
            user_ops::update(&state, &viewer.caller, user.id, body, form.version).await
        }
    };
    match outcome {
        Ok(_) => Ok(page::go_to(&format!(
            "/users?group={}&notice=user-saved",
            group.id
        ))),
        Err(error) => {
            let problems = Problems::from_error(error)?;
            let view = UserFormView {
                group_id: group.id.0,
                editing: Some(user.id.0),
                roles: choices(&roles(), &form.role),
                form,
                problems,
            };
            page::html_with(StatusCode::UNPROCESSABLE_ENTITY, &view)
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct PasswordFields {
    #[serde(default)]
    password: String,
    #[serde(default)]
    current_password: String,
}

/// `POST /users/{id}/password`: sets a new password (one's own needs the current one).
pub async fn reset_password(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<i64>,
    form: web::Form<PasswordFields>,
) -> Result<HttpResponse, ConsoleError> {
    let (user, _) = target(&state, &viewer, id.into_inner()).await?;
    let is_me = user.id == viewer.user.id;
    let fields = form.into_inner();
    let body = UpdateUser {
        password: Some(fields.password),
        current_password: is_me.then_some(fields.current_password),
        ..UpdateUser::default()
    };
    match user_ops::update(&state, &viewer.caller, user.id, body, None).await {
        Ok(_) => page::html(&PasswordForm {
            user_id: user.id.0,
            is_me,
            problems: Problems::default(),
            done: true,
        }),
        Err(error) => page::html_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            &PasswordForm {
                user_id: user.id.0,
                is_me,
                problems: Problems::from_error(error)?,
                done: false,
            },
        ),
    }
}

/// `POST /users/{id}/unlock`: lifts a lockout (as the API does), back to the user's page.
pub async fn unlock(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<i64>,
) -> Result<HttpResponse, ConsoleError> {
    let (user, _) = target(&state, &viewer, id.into_inner()).await?;
    user_ops::unlock(&state, &viewer.caller, user.id).await?;
    Ok(page::go_to(&format!(
        "/users/{}/edit?notice=user-unlocked",
        user.id
    )))
}

#[derive(Template)]
#[template(path = "user_remove.html")]
struct RemovePage {
    chrome: Chrome,
    user: UserRow,
    group_id: i64,
    version: i64,
    problems: Problems,
}

/// `GET /users/{id}/remove`: the confirmation.
pub async fn remove_form(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<i64>,
) -> Result<HttpResponse, ConsoleError> {
    let (user, group) = target(&state, &viewer, id.into_inner()).await?;
    viewer.caller.authorize(Action::ManageUsers, &group)?;
    page::html(&RemovePage {
        chrome: Chrome::new(
            &viewer,
            format!("Remove {}", user.username),
            "users",
            &group,
        ),
        version: user.version,
        group_id: group.id.0,
        user: user_row(&user, viewer.user.id),
        problems: Problems::default(),
    })
}

#[derive(Debug, Deserialize)]
pub struct VersionField {
    version: Option<i64>,
}

/// `POST /users/{id}/remove`.
pub async fn remove(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<i64>,
    form: web::Form<VersionField>,
) -> Result<HttpResponse, ConsoleError> {
    let (user, group) = target(&state, &viewer, id.into_inner()).await?;
    match user_ops::delete(&state, &viewer.caller, user.id, form.version).await {
        Ok(()) => Ok(page::go_to(&format!(
            "/users?group={}&notice=user-removed",
            group.id
        ))),
        Err(error) => page::html_with(
            StatusCode::CONFLICT,
            &RemovePage {
                chrome: Chrome::new(
                    &viewer,
                    format!("Remove {}", user.username),
                    "users",
                    &group,
                ),
                version: user.version,
                group_id: group.id.0,
                user: user_row(&user, viewer.user.id),
                problems: Problems::from_error(error)?,
            },
        ),
    }
}

#[derive(Debug, Deserialize)]
pub struct TokenFields {
    #[serde(default)]
    name: String,
}

/// `POST /users/{id}/tokens`: a new token for an API user, shown once in the answer.
pub async fn create_token(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<i64>,
    form: web::Form<TokenFields>,
) -> Result<HttpResponse, ConsoleError> {
    let (user, _) = target(&state, &viewer, id.into_inner()).await?;
    let body = CreateApiToken {
        name: Some(form.into_inner().name).filter(|n| !n.trim().is_empty()),
        expires_at: None,
    };
    let (created, problems) = match token_ops::create(&state, &viewer.caller, user.id, body).await {
        Ok(created) => (Some(created.token), Problems::default()),
        Err(error) => (None, Problems::from_error(error)?),
    };
    let view = tokens_view(&state, &viewer, &user, created, problems).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .body(view))
}

/// `POST /users/{id}/tokens/{token}/revoke`.
pub async fn revoke_token(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, ConsoleError> {
    let (id, token) = path.into_inner();
    let (user, _) = target(&state, &viewer, id).await?;
    token_ops::revoke(&state, &viewer.caller, user.id, token).await?;
    let view = tokens_view(&state, &viewer, &user, None, Problems::default()).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(view))
}
