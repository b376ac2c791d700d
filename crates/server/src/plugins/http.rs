//! Plugins' HTTP routes, served under `/api/v1` behind the same gate as the host's own: the
//! caller is authenticated, the group `{id}` is found within its scope (404 otherwise), the
//! route's action is authorized (module, then account type), and only then is the plugin called
//! — in a write transaction for changes, so that a plugin's error leaves nothing half-written.

use std::collections::BTreeMap;
use std::sync::Arc;

use actix_web::http::{Method, StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Map, Value};
use tenantry_api_types::ErrorCode;
use tenantry_domain::{DomainError, GroupId, Permission};
use tenantry_plugin_host::api::{
    BodyKind, HttpAnswer, HttpRequest as PluginRequest, Request, Route,
};
use tenantry_plugin_host::{Failure, LoadedPlugin};
use tenantry_storage::groups;
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{ContentBuilder, Required, ResponseBuilder};

use super::services::{Reach, Services, group_info};
use super::{Plugins, actor_of, failed};
use crate::caller::Caller;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::metrics::plugin_call;
use crate::state::AppState;

/// Image bodies (logos) may be larger than JSON ones; the plugin checks its own limit below it.
const IMAGE_BODY_LIMIT: usize = 1 << 20;

/// One route of one plugin.
#[derive(Clone, Debug)]
pub(crate) struct Target {
    plugin: Arc<LoadedPlugin>,
    pub route: Route,
    pub action: Permission,
}

impl Plugins {
    /// The route `method path` of the plugin `name`, as the console calls it for a panel.
    pub(crate) fn target(&self, name: &str, method: &str, path: &str) -> Option<Target> {
        let plugin = self.loaded.iter().find(|p| p.manifest.name == name)?;
        let route = plugin
            .manifest
            .routes
            .iter()
            .find(|r| r.method == method && r.path == path)?;
        let action = self.declarations.for_route(name, &route.action).ok()?;
        Some(Target {
            plugin: Arc::clone(plugin),
            route: route.clone(),
            action,
        })
    }
}

/// Registers every loaded plugin's routes, and `plugin_not_enabled` answers for the paths of
/// known plugins that are not loaded; within the `/api/v1` scope (paths relative to it).
pub fn configure(cfg: &mut web::ServiceConfig, plugins: &Plugins) {
    let mut by_path: BTreeMap<String, Vec<Target>> = BTreeMap::new();
    for plugin in &plugins.loaded {
        for route in &plugin.manifest.routes {
            // Checked when the plugins loaded (an undeclared action stops start-up).
            let action = match plugins
                .declarations
                .for_route(&plugin.manifest.name, &route.action)
            {
                Ok(action) => action,
                Err(error) => {
                    log::error!("{error}; not served");
                    continue;
                }
            };
            by_path.entry(route.path.clone()).or_default().push(Target {
                plugin: Arc::clone(plugin),
                route: route.clone(),
                action,
            });
        }
    }
    let served: std::collections::BTreeSet<String> = by_path.keys().cloned().collect();
    for (path, targets) in by_path {
        // A wrong method gets the host's 405 with `Allow`, not actix-web's empty one.
        let mut resource =
            web::resource(path.as_str()).default_service(web::to(crate::methods::no_route));
        for target in targets {
            let Ok(method) = Method::from_bytes(target.route.method.as_bytes()) else {
                continue;
            };
            let route = web::method(method);
            resource = match target.route.body {
                None => resource.route(route.to(move |req, state, caller| {
                    serve(req, state, caller, target.clone(), Body::None)
                })),
                Some(BodyKind::Json) => {
                    resource.route(route.to(move |req, state, caller, body: JsonBody<Value>| {
                        serve(req, state, caller, target.clone(), Body::Json(body.0))
                    }))
                }
                Some(BodyKind::Image) => {
                    resource.route(route.to(move |req, state, caller, body: web::Payload| {
                        let target = target.clone();
                        async move {
                            let image =
                                crate::extract::limited_body(body, IMAGE_BODY_LIMIT).await?;
                            serve(req, state, caller, target, Body::Image(image)).await
                        }
                    }))
                }
            };
        }
        cfg.service(resource);
    }
    // The paths of plugins an earlier start ran, unless a loaded plugin serves them now.
    let mut silenced = std::collections::BTreeSet::new();
    for absent in &plugins.absent {
        for path in &absent.route_paths {
            if served.contains(path) || !silenced.insert(path.clone()) {
                continue;
            }
            let name = absent.name.clone();
            cfg.route(
                path,
                web::to(move || {
                    let name = name.clone();
                    async move { not_enabled(&name) }
                }),
            );
        }
    }
}

