//! The plugins' screens: each panel a plugin's manifest declares (`tenantry_plugin_api::panel`)
//! becomes a tab of a customer's screen, drawn with the console's own templates. Its table is a
//! page of the list route's items, each cell shown by its declared kind and escaped; its form's
//! fields become the JSON body of the plugin's route; a row's action calls the route with the
//! row's id. Every call goes through `plugins::call_route` as the person looking — the group
//! found in their scope, the route's action authorized — exactly as the API would answer them,
//! and the plugin's errors are shown beside the fields they name.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Deserialize;
use serde_json::{Map, Value};
use tenantry_api_types::FieldErrorBody;
use tenantry_domain::{DomainError, Group, GroupId, Permission};
use tenantry_plugin_host::api::panel::{FieldKind, FormField, Panel, PanelChart, PanelPlace};

use super::format;
use super::page::{self, Chrome, ConsoleError, Problems};
use super::viewer::Viewer;
use crate::error::ApiError;
use crate::plugins::{Body, Prepared, PreparedBody, RouteCall, call_route};
use crate::state::AppState;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;

/// Rows per page of a panel's table.
const PAGE: usize = 25;

/// A panel the installation's plugins declare, with the permission its action names.
struct Found {
    plugin: String,
    panel: Panel,
    permission: Permission,
}

/// A panel as the plugin's manifest holds it, with the permission its action names.
struct Declared<'a> {
    plugin: &'a str,
    panel: &'a Panel,
    permission: Permission,
}

/// Every panel of the loaded plugins this host draws (customer tabs, menu entries and the
/// panels their rows open), in the order `plugins.enabled` lists them. Borrowed: the frame of
/// every page asks for the menu entries, so nothing is copied but what a page keeps.
fn declared(state: &AppState) -> impl Iterator<Item = Declared<'_>> {
    state.plugins.manifests().flat_map(move |manifest| {
        manifest
            .panels
            .iter()
            .filter(|panel| {
                matches!(
                    panel.place,
                    PanelPlace::CustomerTab | PanelPlace::MenuEntry | PanelPlace::RowDetail
                )
            })
            .filter_map(move |panel| {
                let permission = state
                    .plugins
                    .declarations
                    .for_route(&manifest.name, &panel.action)
                    .ok()?;
                Some(Declared {
                    plugin: &manifest.name,
                    panel,
                    permission,
                })
            })
    })
}

/// A tab of a customer's screen.
#[derive(Debug, Clone)]
pub struct Tab {
    pub href: String,
    pub title: String,
    pub active: bool,
}

fn address(group: i64, plugin: &str, panel: &str) -> String {
    format!("/customers/{group}/panels/{plugin}/{panel}")
}

/// The plugins' left-menu entries (the frame shows those a viewer may open on a page's group).
pub fn menu_panels(state: &AppState) -> Vec<super::viewer::MenuPanel> {
    declared(state)
        .filter(|found| found.panel.place == PanelPlace::MenuEntry)
        .map(|found| super::viewer::MenuPanel {
            path: format!("{}/{}", found.plugin, found.panel.name),
            title: found.panel.title.clone(),
            permission: found.permission,
        })
        .collect()
}

/// The plugins' tabs the viewer may open on `group`.
pub fn tabs(state: &AppState, viewer: &Viewer, group: &Group) -> Vec<Tab> {
    declared(state)
        .filter(|found| found.panel.place == PanelPlace::CustomerTab)
        .filter(|found| {
            viewer
                .caller
                .authorize_permission(&found.permission, group)
                .is_ok()
        })
        .map(|found| Tab {
            href: address(group.id.0, found.plugin, &found.panel.name),
            title: found.panel.title.clone(),
            active: false,
        })
        .collect()
}

/// The panel an address names, and its group found in the viewer's scope and authorized for
/// the panel's action: 404 for a panel no plugin declares or a group outside the scope.
async fn target(
    state: &AppState,
    viewer: &Viewer,
    group: i64,
    plugin: &str,
    name: &str,
) -> Result<(Found, Group), ConsoleError> {
    let found = declared(state)
        .find(|f| f.plugin == plugin && f.panel.name == name)
        .map(|f| Found {
            plugin: f.plugin.to_owned(),
            panel: f.panel.clone(),
            permission: f.permission,
        })
        .ok_or_else(|| ConsoleError::from(ApiError::not_found("panel")))?;
    let who = viewer.caller.clone();
    let permission = found.permission.clone();
    let group = state
        .read(move |c| who.group_for(c, GroupId(group), &permission))
        .await?;
    Ok((found, group))
}

/// A call of one of the panel's plugin's routes, made as the viewer on the panel's group.
struct Ask {
    method: String,
    route: String,
    params: Map<String, Value>,
    query: Map<String, Value>,
    body: Body,
    content_type: Option<String>,
    accept: String,
}

impl Ask {
    /// `method route`, without a body, answered in JSON.
    fn new(method: &str, route: &str) -> Ask {
        Ask {
            method: method.to_owned(),
            route: route.to_owned(),
            params: Map::new(),
            query: Map::new(),
            body: Body::None,
            content_type: None,
            accept: "application/json".to_owned(),
        }
    }

