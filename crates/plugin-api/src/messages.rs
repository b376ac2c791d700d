//! The JSON messages that cross the boundary. Every struct tolerates fields it does not know
//! (serde's default), and optional fields have defaults, so that host and plugin may grow them.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::event::Event;
use crate::schema::{DEFAULT_PAGE, MAX_PAGE};

/// When a plugin is called about a group's lifecycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Hook {
    /// Inside the transaction, after the group is written and before commit: may refuse.
    BeforeCreate,
    /// Inside the transaction (rename, properties, level, move), before commit: may refuse.
    BeforeUpdate,
    /// Inside the transaction, before the group is removed: may refuse.
    BeforeDelete,
    /// After commit; cannot fail the request (errors are logged).
    AfterCreate,
    AfterUpdate,
    AfterDelete,
}

impl Hook {
    pub const ALL: [Hook; 6] = [
        Hook::BeforeCreate,
        Hook::BeforeUpdate,
        Hook::BeforeDelete,
        Hook::AfterCreate,
        Hook::AfterUpdate,
        Hook::AfterDelete,
    ];

    /// The hook's name as manifests and the API write it (`before_create`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Hook::BeforeCreate => "before_create",
            Hook::BeforeUpdate => "before_update",
            Hook::BeforeDelete => "before_delete",
            Hook::AfterCreate => "after_create",
            Hook::AfterUpdate => "after_update",
            Hook::AfterDelete => "after_delete",
        }
    }

    pub fn may_refuse(self) -> bool {
        matches!(
            self,
            Hook::BeforeCreate | Hook::BeforeUpdate | Hook::BeforeDelete
        )
    }
}

/// What a plugin says about itself at load time.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// The name `plugins.enabled` lists it by.
    pub name: String,
    pub version: String,
    #[serde(default)]
    pub hooks: Vec<Hook>,
    #[serde(default)]
    pub routes: Vec<Route>,
    /// Whether the host calls [`Request::Tick`] on its schedule (every `plugins.tick_seconds`),
    /// for work that comes due by time (scheduled reports).
    #[serde(default)]
    pub ticks: bool,
    /// The actions the plugin's routes need, beyond the core's (`docs/permissions.md`): the
    /// host adds them to its permission table. A route may name only these and the core's.
    #[serde(default)]
    pub actions: Vec<ActionSpec>,
    /// A console module of the plugin's own, if its actions need one that the core does not
    /// have.
    #[serde(default)]
    pub module: Option<ModuleSpec>,
    /// The plugin's screens in the web console (see [`crate::panel`]).
    #[serde(default)]
    pub panels: Vec<crate::Panel>,
    /// Whether the plugin answers [`Request::Theme`]: how a group's console looks. At most one
    /// enabled plugin may.
    #[serde(default)]
    pub themes: bool,
}

/// An action a plugin declares: who may take it on a group, and the module it needs there.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionSpec {
    /// `snake_case`, unique in the installation (`view_notes`).
    pub name: String,
    /// One line for `docs/permissions.md`.
    pub description: String,
    /// The least account type that may take it (`supporter`, `operator`, `manager`,
    /// `administrator`, `superuser`); every type above it may too.
    pub least: String,
    /// Security Officers only, whatever their account type (`least` is then ignored).
    #[serde(default)]
    pub security_officers_only: bool,
    /// The module that must be available at the group's level: a core module
    /// (`customers`, `historical_charts`, …) or the plugin's own.
    #[serde(default)]
    pub module: Option<String>,
}

impl ActionSpec {
    /// An action the `least` account type and every type above it may take, in no module.
    pub fn new(name: &str, least: &str, description: &str) -> ActionSpec {
        ActionSpec {
            name: name.to_owned(),
            description: description.to_owned(),
            least: least.to_owned(),
            ..ActionSpec::default()
        }
    }

    /// Needs this module at the group's level.
    pub fn in_module(mut self, module: &str) -> ActionSpec {
        self.module = Some(module.to_owned());
        self
    }

    /// Security Officers only.
    pub fn security_officers_only(mut self) -> ActionSpec {
        self.security_officers_only = true;
        self
    }
}

/// A console module a plugin brings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModuleSpec {
    /// `snake_case`, unique in the installation.
    pub name: String,
    /// As people read it.
    pub title: String,
    /// Where it is available: `distributor`, `sub_distributor`, `reseller`, `end_customer`,
    /// `site`.
    pub levels: Vec<String>,
}

