//! Versions as entity tags: `GET` sends `ETag`, `If-Match` makes a change conditional.

use actix_web::HttpRequest;
use actix_web::http::header;

/// The strong entity tag of one version of one resource, e.g. `"group-42-v7"`.
pub fn etag(kind: &str, id: i64, version: i64) -> String {
    format!("\"{kind}-{id}-v{version}\"")
}

/// The version `If-Match` requires: `None` when the header is absent or `*` (the resource exists,
/// which the handler checks anyway); a version that can never match when the header names only
/// tags of other resources or weak tags (If-Match uses strong comparison).
pub fn required_version(req: &HttpRequest, kind: &str, id: i64) -> Option<i64> {
    let value = req.headers().get(header::IF_MATCH)?.to_str().unwrap_or("");
    if value.trim() == "*" {
        return None;
    }
    let prefix = format!("\"{kind}-{id}-v");
    let version = value
        .split(',')
        .map(str::trim)
        .filter_map(|tag| {
            tag.strip_prefix(&prefix)?
                .strip_suffix('"')?
                .parse::<i64>()
                .ok()
        })
        .next();
    Some(version.unwrap_or(-1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn with(value: &str) -> Option<i64> {
        required_version(
            &TestRequest::default()
                .insert_header((header::IF_MATCH, value))
                .to_http_request(),
            "group",
            4,
        )
    }

    #[test]
    fn if_match_names_a_version() {
        assert_eq!(with(&etag("group", 4, 7)), Some(7));
        assert_eq!(with(&format!("\"x\", {}", etag("group", 4, 9))), Some(9));
        assert_eq!(with("*"), None);
        assert_eq!(with(&format!("W/{}", etag("group", 4, 7))), Some(-1));
        assert_eq!(with(&etag("group", 5, 7)), Some(-1));
        assert_eq!(
            required_version(&TestRequest::default().to_http_request(), "group", 4),
            None
        );
    }
}
