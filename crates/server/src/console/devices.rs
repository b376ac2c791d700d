//! The backup dashboard: a customer's devices across its subtree (filtered, sorted, a page at a
//! time, each with the last 28 days' outcomes), a device's detail and history, passphrases for
//! Security Officers, and Quick Installation (deployment tokens). Every read and change is the
//! API's own (`routes::devices`, `routes::deployment`).

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{Duration, NaiveDate};
use serde::Deserialize;
use tenantry_api_types::{CreateDeploymentToken, DevicesQuery, UpdateDevice};
use tenantry_domain::{Action, Device, DeviceId, Group, GroupId, Module, SettingKind};
use tenantry_storage::devices::{self, RecentDay};
use tenantry_storage::{groups, settings};

use super::customers::{group_in_scope, selected};
use super::format;
use super::page::{self, Choice, Chrome, ConsoleError, Problems, choices};
use super::viewer::{Permit, Viewer};
use crate::error::ApiError;
use crate::routes::{deployment as deployment_ops, devices as device_ops};
use crate::state::AppState;

const PAGE: i64 = 50;
/// Days in a device's strip of recent outcomes.
const STRIP_DAYS: i64 = 28;

/// One square of a device's strip.
#[derive(Debug)]
struct Day {
    class: &'static str,
    title: String,
}

fn strip(days: &[RecentDay], today: NaiveDate) -> Vec<Day> {
    let by_day: HashMap<NaiveDate, &RecentDay> = days.iter().map(|d| (d.day, d)).collect();
    (0..STRIP_DAYS)
        .rev()
        .map(|back| {
            let day = today - Duration::days(back);
            match by_day.get(&day) {
                None => Day {
                    class: "none",
                    title: format!("{day}: no session"),
                },
                Some(d) if d.failed > 0 => Day {
                    class: "bad",
                    title: format!("{day}: {} failed", d.failed),
                },
                Some(d) if d.with_errors > 0 => Day {
                    class: "warn",
                    title: format!("{day}: {} with errors", d.with_errors),
                },
                Some(d) if d.completed > 0 => Day {
                    class: "ok",
                    title: format!("{day}: {} completed", d.completed),
                },
                Some(_) => Day {
                    class: "none",
                    title: format!("{day}: no session"),
                },
            }
        })
        .collect()
}

#[derive(Debug)]
struct DeviceRow {
    id: i64,
    name: String,
    os: String,
    customer: String,
    status: &'static str,
    status_class: &'static str,
    last: String,
    last_exact: String,
    selected: String,
    used: String,
    days: Vec<Day>,
}

fn device_row(
    device: &Device,
    customer: String,
    days: &[RecentDay],
    now: chrono::DateTime<chrono::Utc>,
) -> DeviceRow {
    let (status, status_class) = format::status(device.status);
    DeviceRow {
        id: device.id.0,
        name: device.name.clone(),
        os: device.os.clone(),
        customer,
        status,
        status_class,
        last: device
            .last_session_at
            .map_or_else(|| "never".to_owned(), |at| format::ago(at, now)),
        last_exact: device
            .last_session_at
            .map(format::exact)
            .unwrap_or_default(),
        selected: format::bytes(device.selected_bytes),
        used: format::bytes(device.used_bytes),
        days: strip(days, now.date_naive()),
    }
}

#[derive(Template)]
#[template(path = "devices.html")]
struct DevicesPage {
    chrome: Chrome,
    group_id: i64,
    name: String,
    crumbs: Vec<(i64, String)>,
    rows: Vec<DeviceRow>,
    next: Option<String>,
    statuses: Vec<Choice>,
    sorts: Vec<Choice>,
    os: String,
    search: String,
    older: String,
    within: String,
    problems: Problems,
}

#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    group: Option<i64>,
    /// A customer by name, typed into the selector.
    customer: Option<String>,
    #[serde(default)]
    status: String,
    #[serde(default)]
    os: String,
    #[serde(default)]
    name: String,
    /// No session for this many hours.
    #[serde(default)]
    older: String,
    /// A session within this many hours.
    #[serde(default)]
    within: String,
    #[serde(default)]
    sort: String,
    cursor: Option<String>,
}

