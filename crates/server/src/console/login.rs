//! Login and logout: the group's name, the username and the password, as in the API (the same
//! `sign_in`, so the same lockout and the same answer for every wrong combination).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use tenantry_api_types::ErrorCode;

use super::assets;
use super::page::{self, ConsoleError};
use super::theme::{Look, look_for};
use super::viewer::{self, Viewer};
use crate::origin;
use crate::routes::auth::{sign_in, sign_out};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    css: String,
    /// The installation's look: its root group's theme.
    look: Look,
    group: String,
    username: String,
    problem: Option<String>,
}

impl LoginPage {
    fn new(look: Look, group: String, username: String, problem: Option<String>) -> LoginPage {
        LoginPage {
            css: assets::url("console.css"),
            look,
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
    if viewer.is_some() {
        return Ok(page::see_other("/overview"));
    }
    let look = look_for(&state, None).await;
    page::html(&LoginPage::new(look, String::new(), String::new(), None))
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
    viewer::same_origin(&req)?;
    let Credentials {
        group,
        username,
        password,
    } = form.into_inner();
    let shown = (group.clone(), username.clone());
    let source = origin::client_addr(&req);
    match sign_in(&state, source, group, username, password).await {
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
            let look = look_for(&state, None).await;
            page::html_with(
                status,
                &LoginPage::new(look, shown.0, shown.1, Some(problem)),
            )
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
