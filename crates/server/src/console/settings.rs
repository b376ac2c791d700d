//! Backup profiles and retention policies: those a customer may use (its own, and its
//! ancestors' shown locked), and the forms that add, edit and remove its own. Every read and
//! change is the API's own (`routes::settings`).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use tenantry_api_types::SettingBody;
use tenantry_domain::{
    Action, DomainError, Group, ProfileSettings, RetentionSettings, Schedule, SettingKind,
};

use super::customers::{group_in_scope, selected, selected_for};
use super::page::{self, Chrome, ConsoleError, FormPage, Problems};
use super::viewer::{Permit, Viewer};
use crate::error::ApiError;
use crate::routes::settings as setting_ops;
use crate::state::AppState;

/// Settings listed per kind (a group rarely has more; the rest are a page away in the API).
const LIMIT: i64 = 200;

const DATA_SOURCES: [(&str, &str); 9] = [
    ("files_and_folders", "Files and folders"),
    ("system_state", "System state"),
    ("ms_sql", "MS SQL"),
    ("exchange", "Exchange"),
    ("vmware", "VMware"),
    ("hyper_v", "Hyper-V"),
    ("network_shares", "Network shares"),
    ("mysql", "MySQL"),
    ("oracle", "Oracle"),
];

const DAYS: [(&str, &str); 7] = [
    ("mon", "Mon"),
    ("tue", "Tue"),
    ("wed", "Wed"),
    ("thu", "Thu"),
    ("fri", "Fri"),
    ("sat", "Sat"),
    ("sun", "Sun"),
];

fn kind_of(path: &str) -> SettingKind {
    if path.starts_with("/profiles") {
        SettingKind::Profile
    } else {
        SettingKind::RetentionPolicy
    }
}

fn base(kind: SettingKind) -> &'static str {
    match kind {
        SettingKind::Profile => "/profiles",
        SettingKind::RetentionPolicy => "/retention-policies",
    }
}

#[derive(Debug)]
struct Line {
    name: String,
    summary: String,
    locked: bool,
    default: bool,
    edit_href: String,
}

fn summary(kind: SettingKind, body: &SettingBody) -> String {
    match kind {
        SettingKind::Profile => {
            match serde_json::from_value::<ProfileSettings>(body.settings.clone()) {
                Ok(p) => {
                    let sources: Vec<&str> = p
                        .data_sources
                        .iter()
                        .map(|s| {
                            DATA_SOURCES
                                .iter()
                                .find(|(k, _)| k == s)
                                .map_or(s.as_str(), |(_, l)| l)
                        })
                        .collect();
                    let when = match &p.schedule {
                        Schedule::Hourly { every_hours } => format!("every {every_hours} h"),
                        Schedule::Daily { at } => format!("daily at {at}"),
                        Schedule::Weekly { days, at } => {
                            let days: Vec<&str> = days
                                .iter()
                                .map(|d| {
                                    DAYS.iter()
                                        .find(|(k, _)| k == d)
                                        .map_or(d.as_str(), |(_, l)| l)
                                })
                                .collect();
                            format!("{} at {at}", days.join(", "))
                        }
                    };
                    format!("{} · {when}", sources.join(", "))
                }
                Err(_) => String::new(),
            }
        }
        SettingKind::RetentionPolicy => {
            match serde_json::from_value::<RetentionSettings>(body.settings.clone()) {
                Ok(r) => format!(
                    "{} intra-daily · {} daily · {} weekly · {} monthly · {} yearly",
                    r.intra_daily, r.daily, r.weekly, r.monthly, r.yearly
                ),
                Err(_) => String::new(),
            }
        }
    }
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    chrome: Chrome,
    group_id: i64,
    name: String,
    profiles: Vec<Line>,
    policies: Vec<Line>,
    manage_profiles: Permit,
    manage_policies: Permit,
}

#[derive(Debug, Deserialize)]
pub struct GroupParam {
    group: Option<i64>,
    notice: Option<String>,
}

async fn lines(
    state: &AppState,
    viewer: &Viewer,
    group: &Group,
    kind: SettingKind,
) -> Result<Vec<Line>, ConsoleError> {
    let view = setting_ops::actions(kind).0;
    if viewer.caller.authorize(view, group).is_err() {
        return Ok(Vec::new());
    }
    let request = crate::routes::page_request(Some(LIMIT), None)?;
    let listed = setting_ops::listed(state, &viewer.caller, kind, group.id, request).await?;
    Ok(listed
        .items
        .iter()
        .map(|s| Line {
            name: s.name.clone(),
            summary: summary(kind, s),
            locked: s.locked,
            default: s.default,
            edit_href: format!("{}/{}/edit?group={}", base(kind), s.id, group.id),
        })
        .collect())
}