/// An HTTP route a plugin serves. The host authenticates the caller, finds the group `{id}` in
/// the caller's scope and checks `action` (module and account type) before the plugin sees the
/// request.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Route {
    /// `GET`, `POST`, `PUT`, `PATCH` or `DELETE`.
    pub method: String,
    /// Under `/api/v1`, starting `/groups/{id}/`; more `{name}` parameters may follow.
    pub path: String,
    /// The permission-table action the caller needs on the group (e.g. `view_branding`).
    pub action: String,
    /// One line for the OpenAPI document.
    pub summary: String,
    /// What the request body is, if it has one.
    #[serde(default)]
    pub body: Option<BodyKind>,
    /// The status a success answers with, for the OpenAPI document: 200 unless said (201 for a
    /// creation, 202 for work queued, 204 for a removal).
    #[serde(default)]
    pub success: Option<u16>,
    /// JSON Schemas for the OpenAPI document, so that clients can be generated and the route
    /// fuzzed like the host's own.
    #[serde(default)]
    pub schemas: RouteSchemas,
}

/// What a route's parameters, body and answer look like (JSON Schema, OpenAPI 3.1 dialect).
/// Path parameters not named here are integers (ids).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RouteSchemas {
    #[serde(default)]
    pub path: std::collections::BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    pub query: std::collections::BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    pub request: Option<serde_json::Value>,
    #[serde(default)]
    pub response: Option<serde_json::Value>,
    /// A valid request body, shown in the OpenAPI document. Clients read it as documentation;
    /// the test suites send it (the isolation suite aims it at other tenants' groups).
    #[serde(default)]
    pub example: Option<serde_json::Value>,
    /// The path parameter whose value is the `id` this creation answers (`nid` for a route that
    /// creates what `/groups/{id}/notes/{nid}` names). It becomes an OpenAPI link from this
    /// route to every route of the plugin with that parameter, so that tools (and the isolation
    /// suite) know where to get one.
    #[serde(default)]
    pub creates: Option<String>,
    /// Other media types a success answers in, by `Accept` or by nature (`image/png`,
    /// `text/csv`): their bodies are bytes, not JSON.
    #[serde(default)]
    pub media: Vec<String>,
}

impl Route {
    /// A route without a body, answering 200.
    pub fn new(method: &str, path: &str, action: &str, summary: &str) -> Route {
        Route {
            method: method.to_owned(),
            path: path.to_owned(),
            action: action.to_owned(),
            summary: summary.to_owned(),
            ..Route::default()
        }
    }

    /// Takes a JSON body of this shape.
    pub fn json_body(mut self, schema: serde_json::Value) -> Route {
        self.body = Some(BodyKind::Json);
        self.schemas.request = Some(schema);
        self
    }

    /// Answers a success with this status.
    pub fn answers(mut self, status: u16) -> Route {
        self.success = Some(status);
        self
    }

    /// Answers a success with JSON of this shape.
    pub fn returns(mut self, schema: serde_json::Value) -> Route {
        self.schemas.response = Some(schema);
        self
    }

    /// Answers a success in this media type too (or instead, with no JSON schema).
    pub fn answers_as(mut self, media_type: &str) -> Route {
        self.schemas.media.push(media_type.to_owned());
        self
    }

    /// Reads this query parameter.
    pub fn query(mut self, name: &str, schema: serde_json::Value) -> Route {
        self.schemas.query.insert(name.to_owned(), schema);
        self
    }

    /// A listing by pages: takes `limit` and `cursor`, answers a page of `item`s.
    pub fn paged(self, item: serde_json::Value) -> Route {
        self.query("limit", crate::schema::page_limit())
            .query("cursor", serde_json::json!({"type": "string"}))
            .returns(crate::schema::page(item))
    }

    /// A valid request body, for the OpenAPI document and the tests that send one.
    pub fn example(mut self, body: serde_json::Value) -> Route {
        self.schemas.example = Some(body);
        self
    }

    /// Its answer's `id` is the value of the path parameter `param` of the plugin's other routes.
    pub fn creates(mut self, param: &str) -> Route {
        self.schemas.creates = Some(param.to_owned());
        self
    }

