//! Overview, the first page after login: for the caller's group and each of its customers, the
//! devices by how their last session went, so a provider sees at once who needs attention.

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use tenantry_domain::{Action, Group, Module};
use tenantry_storage::devices::{self, StatusCounts};
use tenantry_storage::groups;

use super::customers::selected;
use super::page::{self, Chrome, ConsoleError};
use super::viewer::Viewer;
use crate::state::AppState;

/// Customers listed per page.
const PAGE: i64 = 50;
/// A device without a session for this long needs a look.
const RECENT_HOURS: i64 = 24;

#[derive(Debug)]
struct Line {
    id: i64,
    name: String,
    level: &'static str,
    /// The group's own line (its whole subtree) rather than one customer's.
    own: bool,
    counts: StatusCounts,
    attention: bool,
}

#[derive(Template)]
#[template(path = "overview.html")]
struct OverviewPage {
    chrome: Chrome,
    name: String,
    lines: Vec<Line>,
    next: Option<String>,
    has_customers: bool,
}

#[derive(Debug, Deserialize)]
pub struct Params {
    group: Option<i64>,
    cursor: Option<String>,
}

fn line(group: &Group, counts: StatusCounts, own: bool) -> Line {
    Line {
        id: group.id.0,
        name: group.name.clone(),
        level: group.level.label(),
        own,
        attention: counts.failed + counts.with_errors + counts.stale > 0,
        counts,
    }
}

/// `GET /overview`.
pub async fn page(
    state: web::Data<AppState>,
    viewer: Viewer,
    params: web::Query<Params>,
) -> Result<HttpResponse, ConsoleError> {
    let params = params.into_inner();
    let group = selected(&state, &viewer, params.group).await?;
    let request = crate::routes::page_request(Some(PAGE), params.cursor.as_deref())?;
    let since = tenantry_storage::now() - chrono::Duration::hours(RECENT_HOURS);
    let has_customers = Module::Customers.is_available_at(group.level);
    let (who, top) = (viewer.caller.clone(), group.clone());
    let (own, children, next) = state
        .read(move |c| {
            who.authorize(Action::ViewDevices, &top)?;
            let own = devices::status_counts(c, &top, since)?;
            let mut lines = Vec::new();
            let mut next = None;
            if has_customers {
                let page = groups::children(c, &who.scope, &top, &request)?;
                for child in &page.items {
                    lines.push((child.clone(), devices::status_counts(c, child, since)?));
                }
                next = page.next.map(|cursor| cursor.token().to_owned());
            }
            Ok((own, lines, next))
        })
        .await?;
    let mut lines = vec![line(&group, own, true)];
    lines.extend(children.iter().map(|(g, counts)| line(g, *counts, false)));
    page::html(&OverviewPage {
        chrome: Chrome::new(&viewer, "Overview", "overview", &group),
        name: group.name.clone(),
        next: next.map(|cursor| format!("/overview?group={}&cursor={cursor}", group.id)),
        has_customers,
        lines,
    })
}