fn not_enabled(name: &str) -> Result<HttpResponse, ApiError> {
    Err(ApiError::new(
        ErrorCode::PluginNotEnabled,
        format!("this installation does not run the {name} plugin"),
    ))
}

pub(crate) enum Body {
    None,
    Json(Value),
    Image(web::Bytes),
}

/// A call of a plugin's route, by the API (from an HTTP request) or by the console (from a
/// panel): what the plugin is handed beside the caller and the group.
pub(crate) struct RouteCall {
    pub group_id: GroupId,
    /// The path's parameters other than `id`, as text.
    pub params: Map<String, Value>,
    pub query: Map<String, Value>,
    pub body: Body,
    pub content_type: Option<String>,
    pub accept: Option<String>,
}

async fn serve(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    target: Target,
    body: Body,
) -> Result<HttpResponse, ApiError> {
    // Any {id} that is not a number names no group: 404, as for the host's own routes.
    let group_id = req
        .match_info()
        .get("id")
        .and_then(|id| id.parse::<i64>().ok())
        .map(GroupId)
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "group not found"))?;
    let params: Map<String, Value> = req
        .match_info()
        .iter()
        .filter(|(name, _)| *name != "id")
        .map(|(name, value)| (name.to_owned(), Value::String(value.to_owned())))
        .collect();
    let query = web::Query::<BTreeMap<String, String>>::from_query(req.query_string())
        .map_err(|e| ApiError::invalid_field("query", e.to_string()))?
        .into_inner()
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or(v).trim().to_ascii_lowercase());
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let call = RouteCall {
        group_id,
        params,
        query,
        body,
        content_type,
        accept,
    };
    Ok(respond(call_route(&state, caller, target, call).await?))
}

/// Calls a plugin's route as `caller`: the group found in its scope and the route's action
/// authorized, then the plugin, in a read transaction for a `GET` and a write transaction
/// otherwise. The one way through for the API and the console.
pub(crate) async fn call_route(
    state: &AppState,
    caller: Caller,
    target: Target,
    call: RouteCall,
) -> Result<Prepared, ApiError> {
    let RouteCall {
        group_id,
        params,
        query,
        body,
        content_type,
        accept,
    } = call;
    let (json, base64) = match body {
        Body::None => (None, None),
        Body::Json(value) => (Some(value), None),
        Body::Image(bytes) => (None, Some(BASE64.encode(&bytes))),
    };
    let actor = actor_of(&caller);
    let reads_only = target.route.method == "GET";
    let build = move |group: &tenantry_domain::Group| {
        Request::Http(Box::new(PluginRequest {
            method: target.route.method.clone(),
            route: target.route.path.clone(),
            group: group_info(group),
            params,
            query,
            body: json,
            body_base64: base64,
            content_type,
            accept,
            actor,
        }))
    };
    let plugin = Arc::clone(&target.plugin);
    let action = target.action;
    let mail_queued = Arc::clone(&state.plugins.mail_queued);
    let metrics = Arc::clone(&state.metrics);
    let answer = if reads_only {
        state
            .read(move |c| {
                let group = caller.group_for(c, group_id, &action)?;
                let request = build(&group);
                let name = plugin.manifest.name.clone();
                let mut services = Services::reading(c, &name, group);
                let outcome = plugin_call(&metrics, &name, "http", || {
                    plugin.invoke(&request, &mut services)
                });
                Ok(prepare(&name, answer_of(&name, outcome, &services)?)?)
            })
            .await?
    } else {
        state
            .write(move |w| {
                // Writes to one group's plugin records take turns (see `groups::hold`); the
                // lock is taken before the scope check, which then reads under it.
                groups::hold(w.conn(), group_id)?;
                let group = caller.group_for(w.conn(), group_id, &action)?;
                let request = build(&group);
                let name = plugin.manifest.name.clone();
                let mut services = Services::writing(w, &name, Reach::Group(group.id));
                let outcome = plugin_call(&metrics, &name, "http", || {
                    plugin.invoke(&request, &mut services)
                });
                // Checked before commit: an answer the host cannot send rolls the writes back.
                let answer = prepare(&name, answer_of(&name, outcome, &services)?)?;
                Ok((answer, services.queued_mail()))
            })
            .await
            .map(|(answer, queued_mail)| {
                if queued_mail {
                    // After the commit: the mailer then finds the message.
                    mail_queued.notify_one();
                }
                answer
            })?
    };
    Ok(answer)
}