    /// A path parameter that is not an id.
    pub fn path_param(mut self, name: &str, schema: serde_json::Value) -> Route {
        self.schemas.path.insert(name.to_owned(), schema);
        self
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BodyKind {
    /// `application/json`, handed over parsed.
    Json,
    /// Raw bytes of an image (`image/png`, `image/svg+xml`), handed over as base64.
    Image,
}

/// A message from the host.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Request {
    Manifest,
    Hook(HookCall),
    Http(Box<HttpRequest>),
    Tick(TickCall),
    Theme(crate::ThemeCall),
    /// A kind this plugin does not know (a newer host's): answered `unsupported`.
    #[serde(other)]
    Unsupported,
}

/// The host's periodic call, inside one write transaction that reaches the whole tree: the
/// plugin finds what is due, claims it (a compare-and-set on its records, so that of several
/// servers one does the work) and does it. Keep each call short: answer `more` and the host
/// calls again at once, in a new transaction.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TickCall {
    /// The host's time, RFC 3339 UTC.
    pub now: String,
}

/// What a tick did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TickAnswer {
    /// More is due than one call should do: call again now.
    #[serde(default)]
    pub more: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct HookCall {
    pub hook: Hook,
    /// What the one change did (an update may both rename and move).
    pub events: Vec<Event>,
    /// The user who made the change.
    #[serde(default)]
    pub actor: Option<Actor>,
}

/// Who is asking.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Actor {
    pub user_id: i64,
    pub group_id: i64,
    pub role: String,
    #[serde(default)]
    pub security_officer: bool,
}

/// A group as plugins see it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupInfo {
    pub id: i64,
    #[serde(default)]
    pub parent_id: Option<i64>,
    pub name: String,
    pub level: String,
}

/// A user as plugins see it (see [`crate::HostRequest::Users`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserInfo {
    pub id: i64,
    pub group_id: i64,
    pub username: String,
    #[serde(default)]
    pub name: Option<String>,
}

/// An HTTP request for one of the plugin's routes, already authorized.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct HttpRequest {
    pub method: String,
    /// The route's pattern, as declared in the manifest.
    pub route: String,
    /// The group `{id}`, found within the caller's scope.
    pub group: GroupInfo,
    /// Path parameters other than `{id}`, by name.
    #[serde(default)]
    pub params: serde_json::Map<String, Value>,
    /// Query parameters, by name.
    #[serde(default)]
    pub query: serde_json::Map<String, Value>,
    /// The parsed JSON body (routes with `BodyKind::Json`).
    #[serde(default)]
    pub body: Option<Value>,
    /// The raw body, base64 (routes with `BodyKind::Image`), and its content type.
    #[serde(default)]
    pub body_base64: Option<String>,
    #[serde(default)]
    pub content_type: Option<String>,
    /// The request's `Accept` header, for routes that answer in several formats.
    #[serde(default)]
    pub accept: Option<String>,
    pub actor: Actor,
}

impl HttpRequest {
    /// `?cursor=` and `?limit=` (1–500, 50 by default), as every listing of the API takes them.
    pub fn paging(&self) -> Result<(Option<String>, i64), PluginError> {
        let limit = match self.query.get("limit").and_then(Value::as_str) {
            None => DEFAULT_PAGE,
            Some(text) => text
                .parse::<i64>()
                .ok()
                .filter(|n| (1..=MAX_PAGE).contains(n))
                .ok_or_else(|| {
                    PluginError::invalid("limit", format!("must be between 1 and {MAX_PAGE}"))
                })?,
        };
        let cursor = self
            .query
            .get("cursor")
            .and_then(Value::as_str)
            .map(str::to_owned);
        Ok((cursor, limit))
    }
}

/// A plugin's answer to an HTTP request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HttpAnswer {
    pub status: u16,
    /// A JSON body, or `null` for none (204).
    #[serde(default)]
    pub body: Value,
    /// A non-JSON body (an image), base64, with its content type.
    #[serde(default)]
    pub body_base64: Option<String>,
    #[serde(default)]
    pub content_type: Option<String>,
}

impl HttpAnswer {
    pub fn json(status: u16, body: Value) -> HttpAnswer {
        HttpAnswer {
            status,
            body,
            body_base64: None,
            content_type: None,
        }
    }

    /// A page of a listing, as every listing answers it (200).
    pub fn page<T: Serialize>(page: &crate::Page<T>) -> HttpAnswer {
        HttpAnswer::json(200, page.body())
    }

    pub fn no_content() -> HttpAnswer {
        HttpAnswer::json(204, Value::Null)
    }
}

/// What went wrong, as the host and the plugin tell each other. The codes that name an API
/// answer pass through to it (`plugin_refused` from a before-hook; the others from a route);
/// the rest are failures (500 `plugin_failed`, the message logged).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PluginErrorCode {
    PluginRefused,
    ValidationFailed,
    NotFound,
    Conflict,
    PayloadTooLarge,
    UnsupportedMediaType,
    PreconditionFailed,
    /// The host's answer to a request beyond the call's reach.
    Forbidden,
    /// A request of a kind the receiver does not know (a newer peer's).
    Unsupported,
    Internal,
    /// A code this side does not know (a newer peer's): a failure.
    #[serde(other)]
    Unknown,
}

