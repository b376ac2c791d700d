//! What every console page shares: the frame around it (header, menu, notice), rendering,
//! the answers to htmx, errors as pages, and the security headers.

use actix_web::body::BoxBody;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;
use tenantry_api_types::{ErrorCode, FieldErrorBody};
use tenantry_domain::{Group, Module};

use super::assets;
use super::theme::Look;
use super::viewer::Viewer;
use crate::error::ApiError;

/// `Content-Security-Policy` of every answer: scripts and styles only from this server's files
/// (no inline script, no `style=`, no eval), images also as `data:` URLs, never in a frame.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                       object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The headers every answer carries (console pages and API alike).
pub fn security_headers() -> actix_web::middleware::DefaultHeaders {
    actix_web::middleware::DefaultHeaders::new()
        .add((header::CONTENT_SECURITY_POLICY, CSP))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::REFERRER_POLICY, "same-origin"))
        // Answers carry tokens, credentials, passphrases and tenants' data: no cache keeps them,
        // unless a route says otherwise (the console's hashed assets are immutable).
        .add((header::CACHE_CONTROL, "no-store"))
}

/// One entry of the left-hand menu.
#[derive(Debug, Clone)]
pub struct MenuEntry {
    pub label: String,
    pub href: String,
    pub active: bool,
}

/// The frame of a page: who is signed in, the menu for the page's group, a notice.
#[derive(Debug, Clone)]
pub struct Chrome {
    pub title: String,
    pub user: String,
    pub account: String,
    pub group_name: String,
    pub csrf: String,
    pub menu: Vec<MenuEntry>,
    pub notice: Option<&'static str>,
    pub css: String,
    pub htmx: String,
    pub js: String,
    /// The group's theme: names, stylesheet, logo, favicon, support contact.
    pub look: Look,
}

/// The menu's sections: label, path, the module whose availability shows it, and the page key.
const MENU: [(&str, &str, Module, &str); 6] = [
    ("Overview", "/overview", Module::Dashboard, "overview"),
    ("Customers", "/customers", Module::Customers, "customers"),
    ("Backup dashboard", "/devices", Module::Dashboard, "devices"),
    (
        "Quick Installation",
        "/quick-installation",
        Module::QuickInstallation,
        "quick-installation",
    ),
    (
        "Profiles & policies",
        "/settings",
        Module::Profiles,
        "settings",
    ),
    ("Users", "/users", Module::Users, "users"),
];

/// What a finished change says on the page it leads to (`?notice=…`): fixed texts, so that no
/// address can put words of its own on a page.
const NOTICES: [(&str, &str); 14] = [
    ("added", "The customer was added."),
    ("saved", "Your changes were saved."),
    ("moved", "The customer was moved, with everything below it."),
    ("removed", "The customer was removed."),
    ("imported", "The customers were imported."),
    ("user-added", "The user was added."),
    ("user-saved", "The user was saved."),
    ("user-removed", "The user was removed."),
    ("user-unlocked", "The user may log in again."),
    ("setting-added", "Added."),
    ("setting-saved", "Saved."),
    ("setting-removed", "Removed."),
    ("panel-saved", "Saved."),
    ("panel-done", "Done."),
];

