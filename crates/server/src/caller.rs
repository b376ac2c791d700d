//! Who is asking: every API handler takes a [`Caller`], and every read or write it makes is
//! limited to the caller's scope (its group's subtree).

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use tenantry_api_types::ErrorCode;
use tenantry_domain::{GroupId, TreePath};

use crate::error::ApiError;
use crate::state::AppState;

/// The authenticated caller and the subtree it may see and change.
#[derive(Clone, Debug)]
pub struct Caller {
    /// The caller's own group.
    pub group_id: GroupId,
    /// The path of the caller's group: everything outside it answers 404.
    pub scope: TreePath,
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Caller, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req))
    }
}

fn authenticate(req: &HttpRequest) -> Result<Caller, ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::internal("application state missing"))?;
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split_once(' '))
        // The scheme is case-insensitive (RFC 9110); the token is not.
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::Unauthenticated,
                "send Authorization: Bearer <token>",
            )
        })?;
    // Until user accounts exist, the one credential is the configured bootstrap token, whose
    // scope is the whole tree. The users issue replaces this lookup; handlers stay as they are.
    if state.bootstrap_token.matches(token) {
        Ok(Caller {
            group_id: state.root_id,
            scope: state.root_path.clone(),
        })
    } else {
        Err(ApiError::new(
            ErrorCode::Unauthenticated,
            "the token is not valid",
        ))
    }
}