const STATUSES: [(&str, &str); 5] = [
    ("completed", "Completed"),
    ("with_errors", "Completed with errors"),
    ("failed", "Failed"),
    ("aborted", "Aborted"),
    ("none", "No session yet"),
];

const SORTS: [(&str, &str); 7] = [
    ("tree", "By customer"),
    ("name", "Name A–Z"),
    ("-name", "Name Z–A"),
    ("last_session_at", "Longest without a session"),
    ("-last_session_at", "Most recent session"),
    ("-used_bytes", "Most storage used"),
    ("used_bytes", "Least storage used"),
];

fn hours(field: &str, text: &str) -> Result<Option<i64>, ApiError> {
    match text.trim() {
        "" => Ok(None),
        text => text
            .parse()
            .map(Some)
            .map_err(|_| ApiError::invalid_field(field, "must be a whole number of hours")),
    }
}

fn non_empty(text: &str) -> Option<String> {
    Some(text.trim().to_owned()).filter(|t| !t.is_empty())
}

/// `GET /devices`: the selected customer's devices, across its subtree.
pub async fn page(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    params: web::Query<ListParams>,
) -> Result<HttpResponse, ConsoleError> {
    let params = params.into_inner();
    let group = match (params.customer.as_deref().map(str::trim), params.group) {
        (Some(name), _) if !name.is_empty() => {
            let (who, name) = (viewer.caller.clone(), name.to_owned());
            state
                .read(move |c| groups::by_name(c, &who.scope, &name))
                .await?
        }
        (_, Some(id)) => group_in_scope(&state, &viewer, id).await?,
        _ => viewer.group.clone(),
    };
    let now = tenantry_storage::now();
    let query = DevicesQuery {
        descendants: Some(true),
        status: non_empty(&params.status),
        os: non_empty(&params.os),
        name: non_empty(&params.name),
        last_session_older_than_hours: hours("older", &params.older)?,
        last_session_within_hours: hours("within", &params.within)?,
        sort: non_empty(&params.sort),
        limit: Some(PAGE),
        cursor: params.cursor.clone(),
    };
    let (rows, next, problems) = match device_ops::device_filter(query) {
        Err(error) => (Vec::new(), None, Problems::from_error(error)?),
        Ok(filter) => {
            let request = crate::routes::page_request(Some(PAGE), params.cursor.as_deref())?;
            let (who, top) = (viewer.caller.clone(), group.clone());
            let since = (now - Duration::days(STRIP_DAYS - 1)).date_naive();
            let (found, names, days) = state
                .read(move |c| {
                    who.authorize(Action::ViewDevices, &top)?;
                    let found = devices::list(c, &top, &filter, &request)?;
                    let mut owners: Vec<GroupId> = found.items.iter().map(|d| d.group_id).collect();
                    owners.dedup();
                    let names = groups::names(c, &who.scope, &owners)?;
                    let ids: Vec<DeviceId> = found.items.iter().map(|d| d.id).collect();
                    let days = devices::recent_days(c, &ids, since)?;
                    Ok((found, names, days))
                })
                .await?;
            let rows = found
                .items
                .iter()
                .map(|d| {
                    let customer = names.get(&d.group_id).cloned().unwrap_or_default();
                    let recent = days.get(&d.id).map_or(&[][..], Vec::as_slice);
                    device_row(d, customer, recent, now)
                })
                .collect();
            let next = found.next.map(|cursor| next_page(&req, cursor.token()));
            (rows, next, Problems::default())
        }
    };
    let (who, chosen) = (viewer.caller.clone(), group.id);
    let ancestors = state
        .read(move |c| groups::ancestors(c, &who.scope, chosen))
        .await?;
    page::html(&DevicesPage {
        chrome: Chrome::new(
            &viewer,
            format!("{}: devices", group.name),
            "devices",
            &group,
        ),
        group_id: group.id.0,
        name: group.name.clone(),
        crumbs: ancestors
            .iter()
            .map(|g| (g.id.0, g.name.clone()))
            .chain(std::iter::once((group.id.0, group.name.clone())))
            .collect(),
        rows,
        next,
        statuses: choices(&STATUSES, params.status.trim()),
        sorts: choices(&SORTS, params.sort.trim()),
        os: params.os,
        search: params.name,
        older: params.older,
        within: params.within,
        problems,
    })
}