impl Chrome {
    /// The frame for a page about `context` (the menu shows what its level may use).
    pub fn new(viewer: &Viewer, title: impl Into<String>, active: &str, context: &Group) -> Chrome {
        let with_group = |path: &str| {
            if context.id == viewer.group.id {
                path.to_owned()
            } else {
                format!("{path}?group={}", context.id)
            }
        };
        let mut menu: Vec<MenuEntry> = MENU
            .iter()
            .filter(|(_, _, module, _)| module.is_available_at(context.level))
            .map(|(label, path, _, key)| MenuEntry {
                label: (*label).to_owned(),
                href: with_group(path),
                active: *key == active,
            })
            .collect();
        // The plugins' menu entries the viewer may open on the page's group.
        menu.extend(
            viewer
                .menu_panels
                .iter()
                .filter(|entry| {
                    viewer
                        .caller
                        .authorize_permission(&entry.permission, context)
                        .is_ok()
                })
                .map(|entry| MenuEntry {
                    label: entry.title.clone(),
                    href: format!("/customers/{}/panels/{}", context.id, entry.path),
                    active: entry.path == active,
                }),
        );
        let authority = viewer.user.authority();
        let account = if authority.security_officer {
            format!("{} · Security Officer", authority.role.label())
        } else {
            authority.role.label().to_owned()
        };
        Chrome {
            title: title.into(),
            user: viewer
                .user
                .name
                .clone()
                .unwrap_or_else(|| viewer.user.username.clone()),
            account,
            group_name: viewer.group.name.clone(),
            csrf: viewer.csrf.clone(),
            menu,
            notice: None,
            css: assets::url("console.css"),
            htmx: assets::url("htmx.min.js"),
            js: assets::url("console.js"),
            look: viewer.look.clone(),
        }
    }

    pub fn with_notice(mut self, code: Option<&str>) -> Chrome {
        self.notice = code.and_then(|code| {
            NOTICES
                .iter()
                .find(|(key, _)| *key == code)
                .map(|(_, text)| *text)
        });
        self
    }
}

/// A page around one form: a heading, a line of introduction, the form, the way back.
#[derive(Template)]
#[template(path = "form_page.html")]
pub struct FormPage {
    pub chrome: Chrome,
    pub heading: String,
    pub intro: String,
    pub form: String,
    pub back: String,
}

/// A rendered template as a 200 answer.
pub fn html(template: &impl Template) -> Result<HttpResponse, ConsoleError> {
    html_with(StatusCode::OK, template)
}

pub fn html_with(
    status: StatusCode,
    template: &impl Template,
) -> Result<HttpResponse, ConsoleError> {
    let body = template.render().map_err(ApiError::internal)?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body))
}

/// A rendered fragment to embed in a page (askama escaped it already).
pub fn fragment(template: &impl Template) -> Result<String, ConsoleError> {
    Ok(template.render().map_err(ApiError::internal)?)
}

/// After a successful change made with htmx: the browser goes to `to` (a whole page load).
pub fn go_to(to: &str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("HX-Redirect", to.to_owned()))
        .finish()
}

/// A plain redirect for a whole-page request.
pub fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to.to_owned()))
        .finish()
}

/// One option of a `<select>`.
#[derive(Debug, Clone)]
pub struct Choice {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

/// The options of a `<select>`, with `current` selected.
pub fn choices(options: &[(&'static str, &'static str)], current: &str) -> Vec<Choice> {
    options
        .iter()
        .map(|(value, label)| Choice {
            value,
            label,
            selected: *value == current,
        })
        .collect()
}

/// A form's problems, as its template shows them: a message for the form and one per field.
#[derive(Debug, Clone, Default)]
pub struct Problems {
    pub message: Option<String>,
    pub fields: Vec<FieldErrorBody>,
}

impl Problems {
    /// The API's error for the same input, for the form to show: field errors beside their
    /// fields, anything else at the top. Errors a form cannot explain end the request.
    pub fn from_error(error: ApiError) -> Result<Problems, ConsoleError> {
        let body = error.body();
        match body.code {
            ErrorCode::NotFound | ErrorCode::Internal | ErrorCode::Unavailable => {
                Err(ConsoleError::Api(error))
            }
            _ => {
                let mut message = body.detail.clone();
                if let (Some(children), Some(devices)) = (body.children, body.devices) {
                    message = format!(
                        "{message} (it has {children} customer{} and {devices} device{} of its own)",
                        plural(children),
                        plural(devices)
                    );
                }
                let mut fields = body.errors.clone();
                // Conflicts the API reports for the request as a whole belong beside a field.
                let field = match body.code {
                    ErrorCode::NameTaken => Some("name"),
                    ErrorCode::LevelViolation => Some("level"),
                    ErrorCode::InvalidParent => Some("parent_id"),
                    _ => None,
                };
                if let Some(field) = field.filter(|_| fields.is_empty()) {
                    fields.push(FieldErrorBody {
                        field: field.to_owned(),
                        message: capitalise(&body.detail),
                        line: None,
                    });
                    // Said once, beside the field; the top only says that nothing changed.
                    message = "Nothing was saved: see the field marked below.".to_owned();
                }
                Ok(Problems {
                    message: Some(capitalise(&message)),
                    fields,
                })
            }
        }
    }

