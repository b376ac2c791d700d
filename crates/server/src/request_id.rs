//! Request ids: each request carries one in `X-Request-Id`, the caller's own when it sent a
//! usable one (a proxy's, so that one id follows a request through every hop), a new one
//! otherwise. The access log prints it and the response returns it, so a user's report of a
//! failed request can be found in the logs.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;

pub const HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// Middleware: makes sure the request has an id before anything logs it, and answers with it.
pub async fn propagate(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let given = req
        .headers()
        .get(&HEADER)
        .filter(|value| is_usable(value.as_bytes()))
        .cloned();
    let id = match given {
        Some(id) => id,
        None => {
            let id = HeaderValue::from_str(&new_id())
                .map_err(actix_web::error::ErrorInternalServerError)?;
            req.headers_mut().insert(HEADER, id.clone());
            id
        }
    };
    let mut response = next.call(req).await?;
    response.headers_mut().insert(HEADER, id);
    Ok(response)
}

/// Ids from outside are echoed into logs and headers: short, and nothing but `[A-Za-z0-9._-]`.
fn is_usable(id: &[u8]) -> bool {
    (1..=64).contains(&id.len())
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// 16 random bytes as hex. A failing random source still gets a distinct id (from the clock).
fn new_id() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        bytes = nanos.to_le_bytes();
    }
    crate::auth::token::hex(&bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_short_plain_ids_are_taken_from_outside() {
        assert!(is_usable(b"3f2a-req_7.1"));
        assert!(!is_usable(b""));
        assert!(!is_usable(b"id with spaces"));
        assert!(!is_usable(b"line\nbreak"));
        assert!(!is_usable(&[b'a'; 65]));
        assert_eq!(new_id().len(), 32);
        assert_ne!(new_id(), new_id());
    }
}