    fn params(mut self, params: Map<String, Value>) -> Ask {
        self.params = params;
        self
    }

    fn query(mut self, query: Map<String, Value>) -> Ask {
        self.query = query;
        self
    }

    fn json(mut self, body: Value) -> Ask {
        self.body = Body::Json(body);
        self.content_type = Some("application/json".to_owned());
        self
    }

    fn image(mut self, content_type: String, bytes: web::Bytes) -> Ask {
        self.body = Body::Image(bytes);
        self.content_type = Some(content_type);
        self
    }

    fn accept(mut self, media_type: &str) -> Ask {
        self.accept = media_type.to_owned();
        self
    }
}

/// Calls a route of the panel's plugin through the API's own gate (`plugins::call_route`): the
/// group found in the viewer's scope, the route's action authorized. A route the plugin does
/// not serve (any more) is not found.
async fn ask(
    state: &AppState,
    viewer: &Viewer,
    (found, group): (&Found, &Group),
    ask: Ask,
) -> Result<Prepared, ApiError> {
    let target = state
        .plugins
        .target(&found.plugin, &ask.method, &ask.route)
        .ok_or_else(|| ApiError::not_found("route"))?;
    let call = RouteCall {
        group_id: group.id,
        params: ask.params,
        query: ask.query,
        body: ask.body,
        content_type: ask.content_type,
        accept: Some(ask.accept),
    };
    call_route(state, viewer.caller.clone(), target, call).await
}

#[derive(Debug, Deserialize)]
pub struct PanelPath {
    id: i64,
    plugin: String,
    panel: String,
}

#[derive(Template)]
#[template(path = "panel.html")]
struct PanelPage {
    chrome: Chrome,
    group: Group,
    title: String,
    intro: String,
    tabs: Vec<Tab>,
    table: Option<TableView>,
    form: Option<String>,
    form_heading: String,
    /// The panel's image uploads, drawn.
    uploads: Vec<String>,
    chart: Option<ChartView>,
}

/// A plugin's picture as a page shows it: an `<img>` of the host's own address, the choices
/// that shape it (a GET form), and its downloads.
struct ChartView {
    action: String,
    src: String,
    alt: String,
    choices: Vec<ChoiceView>,
    downloads: Vec<(String, String)>,
}

struct ChoiceView {
    name: String,
    label: String,
    options: Vec<(String, String, bool)>,
}

/// A table as the template draws it: every cell already text.
struct TableView {
    label: String,
    headings: Vec<String>,
    rows: Vec<RowView>,
    empty: String,
    /// Why the list is not shown (the viewer may see the panel, not its list).
    refused: Option<String>,
    next: Option<String>,
    has_actions: bool,
}

struct RowView {
    cells: Vec<Cell>,
    actions: Vec<ActionView>,
}

/// A cell: its text, the exact time behind a relative one, and a colour's swatch.
struct Cell {
    text: String,
    title: String,
    /// `#rrggbb`, checked: drawn as an SVG `fill`, which the CSP allows (no `style`).
    swatch: Option<String>,
}

struct ActionView {
    label: String,
    href: String,
    confirm: String,
    /// A link to another panel (a GET), not a change (a POST).
    link: bool,
}

/// `GET /customers/{id}/panels/{plugin}/{panel}`.
pub async fn page(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<PanelPath>,
    params: web::Query<BTreeMap<String, String>>,
) -> Result<HttpResponse, ConsoleError> {
    let PanelPath { id, plugin, panel } = path.into_inner();
    let (found, group) = target(&state, &viewer, id, &plugin, &panel).await?;
    let params = params.into_inner();
    // A panel a row opens is about that row: without one it is about nothing.
    let row = params.get("row").filter(|r| is_row_key(r)).cloned();
    if found.panel.place == PanelPlace::RowDetail && row.is_none() {
        return Err(ApiError::not_found("row").into());
    }
    let table = match &found.panel.table {
        Some(_) => {
            let cursor = params.get("cursor").cloned();
            Some(table(&state, &viewer, &found, &group, cursor, row.as_deref()).await?)
        }
        None => None,
    };
    let chart = found
        .panel
        .chart
        .as_ref()
        .map(|spec| chart_view(&found, &group, spec, &params));
    let current = current_values(&state, &viewer, &found, &group, row.as_deref()).await?;
    let form = match form_view(
        &state,
        &viewer,
        (&found, &group),
        row.as_deref(),
        &current,
        Problems::default(),
    ) {
        Some(view) => Some(page::fragment(&view)?),
        None => None,
    };
    draw(
        &state,
        &viewer,
        found,
        group,
        table,
        form,
        chart,
        params.get("notice").map(String::as_str),
    )
}