    /// The problems the form does not show beside a field of its own (`shown`: its fields,
    /// comma-separated): a file's lines, fields it has no input for.
    pub fn elsewhere(&self, shown: &str) -> Vec<String> {
        let shown: Vec<&str> = shown.split(',').filter(|f| !f.is_empty()).collect();
        self.fields
            .iter()
            .filter(|f| {
                let root = f.field.split('.').next().unwrap_or_default();
                f.line.is_some() || !shown.contains(&root)
            })
            .map(|f| {
                let what = f.field.replace(['_', '.'], " ");
                match f.line {
                    Some(line) => format!("Line {line}: {what}: {}", f.message),
                    None => format!("{}: {}", capitalise(&what), f.message),
                }
            })
            .collect()
    }

    /// The problem with one field, for the template to show beside it.
    pub fn field(&self, name: &str) -> String {
        self.fields
            .iter()
            .filter(|f| f.field == name || f.field.starts_with(&format!("{name}.")))
            .map(|f| f.message.clone())
            .collect::<Vec<_>>()
            .join("; ")
    }
}

pub fn plural(n: i64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The text with its first letter in capitals (domain messages start in lower case).
pub(super) fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Why a console request did not get its page.
#[derive(Debug)]
pub enum ConsoleError {
    /// No session, or it ended: to the login page.
    SignedOut {
        htmx: bool,
    },
    /// A state-changing request without the session's CSRF token (or from another origin).
    Csrf,
    Api(ApiError),
}

impl From<ApiError> for ConsoleError {
    fn from(error: ApiError) -> ConsoleError {
        if error.code() == ErrorCode::Unauthenticated {
            ConsoleError::SignedOut { htmx: false }
        } else {
            ConsoleError::Api(error)
        }
    }
}

impl From<tenantry_domain::DomainError> for ConsoleError {
    fn from(error: tenantry_domain::DomainError) -> ConsoleError {
        ConsoleError::Api(error.into())
    }
}

impl std::fmt::Display for ConsoleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConsoleError::SignedOut { .. } => f.write_str("signed out"),
            ConsoleError::Csrf => f.write_str("missing or wrong CSRF token"),
            ConsoleError::Api(error) => error.fmt(f),
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    title: &'a str,
    message: &'a str,
    css: String,
}

impl ResponseError for ConsoleError {
    fn status_code(&self) -> StatusCode {
        match self {
            ConsoleError::SignedOut { .. } => StatusCode::SEE_OTHER,
            ConsoleError::Csrf => StatusCode::FORBIDDEN,
            ConsoleError::Api(error) => error.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse<BoxBody> {
        let (title, message) = match self {
            ConsoleError::SignedOut { htmx: true } => {
                // An htmx request follows no redirect of ours: it tells the page to go.
                return HttpResponse::Unauthorized()
                    .insert_header(("HX-Redirect", "/login"))
                    .finish();
            }
            ConsoleError::SignedOut { htmx: false } => return see_other("/login"),
            ConsoleError::Csrf => (
                "Request refused".to_owned(),
                "This request did not come from a page of this console, so nothing was changed. \
                 Reload the page and try again."
                    .to_owned(),
            ),
            ConsoleError::Api(error) => {
                let body = error.body();
                match body.code {
                    ErrorCode::NotFound => (
                        "Not found".to_owned(),
                        "There is nothing here, or it is not yours to see.".to_owned(),
                    ),
                    _ => (body.title.clone(), capitalise(&body.detail)),
                }
            }
        };
        let status = self.status_code();
        let page = ErrorPage {
            status: status.as_u16(),
            title: &title,
            message: &message,
            css: assets::url("console.css"),
        };
        let body = page.render().unwrap_or_else(|_| message.clone());
        HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(body)
    }
}
