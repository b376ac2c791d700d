//! The scheme and host a request came to: put into the addresses the server hands out (install
//! commands) and compared with a browser's `Origin`. Behind a reverse proxy, the proxy says them
//! in `Forwarded` / `X-Forwarded-Proto` / `X-Forwarded-Host`; those headers are believed only
//! from `server.trusted_proxies`, because anyone can send them (a client would otherwise write
//! its own host into the install command shown to an administrator).

use actix_web::http::header;
use actix_web::{HttpRequest, web};

use crate::state::AppState;

/// `server.public_url` when it is set, else `scheme://host` of the request.
pub fn public_base(req: &HttpRequest, state: &AppState) -> String {
    if !state.public_url.is_empty() {
        return state.public_url.clone();
    }
    let (scheme, host) = scheme_and_host(req);
    format!("{scheme}://{host}")
}

/// The request's scheme and host: from the forwarding headers of a trusted proxy, else from the
/// connection itself and its `Host` header.
pub fn scheme_and_host(req: &HttpRequest) -> (String, String) {
    if from_trusted_proxy(req) {
        let info = req.connection_info();
        return (info.scheme().to_owned(), info.host().to_owned());
    }
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|host| host.to_str().ok())
        .map(str::to_owned)
        .or_else(|| req.uri().authority().map(ToString::to_string))
        .unwrap_or_else(|| req.app_config().host().to_owned());
    let scheme = if req.app_config().secure() {
        "https"
    } else {
        "http"
    };
    (scheme.to_owned(), host)
}

fn from_trusted_proxy(req: &HttpRequest) -> bool {
    let Some(state) = req.app_data::<web::Data<AppState>>() else {
        return false;
    };
    req.peer_addr().is_some_and(|peer| {
        state
            .trusted_proxies
            .iter()
            .any(|network| network.contains(&peer.ip()))
    })
}