#[allow(clippy::too_many_arguments)]
fn draw(
    state: &AppState,
    viewer: &Viewer,
    found: Found,
    group: Group,
    table: Option<TableView>,
    form: Option<String>,
    chart: Option<ChartView>,
    notice: Option<&str>,
) -> Result<HttpResponse, ConsoleError> {
    let here = address(group.id.0, &found.plugin, &found.panel.name);
    // A menu entry's page is its own section: the menu marks it, and no customer tabs show.
    let in_menu = found.panel.place == PanelPlace::MenuEntry;
    let tabs = if in_menu {
        Vec::new()
    } else {
        tabs(state, viewer, &group)
            .into_iter()
            .map(|tab| Tab {
                active: tab.href == here,
                ..tab
            })
            .collect()
    };
    let section = if in_menu {
        format!("{}/{}", found.plugin, found.panel.name)
    } else {
        "customers".to_owned()
    };
    let title = found.panel.title.clone();
    let view = PanelPage {
        chrome: Chrome::new(viewer, format!("{}: {title}", group.name), &section, &group)
            .with_notice(notice),
        intro: found.panel.intro.clone().unwrap_or_default(),
        form_heading: found
            .panel
            .form
            .as_ref()
            .map(|f| f.submit.clone())
            .unwrap_or_default(),
        uploads: upload_views(state, viewer, &found, &group, None)
            .iter()
            .map(page::fragment)
            .collect::<Result<_, _>>()?,
        group,
        title,
        tabs,
        table,
        form,
        chart,
    };
    page::html(&view)
}

/// A page of the panel's list, as the viewer may see it.
async fn table(
    state: &AppState,
    viewer: &Viewer,
    found: &Found,
    group: &Group,
    cursor: Option<String>,
    row: Option<&str>,
) -> Result<TableView, ConsoleError> {
    let Some(spec) = &found.panel.table else {
        return Err(ApiError::not_found("table").into());
    };
    let here = address(group.id.0, &found.plugin, &found.panel.name);
    let base = address(group.id.0, &found.plugin, "");
    // The row a `row_detail` panel is about fills its route's record parameter.
    let params = row_params(&spec.route, row);
    let mut view = TableView {
        label: found.panel.title.clone(),
        headings: spec.columns.iter().map(|c| c.title.clone()).collect(),
        rows: Vec::new(),
        empty: spec.empty.clone(),
        refused: None,
        next: None,
        has_actions: !spec.row_actions.is_empty(),
    };
    let mut query: Map<String, Value> = spec
        .query
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    query.insert("limit".to_owned(), Value::String(PAGE.to_string()));
    if let Some(cursor) = cursor {
        query.insert("cursor".to_owned(), Value::String(cursor));
    }
    let list = Ask::new("GET", &spec.route).params(params).query(query);
    let page = match ask(state, viewer, (found, group), list).await {
        Ok(answer) => json_of(answer.body),
        Err(error) if error.body().status == 403 => {
            view.refused = Some(page::capitalise(&error.body().detail));
            return Ok(view);
        }
        Err(error) => return Err(error.into()),
    };
    let now = Utc::now();
    let actions: Vec<_> = spec
        .row_actions
        .iter()
        .enumerate()
        .filter(|(_, action)| {
            // Only what the viewer may do is offered.
            match &action.opens {
                Some(panel) => declared(state).any(|f| {
                    f.plugin == found.plugin
                        && &f.panel.name == panel
                        && viewer
                            .caller
                            .authorize_permission(&f.permission, group)
                            .is_ok()
                }),
                None => state
                    .plugins
                    .target(&found.plugin, &action.method, &action.route)
                    .is_some_and(|t| viewer.caller.authorize_permission(&t.action, group).is_ok()),
            }
        })
        .collect();
    view.has_actions = !actions.is_empty();
    for item in page["items"].as_array().into_iter().flatten() {
        let cells = spec
            .columns
            .iter()
            .map(|column| cell(field(item, &column.field), column.kind, now))
            .collect();
        let actions = actions
            .iter()
            .filter_map(|(index, action)| {
                let row = row_key(item, action.key.as_deref().unwrap_or("id"))?;
                Some(ActionView {
                    label: action.label.clone(),
                    href: match &action.opens {
                        Some(panel) => format!("{base}{panel}?row={row}"),
                        None => format!("{here}/rows/{row}/{index}"),
                    },
                    confirm: action.confirm.clone().unwrap_or_default(),
                    link: action.opens.is_some(),
                })
            })
            .collect();
        view.rows.push(RowView { cells, actions });
    }
    view.next = page["next_cursor"]
        .as_str()
        .filter(|_| page["has_more"] == true)
        .map(|cursor| {
            let row = row.map_or_else(String::new, |row| format!("&row={row}"));
            format!("{here}?cursor={}{row}", urlencoding(cursor))
        });
    Ok(view)
}

/// The path parameters a route takes from the row a panel is about.
fn row_params(route: &str, row: Option<&str>) -> Map<String, Value> {
    let mut params = Map::new();
    if let (Some(row), Some(param)) = (row, record_param(route)) {
        params.insert(param.to_owned(), Value::String(row.to_owned()));
    }
    params
}