/// This page's address with the next page's cursor in place of the current one.
fn next_page(req: &HttpRequest, cursor: &str) -> String {
    let kept: Vec<&str> = req
        .query_string()
        .split('&')
        .filter(|pair| !pair.is_empty() && !pair.starts_with("cursor="))
        .collect();
    let mut url = format!("/devices?cursor={cursor}");
    for pair in kept {
        url.push('&');
        url.push_str(pair);
    }
    url
}

#[derive(Debug)]
struct HistoryRow {
    day: String,
    sessions: i64,
    with_errors: i64,
    selected: String,
    used: String,
}

#[derive(Template)]
#[template(path = "device.html")]
struct DevicePage {
    chrome: Chrome,
    row: DeviceRow,
    group_id: i64,
    enrolled: bool,
    passphrase: Permit,
    passphrase_at: String,
    manage: Permit,
    settings_form: String,
    history: Vec<HistoryRow>,
}

#[derive(Template)]
#[template(path = "device_settings.html")]
struct SettingsForm {
    device_id: i64,
    version: i64,
    profiles: Vec<OptionalChoice>,
    policies: Vec<OptionalChoice>,
    allowed: bool,
    problems: Problems,
    saved: bool,
}

#[derive(Debug)]
struct OptionalChoice {
    id: i64,
    name: String,
    selected: bool,
}

async fn device_in_scope(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
) -> Result<(Device, Group), ConsoleError> {
    let who = viewer.caller.clone();
    let found = state
        .read(move |c| {
            let device = devices::get(c, &who.scope, DeviceId(id))?;
            let group = who.group(c, device.group_id, Action::ViewDevices)?;
            Ok((device, group))
        })
        .await?;
    Ok(found)
}

async fn settings_form(
    state: &AppState,
    viewer: &Viewer,
    device: &Device,
    group: &Group,
    problems: Problems,
    saved: bool,
) -> Result<SettingsForm, ConsoleError> {
    let (who, owner) = (viewer.caller.clone(), group.clone());
    let request = crate::routes::page_request(Some(500), None)?;
    let (profiles, policies) = state
        .read(move |c| {
            let profiles = if who.authorize(Action::ViewProfiles, &owner).is_ok() {
                settings::usable_by(c, SettingKind::Profile, &owner, &request)?.items
            } else {
                Vec::new()
            };
            let policies = if who.authorize(Action::ViewRetentionPolicies, &owner).is_ok() {
                settings::usable_by(c, SettingKind::RetentionPolicy, &owner, &request)?.items
            } else {
                Vec::new()
            };
            Ok((profiles, policies))
        })
        .await?;
    let options = |list: Vec<settings::Setting>, current: Option<i64>| {
        list.into_iter()
            .map(|s| OptionalChoice {
                selected: Some(s.id) == current,
                id: s.id,
                name: s.name,
            })
            .collect()
    };
    Ok(SettingsForm {
        device_id: device.id.0,
        version: device.version,
        profiles: options(profiles, device.profile_id),
        policies: options(policies, device.retention_policy_id),
        allowed: viewer.may(Action::ManageDevices, group).allowed,
        problems,
        saved,
    })
}

/// `GET /devices/{id}`: a device, its settings and its history.
pub async fn detail(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<i64>,
) -> Result<HttpResponse, ConsoleError> {
    let (device, group) = device_in_scope(&state, &viewer, id.into_inner()).await?;
    let now = tenantry_storage::now();
    let target = device.clone();
    let since = (now - Duration::days(STRIP_DAYS - 1)).date_naive();
    let (history, recent) = state
        .read(move |c| {
            let history = devices::history(c, &target)?;
            let recent = devices::recent_days(c, &[target.id], since)?;
            Ok((history, recent))
        })
        .await?;
    let form = settings_form(&state, &viewer, &device, &group, Problems::default(), false).await?;
    let recent = recent.get(&device.id).map_or(&[][..], Vec::as_slice);
    page::html(&DevicePage {
        chrome: Chrome::new(&viewer, device.name.clone(), "devices", &group),
        group_id: group.id.0,
        enrolled: device.enrolled,
        passphrase: viewer.may(Action::GeneratePassphrases, &group),
        passphrase_at: device
            .passphrase_at
            .map(|at| format::ago(at, now))
            .unwrap_or_default(),
        manage: viewer.may(Action::ManageDevices, &group),
        settings_form: page::fragment(&form)?,
        history: history
            .iter()
            .rev()
            .map(|d| HistoryRow {
                day: d.day.to_string(),
                sessions: d.sessions,
                with_errors: d.sessions_with_errors,
                selected: format::bytes(d.selected_bytes),
                used: format::bytes(d.used_bytes),
            })
            .collect(),
        row: device_row(&device, group.name.clone(), recent, now),
    })
}