/// `GET /settings?group=`: the profiles and policies a customer may use.
pub async fn page(
    state: web::Data<AppState>,
    viewer: Viewer,
    params: web::Query<GroupParam>,
) -> Result<HttpResponse, ConsoleError> {
    let group = selected(&state, &viewer, params.group).await?;
    let profiles = lines(&state, &viewer, &group, SettingKind::Profile).await?;
    let policies = lines(&state, &viewer, &group, SettingKind::RetentionPolicy).await?;
    page::html(&SettingsPage {
        chrome: Chrome::new(
            &viewer,
            format!("{}: profiles and policies", group.name),
            "settings",
            &group,
        )
        .with_notice(params.notice.as_deref()),
        group_id: group.id.0,
        name: group.name.clone(),
        profiles,
        policies,
        manage_profiles: viewer.may(Action::ManageProfiles, &group),
        manage_policies: viewer.may(Action::ManageRetentionPolicies, &group),
    })
}

/// A checkbox or option of the form.
#[derive(Debug)]
struct Tick {
    value: &'static str,
    label: &'static str,
    on: bool,
}

fn ticks(options: &[(&'static str, &'static str)], on: &[String]) -> Vec<Tick> {
    options
        .iter()
        .map(|(value, label)| Tick {
            value,
            label,
            on: on.iter().any(|o| o == value),
        })
        .collect()
}

/// What the form holds, as typed.
#[derive(Debug, Default, Clone)]
struct Fields {
    name: String,
    data_sources: Vec<String>,
    include: String,
    exclude: String,
    frequency: String,
    every_hours: String,
    at: String,
    days: Vec<String>,
    counts: [String; 5],
    version: Option<i64>,
}

const PERIODS: [(&str, &str); 5] = [
    ("intra_daily", "Intra-daily versions"),
    ("daily", "Daily versions"),
    ("weekly", "Weekly versions"),
    ("monthly", "Monthly versions"),
    ("yearly", "Yearly versions"),
];

impl Fields {
    fn from_form(pairs: Vec<(String, String)>) -> Fields {
        let mut f = Fields::default();
        for (key, value) in pairs {
            match key.as_str() {
                "name" => f.name = value,
                "data_sources" => f.data_sources.push(value),
                "include" => f.include = value,
                "exclude" => f.exclude = value,
                "frequency" => f.frequency = value,
                "every_hours" => f.every_hours = value,
                "at" => f.at = value,
                "days" => f.days.push(value),
                "version" => f.version = value.parse().ok(),
                other => {
                    if let Some(i) = PERIODS.iter().position(|(k, _)| *k == other) {
                        f.counts[i] = value;
                    }
                }
            }
        }
        f
    }

    fn from_setting(kind: SettingKind, body: &SettingBody) -> Fields {
        let mut f = Fields {
            name: body.name.clone(),
            version: Some(body.version),
            ..Fields::default()
        };
        match kind {
            SettingKind::Profile => {
                if let Ok(p) = serde_json::from_value::<ProfileSettings>(body.settings.clone()) {
                    f.data_sources = p.data_sources;
                    f.include = p.include.join("\n");
                    f.exclude = p.exclude.join("\n");
                    match p.schedule {
                        Schedule::Hourly { every_hours } => {
                            f.frequency = "hourly".into();
                            f.every_hours = every_hours.to_string();
                        }
                        Schedule::Daily { at } => {
                            f.frequency = "daily".into();
                            f.at = at;
                        }
                        Schedule::Weekly { days, at } => {
                            f.frequency = "weekly".into();
                            f.days = days;
                            f.at = at;
                        }
                    }
                }
            }
            SettingKind::RetentionPolicy => {
                if let Ok(r) = serde_json::from_value::<RetentionSettings>(body.settings.clone()) {
                    f.counts = [r.intra_daily, r.daily, r.weekly, r.monthly, r.yearly]
                        .map(|n| n.to_string());
                }
            }
        }
        f
    }

    fn blank(kind: SettingKind) -> Fields {
        match kind {
            SettingKind::Profile => Fields {
                data_sources: vec!["files_and_folders".into()],
                frequency: "daily".into(),
                at: "22:00".into(),
                every_hours: "4".into(),
                ..Fields::default()
            },
            SettingKind::RetentionPolicy => {
                let d = RetentionSettings::DEFAULT;
                Fields {
                    counts: [d.intra_daily, d.daily, d.weekly, d.monthly, d.yearly]
                        .map(|n| n.to_string()),
                    ..Fields::default()
                }
            }
        }
    }