/// A panel's address about a row (`?row=`), or the panel's own.
fn with_row(address: String, row: Option<&str>) -> String {
    match row {
        Some(row) => format!("{address}?row={row}"),
        None => address,
    }
}

/// A route's record parameter: its last path parameter but `{id}`.
fn record_param(route: &str) -> Option<&str> {
    route
        .rsplit('/')
        .find_map(|part| part.strip_prefix('{')?.strip_suffix('}'))
        .filter(|param| *param != "id")
}

/// The chart's choices as the query names them (an option of each, else its first), and the
/// addresses of its picture and downloads.
fn chosen<'a>(
    spec: &'a PanelChart,
    query: &BTreeMap<String, String>,
) -> Vec<(&'a FormField, String)> {
    spec.choices
        .iter()
        .map(|choice| {
            let asked = query.get(&choice.name);
            let value = choice
                .choices
                .iter()
                .find(|(value, _)| Some(value) == asked)
                .or_else(|| choice.choices.first())
                .map(|(value, _)| value.clone())
                .unwrap_or_default();
            (choice, value)
        })
        .collect()
}

fn chart_view(
    found: &Found,
    group: &Group,
    spec: &PanelChart,
    query: &BTreeMap<String, String>,
) -> ChartView {
    let here = address(group.id.0, &found.plugin, &found.panel.name);
    let chosen = chosen(spec, query);
    let choice_query = chosen
        .iter()
        .map(|(choice, value)| format!("{}={}", urlencoding(&choice.name), urlencoding(value)))
        .collect::<Vec<_>>()
        .join("&");
    ChartView {
        action: here.clone(),
        src: format!("{here}/chart?{choice_query}"),
        alt: spec.alt.clone(),
        choices: chosen
            .iter()
            .map(|(choice, value)| ChoiceView {
                name: choice.name.clone(),
                label: choice.label.clone(),
                options: choice
                    .choices
                    .iter()
                    .map(|(v, l)| (v.clone(), l.clone(), v == value))
                    .collect(),
            })
            .collect(),
        downloads: spec
            .downloads
            .iter()
            .enumerate()
            .map(|(index, (_, label))| {
                (
                    format!("{here}/chart?{choice_query}&as={index}"),
                    label.clone(),
                )
            })
            .collect(),
    }
}

/// `GET /customers/{id}/panels/{plugin}/{panel}/chart`: the plugin's picture (or, with
/// `as=N`, its Nth download), asked as the viewer, served from this address: an SVG with
/// nothing to load and no script to run, a download as an attachment.
pub async fn chart(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<PanelPath>,
    query: web::Query<BTreeMap<String, String>>,
) -> Result<HttpResponse, ConsoleError> {
    let PanelPath { id, plugin, panel } = path.into_inner();
    let (found, group) = target(&state, &viewer, id, &plugin, &panel).await?;
    let spec = found
        .panel
        .chart
        .clone()
        .ok_or_else(|| ApiError::not_found("chart"))?;
    let query = query.into_inner();
    let download = match query.get("as") {
        None => None,
        Some(index) => Some(
            index
                .parse::<usize>()
                .ok()
                .and_then(|i| spec.downloads.get(i))
                .ok_or_else(|| ApiError::not_found("download"))?,
        ),
    };
    let placeholders: Vec<&str> = spec
        .route
        .split('/')
        .filter_map(|part| part.strip_prefix('{')?.strip_suffix('}'))
        .collect();
    let (mut params, mut asked) = (Map::new(), Map::new());
    for (choice, value) in chosen(&spec, &query) {
        let into = if placeholders.contains(&choice.name.as_str()) {
            &mut params
        } else {
            &mut asked
        };
        into.insert(choice.name.clone(), Value::String(value));
    }
    let accept = download.map_or("image/svg+xml", |(media, _)| media.as_str());
    let picture = Ask::new("GET", &spec.route)
        .params(params)
        .query(asked)
        .accept(accept);
    let answer = ask(&state, &viewer, (&found, &group), picture).await?;
    let PreparedBody::Bytes {
        content_type,
        bytes,
    } = answer.body
    else {
        return Err(ApiError::not_found("picture").into());
    };
    let media = content_type.split(';').next().unwrap_or_default().trim();
    let mut reply = HttpResponse::Ok();
    reply
        .content_type(content_type.clone())
        .insert_header(("X-Content-Type-Options", "nosniff"));
    match download {
        Some((expected, _)) => {
            if media != expected {
                return Err(ApiError::not_found("download").into());
            }
            let extension = expected.rsplit('/').next().unwrap_or("bin");
            let name: String = format!("{}-{}.{extension}", group.name, found.panel.name)
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                        c
                    } else {
                        '-'
                    }
                })
                .collect();
            reply.insert_header((
                actix_web::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ));
        }
        None => {
            if !matches!(media, "image/svg+xml" | "image/png") {
                return Err(ApiError::not_found("picture").into());
            }
            reply.insert_header((
                actix_web::http::header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'; sandbox",
            ));
        }
    }
    Ok(reply.body(bytes))
}

