//! Who is looking at a console page: the session cookie's caller, its group and its CSRF token.
//!
//! The cookie carries the same session token as the API's bearer header, checked by the same
//! code (`caller::from_token`), so idle and absolute expiry, logout and revocation are the API's.
//! Every state-changing request must also carry the session's CSRF token in `X-CSRF-Token`
//! (htmx sends it from the page's `hx-headers`); without it nothing is changed.

use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::http::{Method, header};
use actix_web::{FromRequest, HttpRequest, web};
use sha2::{Digest, Sha256};
use tenantry_domain::{Action, Group, User};
use tenantry_storage::groups;
use tenantry_storage::users::SessionKind;

use super::page::{ConsoleError, capitalise};
use super::theme::Look;
use crate::caller::{self, Caller};
use crate::state::AppState;

/// The console's session cookie.
pub const COOKIE: &str = "tenantry_session";
/// The header htmx sends the CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// A signed-in console user.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub caller: Caller,
    /// The caller's own group: the root of everything it sees.
    pub group: Group,
    pub user: User,
    /// Derived from the session token, which only this browser holds (in an HttpOnly cookie),
    /// so a page of another site can neither read nor guess it.
    pub csrf: String,
    /// How the group's console looks (its theme, checked).
    pub look: Look,
    /// The plugins' panels placed in the left menu (the page's frame shows those the viewer
    /// may open on the page's group).
    pub menu_panels: Vec<MenuPanel>,
}

/// A plugin's panel in the left menu: its address under a customer (`plugin/panel`), its
/// title, and what it takes to see it.
#[derive(Debug, Clone)]
pub struct MenuPanel {
    pub path: String,
    pub title: String,
    pub permission: tenantry_domain::Permission,
}

/// Whether the caller may take `action` on `target`, and if not, why: what a page shows beside
/// a control it disables. The answer is `Caller::authorize`'s, so it cannot disagree with it.
#[derive(Debug, Clone)]
pub struct Permit {
    pub allowed: bool,
    pub reason: String,
}

impl Viewer {
    pub fn may(&self, action: Action, target: &Group) -> Permit {
        match self.caller.authorize(action, target) {
            Ok(()) => Permit {
                allowed: true,
                reason: String::new(),
            },
            Err(error) => Permit {
                allowed: false,
                reason: capitalise(&error.to_string()),
            },
        }
    }
}

/// The CSRF token of a session token.
pub fn csrf_token(session_token: &str) -> String {
    let digest = Sha256::digest(format!("tenantry console csrf\0{session_token}").as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The session cookie for a new session (`Secure` when the console is served over https).
pub fn session_cookie(token: &str, secure: bool) -> Cookie<'static> {
    Cookie::build(COOKIE, token.to_owned())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .finish()
}

/// The cookie that removes the session cookie.
pub fn cleared_cookie(secure: bool) -> Cookie<'static> {
    let mut cookie = session_cookie("", secure);
    cookie.make_removal();
    cookie
}

/// A request that changes something must come from a page of this console: the CSRF token,
/// and (where the browser says) the same origin.
fn check_request(req: &HttpRequest, csrf: &str) -> Result<(), ConsoleError> {
    if matches!(*req.method(), Method::GET | Method::HEAD) {
        return Ok(());
    }
    let sent = req
        .headers()
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !constant_time_eq(sent.as_bytes(), csrf.as_bytes()) {
        return Err(ConsoleError::Csrf);
    }
    same_origin(req)
}

/// A cross-site request with a browser's `Origin` header is refused even with a token.
pub fn same_origin(req: &HttpRequest) -> Result<(), ConsoleError> {
    let Some(origin) = req.headers().get(header::ORIGIN) else {
        return Ok(());
    };
    let origin = origin.to_str().unwrap_or("");
    let (_, host) = crate::origin::scheme_and_host(req);
    let origin_host = origin.split_once("://").map_or("", |(_, rest)| rest);
    if origin_host.eq_ignore_ascii_case(&host) {
        Ok(())
    } else {
        Err(ConsoleError::Csrf)
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl FromRequest for Viewer {
    type Error = ConsoleError;
    type Future = Pin<Box<dyn Future<Output = Result<Viewer, ConsoleError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = req.cookie(COOKIE).map(|c| c.value().to_owned());
        let req = req.clone();
        let signed_out = ConsoleError::SignedOut {
            htmx: req.headers().contains_key("hx-request"),
        };
        Box::pin(async move {
            let Some(state) = state else {
                return Err(signed_out);
            };
            let Some(token) = token.filter(|t| !t.is_empty()) else {
                return Err(signed_out);
            };
            let Ok(caller) = caller::from_token(&state, &token).await else {
                return Err(signed_out);
            };
            // API tokens are for automation: they never open the console.
            if caller.session.kind != SessionKind::Session {
                return Err(signed_out);
            }
            let csrf = csrf_token(&token);
            check_request(&req, &csrf)?;
            let who = caller.clone();
            let plugins = std::sync::Arc::clone(&state.plugins);
            // Whole pages are drawn with the theme; htmx's requests answer fragments without
            // the frame, and skip the plugin call.
            let drawn = !req.headers().contains_key("hx-request");
            let Ok((group, look)) = state
                .read(move |c| {
                    let group = groups::get(c, &who.scope, who.group_id())?;
                    let theme = if drawn {
                        plugins.theme(c, group.clone(), None, false)
                    } else {
                        None
                    };
                    Ok((group, Look::from(theme)))
                })
                .await
            else {
                return Err(signed_out);
            };
            let menu_panels = super::panels::menu_panels(&state);
            Ok(Viewer {
                user: caller.session.user.clone(),
                caller,
                group,
                csrf,
                look,
                menu_panels,
            })
        })
    }
}