#[derive(Template)]
#[template(path = "passphrase.html")]
struct PassphraseView {
    passphrase: Option<String>,
    problems: Problems,
}

#[derive(Debug, Default, Deserialize)]
pub struct PassphraseFields {
    /// `yes` once the person confirmed replacing the device's current passphrase.
    #[serde(default)]
    replace: String,
}

/// `POST /devices/{id}/passphrase`: a new passphrase, shown once in the answer. Replacing one
/// takes the confirmation the button asks for (`replace=yes`), as the API takes `replace`.
pub async fn passphrase(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<i64>,
    form: Option<web::Form<PassphraseFields>>,
) -> Result<HttpResponse, ConsoleError> {
    let replace = form.is_some_and(|f| f.replace == "yes");
    let (device, _) = device_in_scope(&state, &viewer, id.into_inner()).await?;
    let view = match device_ops::passphrase(&state, &viewer.caller, device.id, replace).await {
        Ok(body) => PassphraseView {
            passphrase: Some(body.passphrase),
            problems: Problems::default(),
        },
        Err(error) => PassphraseView {
            passphrase: None,
            problems: Problems::from_error(error)?,
        },
    };
    page::html(&view)
}

#[derive(Debug, Deserialize)]
pub struct AssignFields {
    #[serde(default)]
    profile_id: String,
    #[serde(default)]
    retention_policy_id: String,
    version: Option<i64>,
}

fn chosen_id(field: &str, text: &str) -> Result<Option<i64>, ApiError> {
    match text.trim() {
        "" => Ok(None),
        text => text
            .parse()
            .map(Some)
            .map_err(|_| ApiError::invalid_field(field, "choose one of the list")),
    }
}

