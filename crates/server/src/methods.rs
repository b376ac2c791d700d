//! HTTP methods as clients expect them: `HEAD` wherever `GET` is served, and `405
//! method_not_allowed` with `Allow` for a path that exists under other methods (rather than a
//! 404 that says the path does not exist).
//!
//! actix-web routes by method as well as path, so a request with the wrong method falls through
//! to the default service like an unknown path. That service looks the path up in [`RouteTable`],
//! built at start-up from the same tables that build the routes: the OpenAPI document (the host's
//! and the plugins' routes) and the console's route list.

use actix_web::body::MessageBody;
use actix_web::dev::{ResourceDef, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use tenantry_api_types::ErrorCode;
use utoipa::openapi::OpenApi;

use crate::error::ApiError;

/// Every route's path template with the methods it answers.
#[derive(Debug, Default)]
pub struct RouteTable {
    routes: Vec<(ResourceDef, Vec<Method>)>,
}

impl RouteTable {
    /// From (method, path template) pairs; templates are actix-web's (`/groups/{id}`).
    pub fn new<'a>(entries: impl IntoIterator<Item = (Method, &'a str)>) -> RouteTable {
        let mut table = RouteTable::default();
        for (method, path) in entries {
            match table
                .routes
                .iter_mut()
                .find(|(def, _)| def.pattern() == Some(path))
            {
                Some((_, methods)) if methods.contains(&method) => {}
                Some((_, methods)) => methods.push(method),
                None => table.routes.push((ResourceDef::new(path), vec![method])),
            }
        }
        table
    }

    /// The routes of an OpenAPI document (paths are templates there too).
    pub fn from_openapi(doc: &OpenApi) -> Vec<(Method, String)> {
        let mut entries = Vec::new();
        for (path, item) in &doc.paths.paths {
            let operations = [
                (Method::GET, item.get.is_some()),
                (Method::PUT, item.put.is_some()),
                (Method::POST, item.post.is_some()),
                (Method::DELETE, item.delete.is_some()),
                (Method::PATCH, item.patch.is_some()),
                (Method::OPTIONS, item.options.is_some()),
            ];
            for (method, present) in operations {
                if present {
                    entries.push((method, path.clone()));
                }
            }
        }
        entries
    }

    /// The methods `path` is served with, `HEAD` included wherever `GET` is, in a fixed order;
    /// `None` when no route has the path.
    pub fn allowed(&self, path: &str) -> Option<Vec<Method>> {
        let mut allowed: Vec<Method> = Vec::new();
        for (def, methods) in &self.routes {
            if def.is_match(path) {
                for method in methods {
                    if !allowed.contains(method) {
                        allowed.push(method.clone());
                    }
                }
            }
        }
        if allowed.is_empty() {
            return None;
        }
        if allowed.contains(&Method::GET) {
            allowed.push(Method::HEAD);
        }
        const ORDER: [Method; 7] = [
            Method::GET,
            Method::HEAD,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::OPTIONS,
        ];
        allowed.sort_by_key(|m| ORDER.iter().position(|o| o == m).unwrap_or(ORDER.len()));
        Some(allowed)
    }
}

/// Middleware: a `HEAD` request is routed as the `GET` of the same path. actix-web then sends the
/// headers of the `GET` answer (its `Content-Length` included) and leaves the body out, as
/// RFC 9110 asks, because the connection remembers the request was a `HEAD`.
pub async fn head_as_get(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    next.call(req).await
}

/// What no route answered: 405 with `Allow` when the path exists with other methods, else 404.
pub async fn no_route(req: HttpRequest, routes: web::Data<RouteTable>) -> HttpResponse {
    let Some(allowed) = routes.allowed(req.path()) else {
        return ApiError::new(ErrorCode::NotFound, "no such endpoint").error_response();
    };
    let allow = allowed
        .iter()
        .map(|method| method.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let mut response = ApiError::new(
        ErrorCode::MethodNotAllowed,
        format!("{} is not served here: {allow} are", req.method()),
    )
    .error_response();
    if let Ok(value) = header::HeaderValue::from_str(&allow) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_is_allowed_the_methods_of_every_template_it_matches() {
        let table = RouteTable::new([
            (Method::GET, "/api/v1/groups/{id}"),
            (Method::PATCH, "/api/v1/groups/{id}"),
            (Method::DELETE, "/api/v1/groups/{id}"),
            (Method::POST, "/api/v1/groups"),
            (Method::GET, "/api/v1/groups/{id}/children"),
        ]);
        assert_eq!(
            table.allowed("/api/v1/groups/7"),
            Some(vec![
                Method::GET,
                Method::HEAD,
                Method::PATCH,
                Method::DELETE
            ])
        );
        assert_eq!(table.allowed("/api/v1/groups"), Some(vec![Method::POST]));
        assert_eq!(table.allowed("/api/v1/nothing"), None);
        assert_eq!(table.allowed("/api/v1/groups/7/children/8"), None);
    }
}
