//! Login and logout: the group's name, the username and the password, as in the API (the same
//! `sign_in`, so the same lockout and the same answer for every wrong combination).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use tenantry_api_types::ErrorCode;

use super::assets;
use super::page::{self, ConsoleError};
use super::theme::{Look, is_login_address, look_for};
use super::viewer::{self, Viewer};
use crate::origin;
use crate::routes::auth::{sign_in, sign_out};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    css: String,
    /// The installation's look (its root group's theme), or the look of the group whose
    /// white-label login address the page is.
    look: Look,
    /// Where the form posts: `/login`, or the white-label address, so that a refusal shows the
    /// same page again.
    action: String,
    group: String,
    username: String,
    problem: Option<String>,
}

impl LoginPage {
    fn new(look: Look, group: String, username: String, problem: Option<String>) -> LoginPage {
        LoginPage {
            css: assets::url("console.css"),
            look,
            action: "/login".to_owned(),
            group,
            username,
            problem,
        }
    }
}

/// `GET /login`.
pub async fn form(
    state: web::Data<AppState>,
    viewer: Option<Viewer>,
) -> Result<HttpResponse, ConsoleError> {
    show(&state, viewer, None).await
}

/// `GET /login/{address}`: the login page of a group's white-label address (set on its
/// Branding tab), in that group's look; 404 for an address no group has.
pub async fn white_label(
    state: web::Data<AppState>,
    viewer: Option<Viewer>,
    address: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    show(&state, viewer, Some(&address.into_inner())).await
}

async fn show(
    state: &AppState,
    viewer: Option<Viewer>,
    address: Option<&str>,
) -> Result<HttpResponse, ConsoleError> {
    if viewer.is_some() {
        return Ok(page::see_other("/overview"));
    }
    let page = login_page(state, address, String::new(), String::new(), None).await?;
    page::html(&page)
}

/// The login page, in the look of the address's group (or the installation's).
async fn login_page(
    state: &AppState,
    address: Option<&str>,
    group: String,
    username: String,
    problem: Option<String>,
) -> Result<LoginPage, ConsoleError> {
    let not_found = || ConsoleError::from(crate::error::ApiError::not_found("login address"));
    if address.is_some_and(|a| !is_login_address(a)) {
        return Err(not_found());
    }
    let look = look_for(state, None, address).await.ok_or_else(not_found)?;
    let mut page = LoginPage::new(look, group, username, problem);
    if let Some(address) = address {
        page.action = format!("/login/{address}");
    }
    Ok(page)
}

#[derive(Debug, Deserialize)]
pub struct Credentials {
    #[serde(default)]
    group: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

/// `POST /login`: a plain form post (there is no session yet to carry a CSRF token; the
/// browser's `Origin` must be this console's).
pub async fn submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<Credentials>,
) -> Result<HttpResponse, ConsoleError> {
    sign_in_with(&state, &req, form.into_inner(), None).await
}

/// `POST /login/{address}`: the same, from a white-label login page (which a refusal shows
/// again).
pub async fn submit_white_label(
    state: web::Data<AppState>,
    req: HttpRequest,
    address: web::Path<String>,
    form: web::Form<Credentials>,
) -> Result<HttpResponse, ConsoleError> {
    let address = address.into_inner();
    sign_in_with(&state, &req, form.into_inner(), Some(&address)).await
}

async fn sign_in_with(
    state: &AppState,
    req: &HttpRequest,
    form: Credentials,
    address: Option<&str>,
) -> Result<HttpResponse, ConsoleError> {
    viewer::same_origin(req)?;
    let Credentials {
        group,
        username,
        password,
    } = form;
    let shown = (group.clone(), username.clone());
    let source = origin::client_addr(req);
    match sign_in(state, source, group, username, password).await {
        Ok((token, _)) => {
            let secure = state.public_url.starts_with("https://");
            Ok(HttpResponse::SeeOther()
                .cookie(viewer::session_cookie(&token, secure))
                .insert_header((actix_web::http::header::LOCATION, "/overview"))
                .finish())
        }
        Err(error) => {
            let status =
                StatusCode::from_u16(error.body().status).unwrap_or(StatusCode::UNAUTHORIZED);
            let problem = match error.code() {
                ErrorCode::Unauthenticated => {
                    "The group name, username or password is wrong.".to_owned()
                }
                ErrorCode::Locked => "Too many failed logins: this account is locked for a \
                                      while. Try again later, or ask an administrator to unlock \
                                      it."
                .to_owned(),
                ErrorCode::ValidationFailed => {
                    "Fill in the group name, the username and the password.".to_owned()
                }
                ErrorCode::TooManyRequests => format!(
                    "Too many login attempts from your address: try again in {} seconds.",
                    error.retry_after_seconds().unwrap_or(60)
                ),
                _ => return Err(error.into()),
            };
            let page = login_page(state, address, shown.0, shown.1, Some(problem)).await?;
            page::html_with(status, &page)
        }
    }
}

/// `POST /logout`: ends the session (as the API's logout) and clears the cookie.
pub async fn logout(
    state: web::Data<AppState>,
    viewer: Viewer,
) -> Result<HttpResponse, ConsoleError> {
    sign_out(&state, &viewer.caller).await?;
    let secure = state.public_url.starts_with("https://");
    Ok(HttpResponse::Ok()
        .cookie(viewer::cleared_cookie(secure))
        .insert_header(("HX-Redirect", "/login"))
        .finish())
}
