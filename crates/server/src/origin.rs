//! The scheme and host a request came to: put into the addresses the server hands out (install
//! commands) and compared with a browser's `Origin`. Behind a reverse proxy, the proxy says them
//! in `Forwarded` / `X-Forwarded-Proto` / `X-Forwarded-Host`; those headers are believed only
//! from `server.trusted_proxies`, because anyone can send them (a client would otherwise write
//! its own host into the install command shown to an administrator).

use std::net::IpAddr;

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

/// The address of the client a request comes from, as login throttling counts it: the
/// connection's peer; behind trusted proxies, the last address of `X-Forwarded-For` that is not
/// one of them (the addresses before it could be anything the client wrote), or its first when
/// all are (a client on the proxies' own private network).
pub fn client_addr(req: &HttpRequest) -> IpAddr {
    let unspecified = IpAddr::from([0, 0, 0, 0]);
    let Some(peer) = req.peer_addr().map(|peer| peer.ip()) else {
        return unspecified;
    };
    let Some(state) = req.app_data::<web::Data<AppState>>() else {
        return peer;
    };
    if !is_trusted(state, peer) {
        return peer;
    }
    let forwarded: Vec<IpAddr> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|hop| hop.trim().parse().ok())
        .collect();
    forwarded
        .iter()
        .rev()
        .find(|hop| !is_trusted(state, **hop))
        .or(forwarded.first())
        .copied()
        .unwrap_or(peer)
}

fn is_trusted(state: &AppState, address: IpAddr) -> bool {
    state
        .trusted_proxies
        .iter()
        .any(|network| network.contains(&address))
}

fn from_trusted_proxy(req: &HttpRequest) -> bool {
    let Some(state) = req.app_data::<web::Data<AppState>>() else {
        return false;
    };
    req.peer_addr()
        .is_some_and(|peer| is_trusted(state, peer.ip()))
}
