//! Versions as entity tags: `GET` sends `ETag`, `If-Match` makes a change conditional.

use actix_web::HttpRequest;
use actix_web::http::header;
use tenantry_api_types::ErrorCode;

use crate::error::ApiError;

/// The strong entity tag of one version of one resource, e.g. `"group-42-v7"`.
pub fn etag(kind: &str, id: i64, version: i64) -> String {
    format!("\"{kind}-{id}-v{version}\"")
}

/// The version `If-Match` requires: `None` when the header is absent or `*` (the resource
/// exists, which the handler checks anyway), else the version its strong tag for this resource
/// names. A header that names no such tag (only other resources' tags, or weak ones: If-Match
/// compares strongly) can never match: `412 precondition_failed` at once. One that is not text
/// is `400 malformed_request`.
pub fn required_version(req: &HttpRequest, kind: &str, id: i64) -> Result<Option<i64>, ApiError> {
    let Some(value) = req.headers().get(header::IF_MATCH) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| {
        ApiError::new(
            ErrorCode::MalformedRequest,
            "If-Match is not a list of entity tags",
        )
    })?;
    if value.trim() == "*" {
        return Ok(None);
    }
    let prefix = format!("\"{kind}-{id}-v");
    value
        .split(',')
        .map(str::trim)
        .find_map(|tag| {
            tag.strip_prefix(&prefix)?
                .strip_suffix('"')?
                .parse::<i64>()
                .ok()
        })
        .map(Some)
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::PreconditionFailed,
                "If-Match names no version of this resource: fetch it again (its ETag) and retry",
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn with(value: &str) -> Result<Option<i64>, u16> {
        required_version(
            &TestRequest::default()
                .insert_header((header::IF_MATCH, value))
                .to_http_request(),
            "group",
            4,
        )
        .map_err(|e| e.body().code.status())
    }

    #[test]
    fn if_match_names_a_version() {
        assert_eq!(with(&etag("group", 4, 7)), Ok(Some(7)));
        assert_eq!(
            with(&format!("\"x\", {}", etag("group", 4, 9))),
            Ok(Some(9))
        );
        assert_eq!(with("*"), Ok(None));
        assert_eq!(
            required_version(&TestRequest::default().to_http_request(), "group", 4).ok(),
            Some(None)
        );
    }

    #[test]
    fn a_tag_that_can_never_match_fails_the_precondition_at_once() {
        assert_eq!(with(&format!("W/{}", etag("group", 4, 7))), Err(412));
        assert_eq!(with(&etag("group", 5, 7)), Err(412));
        assert_eq!(with("\"group-4-vseven\""), Err(412));
        let binary = TestRequest::default()
            .insert_header((
                header::IF_MATCH,
                header::HeaderValue::from_bytes(b"\"group-4-v7\xff\"").unwrap(),
            ))
            .to_http_request();
        assert_eq!(
            required_version(&binary, "group", 4).map_err(|e| e.body().code.status()),
            Err(400)
        );
    }
}
