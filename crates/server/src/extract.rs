//! Request extractors whose failures speak the API's error codes.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::error::{PathError, PayloadError, QueryPayloadError};
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use serde::de::DeserializeOwned;
use tenantry_api_types::ErrorCode;

use crate::error::ApiError;
use crate::state::AppState;

/// A JSON request body. Unlike actix's `Json`, a bad body says which field is at fault
/// (`validation_failed` with the field's path) and tells malformed JSON apart from wrong fields.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<JsonBody<T>, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        read_json(req, payload, |bytes| parse_json(bytes).map(JsonBody))
    }
}

/// A JSON request body that may be left out: no body (and no media type), or `null`, reads as
/// `T::default()` (what the OpenAPI document says of an optional body: the object or null);
/// anything else is read as [`JsonBody`] reads it.
#[derive(Debug)]
pub struct OptionalJsonBody<T>(pub T);

impl<T: DeserializeOwned + Default + 'static> FromRequest for OptionalJsonBody<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<OptionalJsonBody<T>, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let declared_empty = req
            .headers()
            .get(actix_web::http::header::CONTENT_LENGTH)
            .is_none_or(|length| length.as_bytes() == b"0");
        if media_type(req).is_none() && declared_empty {
            return Box::pin(async { Ok(OptionalJsonBody(T::default())) });
        }
        read_json(req, payload, |bytes| {
            if bytes.trim_ascii() == b"null" {
                return Ok(OptionalJsonBody(T::default()));
            }
            parse_json(bytes).map(OptionalJsonBody)
        })
    }
}

/// Reads a JSON body (the media type said so, within `server.max_body_bytes`) and hands its
/// bytes to `parse`.
fn read_json<B: 'static>(
    req: &HttpRequest,
    payload: &mut Payload,
    parse: fn(&[u8]) -> Result<B, ApiError>,
) -> Pin<Box<dyn Future<Output = Result<B, ApiError>>>> {
    let is_json = media_type(req).is_some_and(|mime| {
        mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
    });
    let limit = req
        .app_data::<web::Data<AppState>>()
        .map_or(65_536, |s| s.max_body_bytes);
    let body = web::Bytes::from_request(req, payload);
    Box::pin(async move {
        if !is_json {
            return Err(ApiError::new(
                ErrorCode::UnsupportedMediaType,
                "send the body as application/json",
            ));
        }
        let too_large = || {
            ApiError::new(
                ErrorCode::PayloadTooLarge,
                format!("the body is larger than {limit} bytes"),
            )
        };
        let bytes = body.await.map_err(|e| match e.as_error::<PayloadError>() {
            Some(PayloadError::Overflow) => too_large(),
            _ => ApiError::new(
                ErrorCode::MalformedRequest,
                format!("cannot read the body: {e}"),
            ),
        })?;
        if bytes.len() > limit {
            return Err(too_large());
        }
        parse(&bytes)
    })
}

/// The request's media type, lower-cased, without parameters.
fn media_type(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|mime| mime.trim().to_ascii_lowercase())
}

/// Room for the largest import: 10,000 rows with every field at its longest (about 3.3 KB a
/// row).
pub const CSV_BODY_LIMIT: usize = 40 * 1024 * 1024;

/// A CSV file sent as the body (`text/csv`): an uploaded customer tree. Read by the handler
/// once it knows the caller may import there (so nobody else makes the server read a large
/// body), with a limit of its own: files are far larger than JSON bodies.
pub async fn csv_body(req: &HttpRequest, body: web::Payload) -> Result<web::Bytes, ApiError> {
    if media_type(req).is_none_or(|mime| mime != "text/csv") {
        return Err(ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "send the file as text/csv",
        ));
    }
    limited_body(body, CSV_BODY_LIMIT).await
}

/// A body read whole, up to `limit` bytes: larger ones are `payload_too_large` (413) as
/// problem+json, where actix-web's own extractor answers plain text.
pub async fn limited_body(body: web::Payload, limit: usize) -> Result<web::Bytes, ApiError> {
    match body.to_bytes_limited(limit).await {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(e)) => Err(ApiError::new(
            ErrorCode::MalformedRequest,
            format!("cannot read the body: {e}"),
        )),
        Err(_) => Err(ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!("the body is larger than {limit} bytes"),
        )),
    }
}

/// Two steps, so the two kinds of mistake get their own codes: text that is not JSON at all is
/// `malformed_request` (400); JSON whose fields are wrong is `validation_failed` (422) naming the
/// field. (serde_json alone reports some wrong values, such as `null` for an enum, as syntax.)
///
/// Every body is a JSON object: serde would otherwise read a struct from an array of its fields
/// in order (`["G", 1, "sub_distributor"]`), which no client means. A key given twice is refused
/// rather than the last one silently winning (two clients may disagree about which counts).
fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // One pass over the text: a key named twice comes back as a data error, not a syntax one.
    let StrictValue(value) = serde_json::from_slice(bytes).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => ApiError::invalid_field("body", strip_position(&e)),
        _ => ApiError::new(
            ErrorCode::MalformedRequest,
            format!("the body is not valid JSON: {e}"),
        ),
    })?;
    if !value.is_object() {
        return Err(ApiError::invalid_field("body", "must be a JSON object"));
    }
    serde_path_to_error::deserialize(value).map_err(|error| {
        let field = error.path().to_string();
        let field = if field == "." {
            "body".to_owned()
        } else {
            field
        };
        ApiError::invalid_field(field, strip_position(error.inner()))
    })
}