/// `POST /devices/{id}/settings`: the profile and retention policy the device uses.
pub async fn assign(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<i64>,
    form: web::Form<AssignFields>,
) -> Result<HttpResponse, ConsoleError> {
    let (device, group) = device_in_scope(&state, &viewer, id.into_inner()).await?;
    let fields = form.into_inner();
    let outcome = match (
        chosen_id("profile_id", &fields.profile_id),
        chosen_id("retention_policy_id", &fields.retention_policy_id),
    ) {
        (Ok(profile), Ok(policy)) => {
            let body = UpdateDevice {
                profile_id: profile.map(Some).or(Some(None)),
                // A policy cannot be unset (the default applies only where none was ever set).
                retention_policy_id: policy,
                ..UpdateDevice::default()
            };
            device_ops::update(&state, &viewer.caller, device.id, body, fields.version).await
        }
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    let (device, problems, saved, status) = match outcome {
        Ok(saved) => (saved, Problems::default(), true, StatusCode::OK),
        Err(error) => (
            device,
            Problems::from_error(error)?,
            false,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    };
    let form = settings_form(&state, &viewer, &device, &group, problems, saved).await?;
    page::html_with(status, &form)
}

#[derive(Template)]
#[template(path = "quick_installation.html")]
struct DeploymentPage {
    chrome: Chrome,
    group_id: i64,
    name: String,
    available: Permit,
    enabled: bool,
    edit: Permit,
    panel: String,
}

#[derive(Template)]
#[template(path = "deployment_tokens.html")]
struct TokensPanel {
    group_id: i64,
    rows: Vec<TokenRow>,
    created: Option<String>,
    command: String,
    problems: Problems,
}

#[derive(Debug)]
struct TokenRow {
    id: i64,
    name: String,
    created: String,
    expires: String,
    uses: String,
    revoked: bool,
}

async fn tokens_panel(
    state: &AppState,
    viewer: &Viewer,
    req: &HttpRequest,
    group: &Group,
    created: Option<String>,
    problems: Problems,
) -> Result<TokensPanel, ConsoleError> {
    let listed = deployment_ops::list(state, &viewer.caller, group.id).await?;
    let server = crate::origin::public_base(req, state);
    let command = format!(
        "tenantry device enroll --server {server} --token {}",
        created.as_deref().unwrap_or("<token>")
    );
    Ok(TokensPanel {
        group_id: group.id.0,
        rows: listed
            .into_iter()
            .map(|t| TokenRow {
                id: t.id,
                name: t.name.unwrap_or_default(),
                created: format::date(t.created_at),
                expires: format::date(t.expires_at),
                uses: match t.max_uses {
                    Some(max) => format!("{} of {max}", t.uses),
                    None => t.uses.to_string(),
                },
                revoked: t.revoked_at.is_some(),
            })
            .collect(),
        created,
        command,
        problems,
    })
}

#[derive(Debug, Deserialize)]
pub struct GroupParam {
    group: Option<i64>,
}

/// `GET /quick-installation?group=`: deployment tokens and the command that enrols a machine.
pub async fn deployment_page(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    params: web::Query<GroupParam>,
) -> Result<HttpResponse, ConsoleError> {
    let group = selected(&state, &viewer, params.group).await?;
    let available = viewer.may(Action::DeployDevices, &group);
    let panel = if available.allowed && group.automatic_deployment {
        page::fragment(
            &tokens_panel(&state, &viewer, &req, &group, None, Problems::default()).await?,
        )?
    } else {
        String::new()
    };
    let status = if Module::QuickInstallation.is_available_at(group.level) {
        StatusCode::OK
    } else {
        StatusCode::FORBIDDEN
    };
    page::html_with(
        status,
        &DeploymentPage {
            chrome: Chrome::new(
                &viewer,
                format!("{}: Quick Installation", group.name),
                "quick-installation",
                &group,
            ),
            group_id: group.id.0,
            name: group.name.clone(),
            enabled: group.automatic_deployment,
            edit: viewer.may(Action::EditCustomer, &group),
            available,
            panel,
        },
    )
}

#[derive(Debug, Deserialize)]
pub struct TokenFields {
    #[serde(default)]
    name: String,
    #[serde(default)]
    max_uses: String,
    #[serde(default)]
    days: String,
}

/// `POST /quick-installation?group=`: a new deployment token, shown once.
pub async fn create_deployment_token(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    params: web::Query<GroupParam>,
    form: web::Form<TokenFields>,
) -> Result<HttpResponse, ConsoleError> {
    let group = selected(&state, &viewer, params.group).await?;
    let fields = form.into_inner();
    let body = (|| -> Result<CreateDeploymentToken, ApiError> {
        let max_uses = match fields.max_uses.trim() {
            "" => None,
            text => Some(
                text.parse()
                    .map_err(|_| ApiError::invalid_field("max_uses", "must be a whole number"))?,
            ),
        };
        let expires_at = match fields.days.trim() {
            "" => None,
            text => {
                let days: i64 = text.parse().map_err(|_| {
                    ApiError::invalid_field("expires_at", "must be a number of days")
                })?;
                Some(tenantry_storage::now() + Duration::days(days.clamp(-1, 36_500)))
            }
        };
        Ok(CreateDeploymentToken {
            name: non_empty(&fields.name),
            max_uses,
            expires_at,
        })
    })();
    let outcome = match body {
        Ok(body) => deployment_ops::create(&state, &viewer.caller, group.id, body).await,
        Err(e) => Err(e),
    };
    let (created, problems) = match outcome {
        Ok(created) => (Some(created.token), Problems::default()),
        Err(error) => (None, Problems::from_error(error)?),
    };
    let panel = tokens_panel(&state, &viewer, &req, &group, created, problems).await?;
    page::html(&panel)
}

/// `POST /quick-installation/{token}/revoke?group=`.
pub async fn revoke_deployment_token(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    token: web::Path<i64>,
    params: web::Query<GroupParam>,
) -> Result<HttpResponse, ConsoleError> {
    let group = selected(&state, &viewer, params.group).await?;
    deployment_ops::revoke(&state, &viewer.caller, group.id, token.into_inner()).await?;
    let panel = tokens_panel(&state, &viewer, &req, &group, None, Problems::default()).await?;
    page::html(&panel)
}