fn json_of(body: PreparedBody) -> Value {
    match body {
        PreparedBody::Json(value) => value,
        _ => Value::Null,
    }
}

/// A field of an item by its dotted name.
fn field<'a>(item: &'a Value, name: &str) -> &'a Value {
    name.split('.').fold(item, |value, key| &value[key])
}

/// A value as a cell shows it, by its declared kind.
fn cell(value: &Value, kind: FieldKind, now: DateTime<Utc>) -> Cell {
    let plain = |text: String| Cell {
        text,
        title: String::new(),
        swatch: None,
    };
    match (kind, value) {
        (_, Value::Null) => plain(String::new()),
        (FieldKind::Checkbox, Value::Bool(true)) => plain("Yes".to_owned()),
        (FieldKind::Checkbox, Value::Bool(false)) => plain("No".to_owned()),
        (FieldKind::DateTime, Value::String(text)) => match DateTime::parse_from_rfc3339(text) {
            Ok(at) => {
                let at = at.with_timezone(&Utc);
                Cell {
                    text: format!("{} ({})", format::ago(at, now), at.format("%Y-%m-%d %H:%M")),
                    title: format::exact(at),
                    swatch: None,
                }
            }
            Err(_) => plain(text.clone()),
        },
        (FieldKind::Colour, Value::String(text)) if is_hex_colour(text) => Cell {
            swatch: Some(text.to_ascii_lowercase()),
            ..plain(text.clone())
        },
        (_, Value::String(text)) => plain(text.clone()),
        (_, Value::Array(items)) => plain(
            items
                .iter()
                .map(|item| {
                    item.as_str()
                        .map_or_else(|| item.to_string(), str::to_owned)
                })
                .collect::<Vec<_>>()
                .join(", "),
        ),
        (_, other) => plain(other.to_string()),
    }
}

fn is_hex_colour(text: &str) -> bool {
    text.len() == 7 && text.starts_with('#') && text[1..].chars().all(|c| c.is_ascii_hexdigit())
}

/// A row's key as an address may carry it: its id, or the field a row action names.
fn row_key(item: &Value, key: &str) -> Option<String> {
    let text = match &item[key] {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        _ => return None,
    };
    is_row_key(&text).then_some(text)
}

fn is_row_key(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 64
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn urlencoding(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "panel_form.html")]
struct FormView {
    action: String,
    submit: String,
    fields: Vec<FieldView>,
    problems: Problems,
    shown: String,
}

struct FieldView {
    name: String,
    id: String,
    label: String,
    kind: &'static str,
    required: bool,
    hint: String,
    value: String,
    checked: bool,
    choices: Vec<(String, String, bool)>,
    problem: String,
}

/// What an edit form shows before anything is posted: its source route's answer, as the
/// viewer may read it (nothing when it may not, or when the form has no source).
async fn current_values(
    state: &AppState,
    viewer: &Viewer,
    found: &Found,
    group: &Group,
    row: Option<&str>,
) -> Result<Map<String, Value>, ConsoleError> {
    let Some((form, source)) = found
        .panel
        .form
        .as_ref()
        .and_then(|form| Some((form, form.source.as_ref()?)))
    else {
        return Ok(Map::new());
    };
    let current = Ask::new("GET", source).params(row_params(source, row));
    let answer = match ask(state, viewer, (found, group), current).await {
        Ok(answer) => json_of(answer.body),
        Err(error) if error.body().status == 403 => return Ok(Map::new()),
        Err(error) => return Err(error.into()),
    };
    let values = match &form.source_pointer {
        Some(pointer) => answer.pointer(pointer).cloned().unwrap_or(Value::Null),
        None => answer,
    };
    Ok(form
        .fields
        .iter()
        .map(|f| {
            let text = match field(&values, &f.name) {
                // What a `datetime-local` input takes: the UTC moment to the minute.
                Value::String(s) if f.kind == FieldKind::DateTime => {
                    DateTime::parse_from_rfc3339(s).map_or_else(
                        |_| s.clone(),
                        |at| at.with_timezone(&Utc).format("%Y-%m-%dT%H:%M").to_string(),
                    )
                }
                Value::Null | Value::Bool(false) => String::new(),
                Value::Bool(true) => "yes".to_owned(),
                Value::String(s) => s.clone(),
                Value::Array(items) => items
                    .iter()
                    .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned))
                    .collect::<Vec<_>>()
                    .join("\n"),
                other => other.to_string(),
            };
            (f.name.clone(), Value::String(text))
        })
        .collect())
}