/// A JSON value whose objects name each key once (at any depth); serde_json's own `Value` keeps
/// the last of two.
struct StrictValue(serde_json::Value);

impl<'de> serde::Deserialize<'de> for StrictValue {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor)
    }
}

struct StrictVisitor;

impl<'de> serde::de::Visitor<'de> for StrictVisitor {
    type Value = StrictValue;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("JSON")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<StrictValue, A::Error> {
        let mut object = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if object.contains_key(&key) {
                return Err(serde::de::Error::custom(format!(
                    "names the key {key:?} twice"
                )));
            }
            let StrictValue(value) = map.next_value()?;
            object.insert(key, value);
        }
        Ok(StrictValue(object.into()))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<StrictValue, A::Error> {
        let mut items = Vec::new();
        while let Some(StrictValue(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(StrictValue(items.into()))
    }

    fn visit_bool<E>(self, value: bool) -> Result<StrictValue, E> {
        Ok(StrictValue(value.into()))
    }
    fn visit_i64<E>(self, value: i64) -> Result<StrictValue, E> {
        Ok(StrictValue(value.into()))
    }
    fn visit_u64<E>(self, value: u64) -> Result<StrictValue, E> {
        Ok(StrictValue(value.into()))
    }
    fn visit_f64<E>(self, value: f64) -> Result<StrictValue, E> {
        Ok(StrictValue(value.into()))
    }
    fn visit_str<E>(self, value: &str) -> Result<StrictValue, E> {
        Ok(StrictValue(value.into()))
    }
    fn visit_string<E>(self, value: String) -> Result<StrictValue, E> {
        Ok(StrictValue(value.into()))
    }
    fn visit_unit<E>(self) -> Result<StrictValue, E> {
        Ok(StrictValue(serde_json::Value::Null))
    }
}

/// serde_json's messages end in " at line 1 column 42", which says nothing to an API client.
fn strip_position(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

/// An id in the path that is not a number names nothing: 404, as for any unknown id.
pub fn path_error(_: PathError, _: &HttpRequest) -> actix_web::Error {
    ApiError::not_found("resource").into()
}

pub fn query_error(error: QueryPayloadError, _: &HttpRequest) -> actix_web::Error {
    let message = match &error {
        QueryPayloadError::Deserialize(inner) => inner.to_string(),
        other => other.to_string(),
    };
    ApiError::invalid_field("query", message).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tenantry_api_types::CreateGroup;

    fn code_and_field(body: &str) -> (ErrorCode, Option<String>) {
        let error = parse_json::<CreateGroup>(body.as_bytes()).unwrap_err();
        let response = actix_web::ResponseError::error_response(&error);
        let bytes = actix_web::body::MessageBody::try_into_bytes(response.into_body()).unwrap();
        let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        (
            error.code(),
            json["errors"][0]["field"].as_str().map(str::to_owned),
        )
    }

    #[test]
    fn syntax_errors_are_malformed_requests() {
        assert_eq!(code_and_field("{").0, ErrorCode::MalformedRequest);
        assert_eq!(
            code_and_field(r#"{"name": "a", "parent_id": 1, "level": "site"} x"#).0,
            ErrorCode::MalformedRequest
        );
    }

    #[test]
    fn wrong_fields_name_the_field() {
        let (code, field) = code_and_field(r#"{"name": "a", "parent_id": "one", "level": "site"}"#);
        assert_eq!(
            (code, field.as_deref()),
            (ErrorCode::ValidationFailed, Some("parent_id"))
        );
        let (code, field) = code_and_field(r#"{"name": "a", "parent_id": 1, "level": "planet"}"#);
        assert_eq!(
            (code, field.as_deref()),
            (ErrorCode::ValidationFailed, Some("level"))
        );
        let (code, _) =
            code_and_field(r#"{"name": "a", "parent_id": 1, "level": "site", "colour": 1}"#);
        assert_eq!(code, ErrorCode::ValidationFailed);
    }

    #[test]
    fn a_body_is_an_object_whose_keys_are_named_once() {
        // An array of the fields in order once created a group.
        assert_eq!(
            code_and_field(r#"["G", 1, "sub_distributor"]"#),
            (ErrorCode::ValidationFailed, Some("body".to_owned()))
        );
        assert_eq!(
            code_and_field(r#""G""#),
            (ErrorCode::ValidationFailed, Some("body".to_owned()))
        );
        let twice = r#"{"name": "a", "parent_id": 1, "level": "site", "name": "b"}"#;
        assert_eq!(
            code_and_field(twice),
            (ErrorCode::ValidationFailed, Some("body".to_owned()))
        );
        let nested =
            r#"{"name": "a", "parent_id": 1, "level": "site", "company": {"x": 1, "x": 2}}"#;
        assert_eq!(code_and_field(nested).1.as_deref(), Some("body"));
        // The same keys in different objects are fine.
        let fine = r#"{"name": "a", "parent_id": 1, "level": "site"}"#;
        assert!(parse_json::<CreateGroup>(fine.as_bytes()).is_ok());
    }
}