impl PluginErrorCode {
    pub const fn as_str(self) -> &'static str {
        match self {
            PluginErrorCode::PluginRefused => "plugin_refused",
            PluginErrorCode::ValidationFailed => "validation_failed",
            PluginErrorCode::NotFound => "not_found",
            PluginErrorCode::Conflict => "conflict",
            PluginErrorCode::PayloadTooLarge => "payload_too_large",
            PluginErrorCode::UnsupportedMediaType => "unsupported_media_type",
            PluginErrorCode::PreconditionFailed => "precondition_failed",
            PluginErrorCode::Forbidden => "forbidden",
            PluginErrorCode::Unsupported => "unsupported",
            PluginErrorCode::Internal => "internal",
            PluginErrorCode::Unknown => "unknown",
        }
    }
}

/// An error a plugin returns, or the host answers a plugin's request with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PluginError {
    pub code: PluginErrorCode,
    pub message: String,
    /// For `validation_failed`: the field at fault.
    #[serde(default)]
    pub field: Option<String>,
}

impl PluginError {
    pub fn new(code: PluginErrorCode, message: impl Into<String>) -> PluginError {
        PluginError {
            code,
            message: message.into(),
            field: None,
        }
    }

    /// A before-hook's refusal: nothing of the change is written.
    pub fn refused(reason: impl Into<String>) -> PluginError {
        PluginError::new(PluginErrorCode::PluginRefused, reason)
    }

    pub fn invalid(field: &str, message: impl Into<String>) -> PluginError {
        PluginError {
            field: Some(field.to_owned()),
            ..PluginError::new(PluginErrorCode::ValidationFailed, message)
        }
    }

    pub fn not_found(what: &str) -> PluginError {
        PluginError::new(PluginErrorCode::NotFound, format!("{what} not found"))
    }

    /// A request of a kind the receiver does not know (a newer peer's): the sender carries on
    /// without it.
    pub fn unsupported(what: &str) -> PluginError {
        PluginError::new(
            PluginErrorCode::Unsupported,
            format!("{what} is not supported here"),
        )
    }

    pub fn is_unsupported(&self) -> bool {
        self.code == PluginErrorCode::Unsupported
    }

    pub fn internal(message: impl Into<String>) -> PluginError {
        PluginError::new(PluginErrorCode::Internal, message)
    }
}

impl std::fmt::Display for PluginError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl std::error::Error for PluginError {}

#[cfg(test)]
mod tests {
    #[test]
    fn each_host_answer_names_its_kind() {
        let answer = crate::HostAnswer::Deleted(true);
        let wire = serde_json::to_value(&answer).unwrap();
        assert_eq!(
            wire,
            serde_json::json!({"answer": "deleted", "value": true})
        );
        let page: crate::HostAnswer = serde_json::from_value(serde_json::json!({
            "answer": "records", "value": {"items": [], "next": null}
        }))
        .unwrap();
        assert!(matches!(page, crate::HostAnswer::Records(p) if p.items.is_empty()));
    }

    #[test]
    fn kinds_a_newer_peer_sends_read_as_unsupported() {
        let request: Request =
            serde_json::from_value(serde_json::json!({"kind": "batch_of_hooks", "x": 1})).unwrap();
        assert!(matches!(request, Request::Unsupported));
        let asked: crate::HostRequest =
            serde_json::from_value(serde_json::json!({"op": "teleport", "to": "mars"})).unwrap();
        assert!(matches!(asked, crate::HostRequest::Unsupported));
        assert!(PluginError::unsupported("teleporting").is_unsupported());
        let newer: PluginError =
            serde_json::from_value(serde_json::json!({"code": "quota_exceeded", "message": "m"}))
                .unwrap();
        assert_eq!(newer.code, PluginErrorCode::Unknown);
        assert_eq!(
            serde_json::to_value(PluginErrorCode::PayloadTooLarge).unwrap(),
            PluginErrorCode::PayloadTooLarge.as_str()
        );
    }

    use super::*;

    #[test]
    fn hook_names_are_their_serialized_names() {
        for hook in Hook::ALL {
            assert_eq!(serde_json::to_value(hook).unwrap(), hook.as_str());
        }
    }
}