    /// The settings as the API takes them, validated by the domain, as stored JSON.
    fn settings_json(&self, kind: SettingKind) -> Result<String, ApiError> {
        let lines = |text: &str| -> Vec<String> {
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect()
        };
        let json = match kind {
            SettingKind::Profile => {
                let schedule = match self.frequency.as_str() {
                    "hourly" => Schedule::Hourly {
                        every_hours: self.every_hours.trim().parse().map_err(|_| {
                            DomainError::invalid("schedule.every_hours", "must be 1 to 24")
                        })?,
                    },
                    "weekly" => Schedule::Weekly {
                        days: self.days.clone(),
                        at: self.at.trim().to_owned(),
                    },
                    _ => Schedule::Daily {
                        at: self.at.trim().to_owned(),
                    },
                };
                let profile = ProfileSettings {
                    data_sources: self.data_sources.clone(),
                    include: lines(&self.include),
                    exclude: lines(&self.exclude),
                    schedule,
                }
                .validated()?;
                serde_json::to_string(&profile)
            }
            SettingKind::RetentionPolicy => {
                let mut counts = [0u32; 5];
                for (i, text) in self.counts.iter().enumerate() {
                    counts[i] = match text.trim() {
                        "" => 0,
                        t => t.parse().map_err(|_| {
                            DomainError::invalid(PERIODS[i].0, "must be a whole number")
                        })?,
                    };
                }
                let [intra_daily, daily, weekly, monthly, yearly] = counts;
                let policy = RetentionSettings {
                    intra_daily,
                    daily,
                    weekly,
                    monthly,
                    yearly,
                }
                .validated()?;
                serde_json::to_string(&policy)
            }
        };
        json.map_err(ApiError::internal)
    }
}

#[derive(Template)]
#[template(path = "setting_form.html")]
struct SettingForm {
    action: String,
    profile: bool,
    name: String,
    version: Option<i64>,
    sources: Vec<Tick>,
    include: String,
    exclude: String,
    frequencies: Vec<Tick>,
    every_hours: String,
    at: String,
    days: Vec<Tick>,
    periods: Vec<(&'static str, &'static str, String)>,
    problems: Problems,
}

impl SettingForm {
    fn new(kind: SettingKind, action: String, f: Fields, problems: Problems) -> SettingForm {
        SettingForm {
            action,
            profile: kind == SettingKind::Profile,
            sources: ticks(&DATA_SOURCES, &f.data_sources),
            frequencies: ticks(
                &[
                    ("hourly", "Every few hours"),
                    ("daily", "Daily"),
                    ("weekly", "Weekly"),
                ],
                std::slice::from_ref(&f.frequency),
            ),
            days: ticks(&DAYS, &f.days),
            periods: PERIODS
                .iter()
                .zip(f.counts.iter())
                .map(|((key, label), value)| (*key, *label, value.clone()))
                .collect(),
            name: f.name,
            version: f.version,
            include: f.include,
            exclude: f.exclude,
            every_hours: f.every_hours,
            at: f.at,
            problems,
        }
    }
}

fn noun(kind: SettingKind) -> &'static str {
    match kind {
        SettingKind::Profile => "backup profile",
        SettingKind::RetentionPolicy => "retention policy",
    }
}

/// `GET /profiles/new?group=` and `/retention-policies/new?group=`.
pub async fn new_form(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: actix_web::HttpRequest,
    params: web::Query<GroupParam>,
) -> Result<HttpResponse, ConsoleError> {
    let kind = kind_of(req.path());
    let group = selected_for(&state, &viewer, params.group, setting_ops::actions(kind).1).await?;
    let action = format!("{}/new?group={}", base(kind), group.id);
    let form = SettingForm::new(kind, action, Fields::blank(kind), Problems::default());
    page::html(&FormPage {
        chrome: Chrome::new(&viewer, format!("Add {}", noun(kind)), "settings", &group),
        heading: format!("Add a {} to {}", noun(kind), group.name),
        intro: format!(
            "{} and every customer below it may use it; they see it locked.",
            group.name
        ),
        form: page::fragment(&form)?,
        back: format!("/settings?group={}", group.id),
    })
}

/// `POST /profiles/new?group=` and `/retention-policies/new?group=`.
pub async fn create(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: actix_web::HttpRequest,
    params: web::Query<GroupParam>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, ConsoleError> {
    let kind = kind_of(req.path());
    let group = selected(&state, &viewer, params.group).await?;
    let fields = Fields::from_form(form.into_inner());
    let outcome = match fields.settings_json(kind) {
        Ok(json) => setting_ops::created(
            &state,
            &viewer.caller,
            kind,
            group.id,
            fields.name.clone(),
            json,
        )
        .await
        .map(|_| ()),
        Err(e) => Err(e),
    };
    match outcome {
        Ok(()) => Ok(page::go_to(&format!(
            "/settings?group={}&notice=setting-added",
            group.id
        ))),
        Err(error) => page::html_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            &SettingForm::new(
                kind,
                format!("{}/new?group={}", base(kind), group.id),
                fields,
                Problems::from_error(error)?,
            ),
        ),
    }
}