/// The panel's form, filled with what was posted, if the viewer may use its route.
fn form_view(
    state: &AppState,
    viewer: &Viewer,
    (found, group): (&Found, &Group),
    row: Option<&str>,
    posted: &Map<String, Value>,
    problems: Problems,
) -> Option<FormView> {
    let spec = found.panel.form.as_ref()?;
    let target = state
        .plugins
        .target(&found.plugin, &spec.method, &spec.route)?;
    viewer
        .caller
        .authorize_permission(&target.action, group)
        .ok()?;
    let fields = spec
        .fields
        .iter()
        .map(|f| {
            let value = posted.get(&f.name).and_then(Value::as_str).unwrap_or("");
            FieldView {
                id: format!("panel-{}", f.name.replace('.', "-")),
                name: f.name.clone(),
                label: f.label.clone(),
                kind: input_kind(f.kind),
                required: f.required,
                hint: f.hint.clone().unwrap_or_default(),
                value: value.to_owned(),
                checked: !value.is_empty(),
                choices: f
                    .choices
                    .iter()
                    .map(|(v, l)| (v.clone(), l.clone(), v == value))
                    .collect(),
                problem: problems.field(&f.name),
            }
        })
        .collect();
    Some(FormView {
        action: with_row(address(group.id.0, &found.plugin, &found.panel.name), row),
        submit: spec.submit.clone(),
        shown: spec
            .fields
            .iter()
            .map(|f| f.name.split('.').next().unwrap_or_default().to_owned())
            .collect::<Vec<_>>()
            .join(","),
        fields,
        problems,
    })
}

/// How the template draws a field of this kind.
fn input_kind(kind: FieldKind) -> &'static str {
    match kind {
        FieldKind::LongText | FieldKind::List => "textarea",
        FieldKind::Email => "email",
        // A colour picker always sends a colour; a blank text field leaves it out.
        FieldKind::Colour => "text",
        FieldKind::DateTime => "datetime-local",
        FieldKind::Choice => "select",
        FieldKind::Checkbox => "checkbox",
        FieldKind::Number => "number",
        FieldKind::Text | FieldKind::Unknown => "text",
    }
}

/// The body a posted form makes: each field by its kind, dotted names nested; blank fields left
/// out (the route's own defaults apply). A value that cannot be what its kind says is a problem
/// beside its field, before the plugin is asked.
fn body_of(fields: &[FormField], posted: &Map<String, Value>) -> Result<Value, Problems> {
    let mut body = Map::new();
    let mut problems = Vec::new();
    for spec in fields {
        let text = posted
            .get(&spec.name)
            .and_then(Value::as_str)
            .unwrap_or("")
            .trim();
        let value = match spec.kind {
            FieldKind::Checkbox => Value::Bool(!text.is_empty()),
            _ if text.is_empty() => continue,
            FieldKind::Number => match text.parse::<f64>() {
                Ok(n) if n.fract() == 0.0 && n.abs() < 1e15 => Value::from(n as i64),
                Ok(n) => Value::from(n),
                Err(_) => {
                    problems.push(problem(&spec.name, "must be a number"));
                    continue;
                }
            },
            FieldKind::DateTime => match NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M")
                .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S"))
            {
                Ok(at) => Value::String(at.and_utc().to_rfc3339()),
                Err(_) => {
                    problems.push(problem(&spec.name, "must be a date and time"));
                    continue;
                }
            },
            FieldKind::List => Value::Array(
                text.lines()
                    .flat_map(|line| line.split(','))
                    .map(str::trim)
                    .filter(|item| !item.is_empty())
                    .map(|item| Value::String(item.to_owned()))
                    .collect(),
            ),
            _ => Value::String(text.to_owned()),
        };
        set(&mut body, &spec.name, value);
    }
    if problems.is_empty() {
        Ok(Value::Object(body))
    } else {
        Err(Problems {
            message: Some("Nothing was saved: see the fields marked below.".to_owned()),
            fields: problems,
        })
    }
}

fn problem(field: &str, message: &str) -> FieldErrorBody {
    FieldErrorBody {
        field: field.to_owned(),
        message: message.to_owned(),
        line: None,
    }
}

