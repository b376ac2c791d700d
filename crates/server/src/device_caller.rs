//! A device reporting for itself: authenticated by its own credential (a bearer token made when
//! it was added or enrolled), never by a user's token.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use tenantry_api_types::ErrorCode;
use tenantry_domain::Device;
use tenantry_storage::devices;

use crate::auth::token;
use crate::error::ApiError;
use crate::state::AppState;

/// The device whose credential the request carries.
#[derive(Debug)]
pub struct DeviceCaller(pub Device);

fn unauthenticated() -> ApiError {
    ApiError::new(
        ErrorCode::Unauthenticated,
        "send the device's credential: Authorization: Bearer tdv_…",
    )
}

impl FromRequest for DeviceCaller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<DeviceCaller, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let hash = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, credential)| token::hash(credential.trim()));
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal("application state missing"))?;
            let hash = hash.ok_or_else(unauthenticated)?;
            let device = state
                .read(move |c| devices::by_credential(c, &hash))
                .await?
                .ok_or_else(unauthenticated)?;
            Ok(DeviceCaller(device))
        })
    }
}