/// The plugin's answer, or its error as a domain error (which rolls a write back). A storage
/// failure during the call fails it, whatever the plugin made of it.
fn answer_of(
    plugin: &str,
    outcome: Result<Vec<u8>, Failure>,
    services: &Services<'_, '_>,
) -> Result<HttpAnswer, DomainError> {
    if let Some(storage) = services.failure() {
        return Err(failed(plugin, &Failure::Host(storage.to_owned())));
    }
    match outcome {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| failed(plugin, &Failure::Garbled(e.to_string()))),
        Err(Failure::Error(error)) => Err(DomainError::Plugin {
            plugin: plugin.to_owned(),
            code: error.code.as_str().to_owned(),
            message: error.message,
            field: error.field,
        }),
        Err(failure) => Err(failed(plugin, &failure)),
    }
}

/// A plugin's answer, checked and decoded: what the host will send.
pub(crate) struct Prepared {
    pub status: StatusCode,
    pub body: PreparedBody,
}

pub(crate) enum PreparedBody {
    Empty,
    Json(Value),
    Bytes {
        content_type: String,
        bytes: Vec<u8>,
    },
}

fn prepare(plugin: &str, answer: HttpAnswer) -> Result<Prepared, DomainError> {
    let garbled = |what: String| failed(plugin, &Failure::Garbled(what));
    let status = StatusCode::from_u16(answer.status)
        .ok()
        .filter(|s| s.is_success() || s.is_redirection())
        .ok_or_else(|| garbled(format!("status {}", answer.status)))?;
    let body = match (answer.body_base64, answer.body) {
        (Some(encoded), _) => PreparedBody::Bytes {
            bytes: BASE64.decode(encoded).map_err(|e| garbled(e.to_string()))?,
            content_type: answer
                .content_type
                .unwrap_or_else(|| "application/octet-stream".to_owned()),
        },
        (None, Value::Null) => PreparedBody::Empty,
        (None, json) => PreparedBody::Json(json),
    };
    Ok(Prepared { status, body })
}

fn respond(prepared: Prepared) -> HttpResponse {
    let mut response = HttpResponse::build(prepared.status);
    match prepared.body {
        PreparedBody::Empty => response.finish(),
        PreparedBody::Json(json) => response.json(json),
        // Images (logos) come from the API's own origin: never sniffed as something else, and
        // an SVG opened directly runs in a sandbox with nothing to load.
        PreparedBody::Bytes {
            content_type,
            bytes,
        } => response
            .content_type(content_type)
            .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
            .insert_header((
                header::CONTENT_SECURITY_POLICY,
                "sandbox; default-src 'none'; style-src 'unsafe-inline'",
            ))
            .body(bytes),
    }
}

/// The plugins' routes as OpenAPI operations, so that the published document (and every test
/// driven by it) covers them like the host's own.
pub fn openapi_paths(openapi: &mut utoipa::openapi::OpenApi, plugins: &Plugins) {
    for plugin in &plugins.loaded {
        for route in &plugin.manifest.routes {
            let method = match route.method.as_str() {
                "GET" => HttpMethod::Get,
                "POST" => HttpMethod::Post,
                "PUT" => HttpMethod::Put,
                "PATCH" => HttpMethod::Patch,
                "DELETE" => HttpMethod::Delete,
                _ => continue,
            };
            let mut operation = OperationBuilder::new()
                .summary(Some(route.summary.clone()))
                .description(Some(format!(
                    "Served by the {} plugin; needs `{}` on the group.",
                    plugin.manifest.name, route.action
                )))
                .tag(plugin.manifest.name.clone())
                .security(SecurityRequirement::new("bearer", Vec::<String>::new()))
                .response("200", ResponseBuilder::new().description("Success"))
                .response(
                    "404",
                    ResponseBuilder::new().description("No such group in the caller's subtree"),
                );
            for name in path_parameters(&route.path) {
                operation = operation.parameter(
                    ParameterBuilder::new()
                        .name(name)
                        .parameter_in(ParameterIn::Path)
                        .required(Required::True),
                );
            }
            match route.body {
                Some(BodyKind::Json) => {
                    operation = operation.request_body(Some(
                        RequestBodyBuilder::new()
                            .content("application/json", ContentBuilder::new().build())
                            .required(Some(Required::True))
                            .build(),
                    ));
                }
                Some(BodyKind::Image) => {
                    operation = operation.request_body(Some(
                        RequestBodyBuilder::new()
                            .content("image/png", ContentBuilder::new().build())
                            .content("image/svg+xml", ContentBuilder::new().build())
                            .required(Some(Required::True))
                            .build(),
                    ));
                }
                None => {}
            }
            openapi.paths.add_path_operation(
                format!("/api/v1{}", route.path),
                vec![method],
                operation.build(),
            );
        }
    }
}

fn path_parameters(path: &str) -> Vec<String> {
    path.split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
        .map(str::to_owned)
        .collect()
}