/// Sets a dotted key in a JSON object, making the objects on the way.
fn set(body: &mut Map<String, Value>, name: &str, value: Value) {
    match name.split_once('.') {
        None => {
            body.insert(name.to_owned(), value);
        }
        Some((head, rest)) => {
            let inner = body
                .entry(head.to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if !inner.is_object() {
                *inner = Value::Object(Map::new());
            }
            if let Value::Object(inner) = inner {
                set(inner, rest, value);
            }
        }
    }
}

/// `POST /customers/{id}/panels/{plugin}/{panel}`: the panel's form, sent to the plugin's route.
pub async fn submit(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<PanelPath>,
    query: web::Query<BTreeMap<String, String>>,
    posted: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, ConsoleError> {
    let PanelPath { id, plugin, panel } = path.into_inner();
    let (found, group) = target(&state, &viewer, id, &plugin, &panel).await?;
    // The form of a panel a row opens changes that row.
    let row = query.get("row").filter(|r| is_row_key(r)).cloned();
    let row = row.as_deref();
    if found.panel.place == PanelPlace::RowDetail && row.is_none() {
        return Err(ApiError::not_found("row").into());
    }
    let spec = found
        .panel
        .form
        .clone()
        .ok_or_else(|| ApiError::not_found("form"))?;
    let posted: Map<String, Value> = posted
        .into_inner()
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    let refused = |problems: Problems| -> Result<HttpResponse, ConsoleError> {
        let view = form_view(&state, &viewer, (&found, &group), row, &posted, problems)
            .ok_or_else(|| {
                ConsoleError::from(DomainError::Forbidden {
                    message: "you may not use this form".to_owned(),
                })
            })?;
        page::html_with(StatusCode::UNPROCESSABLE_ENTITY, &view)
    };
    let body = match body_of(&spec.fields, &posted) {
        Ok(body) => body,
        Err(problems) => return refused(problems),
    };
    let save = Ask::new(&spec.method, &spec.route)
        .params(row_params(&spec.route, row))
        .json(body);
    match ask(&state, &viewer, (&found, &group), save).await {
        Ok(_) => {
            let here = with_row(address(group.id.0, &found.plugin, &found.panel.name), row);
            let notice = if row.is_some() { "&" } else { "?" };
            Ok(page::go_to(&format!("{here}{notice}notice=panel-saved")))
        }
        Err(error) => {
            let mut problems = Problems::from_error(error)?;
            // The plugin's words stand beside their fields; the top says what it means.
            if !problems.fields.is_empty() {
                problems.message = Some("Nothing was saved: see the fields marked below.".into());
            }
            refused(problems)
        }
    }
}

#[derive(Template)]
#[template(path = "panel_upload.html")]
struct UploadView {
    action: String,
    id: String,
    label: String,
    hint: String,
    problem: Option<String>,
}

/// The panel's uploads the viewer may use; `problem` beside the `index`th.
fn upload_views(
    state: &AppState,
    viewer: &Viewer,
    found: &Found,
    group: &Group,
    problem: Option<(usize, String)>,
) -> Vec<UploadView> {
    let here = address(group.id.0, &found.plugin, &found.panel.name);
    found
        .panel
        .uploads
        .iter()
        .enumerate()
        .filter(|(_, upload)| {
            state
                .plugins
                .target(&found.plugin, &upload.method, &upload.route)
                .is_some_and(|t| viewer.caller.authorize_permission(&t.action, group).is_ok())
        })
        .map(|(index, upload)| UploadView {
            action: format!("{here}/uploads/{index}"),
            id: format!("upload-{index}"),
            label: upload.label.clone(),
            hint: upload.hint.clone().unwrap_or_default(),
            problem: problem
                .as_ref()
                .filter(|(at, _)| *at == index)
                .map(|(_, message)| message.clone()),
        })
        .collect()
}

/// An uploaded file as the form carries it: `data:<type>;base64,<bytes>`, PNG or SVG only.
fn image_of(data_url: &str) -> Option<(String, web::Bytes)> {
    let (head, encoded) = data_url.strip_prefix("data:")?.split_once(',')?;
    let content_type = head.strip_suffix(";base64")?;
    if !matches!(content_type, "image/png" | "image/svg+xml") {
        return None;
    }
    let bytes = BASE64.decode(encoded.trim()).ok()?;
    Some((content_type.to_owned(), web::Bytes::from(bytes)))
}

/// At most this much of a form with an image (1 MiB of image, as base64, and a margin).
const UPLOAD_FORM_LIMIT: usize = 1_500_000;

#[derive(Debug, Deserialize)]
pub struct UploadPath {
    id: i64,
    plugin: String,
    panel: String,
    index: usize,
}

/// `POST /customers/{id}/panels/{plugin}/{panel}/uploads/{index}`: an image, sent to the
/// plugin's route as the API would send it.
pub async fn upload(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<UploadPath>,
    body: web::Payload,
) -> Result<HttpResponse, ConsoleError> {
    let UploadPath {
        id,
        plugin,
        panel,
        index,
    } = path.into_inner();
    let (found, group) = target(&state, &viewer, id, &plugin, &panel).await?;
    let spec = found
        .panel
        .uploads
        .get(index)
        .cloned()
        .ok_or_else(|| ApiError::not_found("upload"))?;
    let refused = |message: String| -> Result<HttpResponse, ConsoleError> {
        let views = upload_views(&state, &viewer, &found, &group, Some((index, message)));
        let view = views
            .iter()
            .find(|v| v.id == format!("upload-{index}"))
            .ok_or_else(|| {
                ConsoleError::from(DomainError::Forbidden {
                    message: "you may not upload this".to_owned(),
                })
            })?;
        page::html_with(StatusCode::UNPROCESSABLE_ENTITY, view)
    };
    let body = crate::extract::limited_body(body, UPLOAD_FORM_LIMIT).await;
    let Ok(body) = body else {
        return refused("The image is larger than 1 MiB.".to_owned());
    };
    let fields = web::Query::<Vec<(String, String)>>::from_query(&String::from_utf8_lossy(&body))
        .map(web::Query::into_inner)
        .unwrap_or_default();
    let image = fields
        .iter()
        .find(|(name, _)| name == "image")
        .and_then(|(_, value)| image_of(value));
    let Some((content_type, bytes)) = image else {
        return refused("Choose a PNG or SVG file.".to_owned());
    };
    let send = Ask::new(&spec.method, &spec.route).image(content_type, bytes);
    match ask(&state, &viewer, (&found, &group), send).await {
        Ok(_) => Ok(page::go_to(&format!(
            "{}?notice=panel-saved",
            address(group.id.0, &found.plugin, &found.panel.name)
        ))),
        Err(error) => {
            let problems = Problems::from_error(error)?;
            let message = problems
                .fields
                .first()
                .map(|f| page::capitalise(&f.message))
                .or(problems.message)
                .unwrap_or_default();
            refused(message)
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct RowPath {
    id: i64,
    plugin: String,
    panel: String,
    row: String,
    action: usize,
}

/// `POST /customers/{id}/panels/{plugin}/{panel}/rows/{row}/{action}`: a row's action.
pub async fn row_action(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<RowPath>,
) -> Result<HttpResponse, ConsoleError> {
    let RowPath {
        id,
        plugin,
        panel,
        row,
        action,
    } = path.into_inner();
    if !is_row_key(&row) {
        return Err(ApiError::not_found("row").into());
    }
    let (found, group) = target(&state, &viewer, id, &plugin, &panel).await?;
    let spec = found
        .panel
        .table
        .as_ref()
        .and_then(|table| table.row_actions.get(action))
        .cloned()
        .ok_or_else(|| ApiError::not_found("action"))?;
    // A link to another panel is followed, not posted.
    if spec.opens.is_some() {
        return Err(ApiError::not_found("action").into());
    }
    // The row's id fills the route's last parameter (checked at load: it has one beside {id}).
    if record_param(&spec.route).is_none() {
        return Err(ApiError::not_found("action").into());
    }
    let mut act = Ask::new(&spec.method, &spec.route).params(row_params(&spec.route, Some(&row)));
    if spec.method != "DELETE" {
        act = act.json(Value::Object(Map::new()));
    }
    match ask(&state, &viewer, (&found, &group), act).await {
        Ok(_) => Ok(page::go_to(&format!(
            "{}?notice=panel-done",
            address(group.id.0, &found.plugin, &found.panel.name)
        ))),
        Err(error) => {
            #[derive(Template)]
            #[template(path = "problems_only.html")]
            struct Refused {
                problems: Problems,
            }
            page::html_with(
                StatusCode::UNPROCESSABLE_ENTITY,
                &Refused {
                    problems: Problems::from_error(error)?,
                },
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn posted(pairs: &[(&str, &str)]) -> Map<String, Value> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Value::String((*v).to_owned())))
            .collect()
    }

    #[test]
    fn a_form_becomes_the_routes_body_by_the_fields_kinds() {
        let fields = [
            FormField::new("title", "Title", FieldKind::Text),
            FormField::new("schedule.at", "At", FieldKind::Text),
            FormField::new("schedule.day", "Day", FieldKind::Number),
            FormField::new("enabled", "Enabled", FieldKind::Checkbox),
            FormField::new("when", "When", FieldKind::DateTime),
            FormField::new("recipients.emails", "To", FieldKind::List),
            FormField::new("note", "Note", FieldKind::Text),
        ];
        let body = body_of(
            &fields,
            &posted(&[
                ("title", " Usage "),
                ("schedule.at", "07:00"),
                ("schedule.day", "3"),
                ("when", "2026-12-24T18:30"),
                ("recipients.emails", "a@x.test\nb@x.test, c@x.test"),
                ("note", "   "),
            ]),
        )
        .map_err(|p| p.fields)
        .unwrap_or_default();
        assert_eq!(
            body,
            json!({
                "title": "Usage",
                "schedule": {"at": "07:00", "day": 3},
                "enabled": false,
                "when": "2026-12-24T18:30:00+00:00",
                "recipients": {"emails": ["a@x.test", "b@x.test", "c@x.test"]},
            })
        );
    }

    #[test]
    fn values_that_cannot_be_their_kind_are_refused_beside_their_fields() {
        let fields = [
            FormField::new("day", "Day", FieldKind::Number),
            FormField::new("when", "When", FieldKind::DateTime),
        ];
        let problems = body_of(&fields, &posted(&[("day", "soon"), ("when", "tomorrow")]))
            .err()
            .unwrap_or_default();
        assert_eq!(problems.field("day"), "must be a number");
        assert_eq!(problems.field("when"), "must be a date and time");
    }

    #[test]
    fn cells_show_values_by_kind() {
        let now = Utc::now();
        assert_eq!(cell(&json!(true), FieldKind::Checkbox, now).text, "Yes");
        assert_eq!(cell(&json!(["a", "b"]), FieldKind::List, now).text, "a, b");
        assert_eq!(cell(&Value::Null, FieldKind::Text, now).text, "");
        let at = cell(&json!("2026-01-02T03:04:05Z"), FieldKind::DateTime, now);
        assert!(at.text.ends_with("(2026-01-02 03:04)"), "{}", at.text);
        assert_eq!(at.title, "2026-01-02 03:04:05 UTC");
        assert_eq!(field(&json!({"a": {"b": 1}}), "a.b"), &json!(1));
    }
}