/// A setting the caller may see, with the group whose page it is shown on.
async fn target(
    state: &AppState,
    viewer: &Viewer,
    kind: SettingKind,
    id: i64,
) -> Result<(SettingBody, Group), ConsoleError> {
    let who = viewer.caller.clone();
    let (setting, own) = state
        .read(move |c| setting_ops::viewed(c, &who, kind, id))
        .await?;
    let owner = if own {
        group_in_scope(state, viewer, setting.group_id).await?
    } else {
        viewer.group.clone()
    };
    let body = setting_ops::body(kind, setting, own, !own).map_err(ApiError::from)?;
    Ok((body, owner))
}

/// `GET /profiles/{id}/edit` and `/retention-policies/{id}/edit`.
pub async fn edit_form(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: actix_web::HttpRequest,
    id: web::Path<i64>,
) -> Result<HttpResponse, ConsoleError> {
    let kind = kind_of(req.path());
    let (setting, owner) = target(&state, &viewer, kind, id.into_inner()).await?;
    if setting.locked {
        return Err(DomainError::Forbidden {
            message: format!(
                "this {} belongs to a customer above you (or is the installation's default): it is read only",
                noun(kind)
            ),
        }
        .into());
    }
    viewer
        .caller
        .authorize(setting_ops::actions(kind).1, &owner)?;
    let action = format!("{}/{}/edit", base(kind), setting.id);
    let form = SettingForm::new(
        kind,
        action,
        Fields::from_setting(kind, &setting),
        Problems::default(),
    );
    page::html(&EditPage {
        chrome: Chrome::new(
            &viewer,
            format!("Edit {}", setting.name),
            "settings",
            &owner,
        ),
        heading: format!("Edit {}", setting.name),
        form: page::fragment(&form)?,
        back: format!("/settings?group={}", owner.id),
        remove: format!("{}/{}/remove", base(kind), setting.id),
        noun: noun(kind),
        version: setting.version,
    })
}

#[derive(Template)]
#[template(path = "setting_edit.html")]
struct EditPage {
    chrome: Chrome,
    heading: String,
    form: String,
    back: String,
    remove: String,
    noun: &'static str,
    version: i64,
}

/// `POST /profiles/{id}/edit` and `/retention-policies/{id}/edit`.
pub async fn edit(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: actix_web::HttpRequest,
    id: web::Path<i64>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, ConsoleError> {
    let kind = kind_of(req.path());
    let (setting, owner) = target(&state, &viewer, kind, id.into_inner()).await?;
    let fields = Fields::from_form(form.into_inner());
    let outcome = match fields.settings_json(kind) {
        Ok(json) => setting_ops::changed(
            &state,
            &viewer.caller,
            kind,
            setting.id,
            fields.version,
            Some(fields.name.clone()),
            Some(json),
        )
        .await
        .map(|_| ()),
        Err(e) => Err(e),
    };
    match outcome {
        Ok(()) => Ok(page::go_to(&format!(
            "/settings?group={}&notice=setting-saved",
            owner.id
        ))),
        Err(error) => page::html_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            &SettingForm::new(
                kind,
                format!("{}/{}/edit", base(kind), setting.id),
                fields,
                Problems::from_error(error)?,
            ),
        ),
    }
}

#[derive(Debug, Deserialize)]
pub struct VersionField {
    version: Option<i64>,
}

#[derive(Template)]
#[template(path = "problems_only.html")]
struct ProblemsOnly {
    problems: Problems,
}

/// `POST /profiles/{id}/remove` and `/retention-policies/{id}/remove`.
pub async fn remove(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: actix_web::HttpRequest,
    id: web::Path<i64>,
    form: web::Form<VersionField>,
) -> Result<HttpResponse, ConsoleError> {
    let kind = kind_of(req.path());
    let (setting, owner) = target(&state, &viewer, kind, id.into_inner()).await?;
    match setting_ops::removed(&state, &viewer.caller, kind, setting.id, form.version).await {
        Ok(()) => Ok(page::go_to(&format!(
            "/settings?group={}&notice=setting-removed",
            owner.id
        ))),
        Err(error) => page::html_with(
            StatusCode::CONFLICT,
            &ProblemsOnly {
                problems: Problems::from_error(error)?,
            },
        ),
    }
}
