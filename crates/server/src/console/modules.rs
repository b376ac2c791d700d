//! Modules: which of the nine console modules a group's level may use (the newer manual's
//! table, from the domain's one matrix).

use actix_web::{HttpResponse, web};
use askama::Template;
use tenantry_domain::{Level, Module};

use super::customers::group_in_scope;
use super::page::{self, Chrome, ConsoleError};
use super::viewer::Viewer;
use crate::state::AppState;

#[derive(Debug)]
struct ModuleRow {
    title: &'static str,
    available: bool,
    /// The levels where it is available, for the reader who wonders where it would be.
    levels: String,
}

#[derive(Template)]
#[template(path = "modules.html")]
struct ModulesPage {
    chrome: Chrome,
    group_id: i64,
    name: String,
    level: &'static str,
    rows: Vec<ModuleRow>,
}

/// `GET /customers/{id}/modules`.
pub async fn page(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<i64>,
) -> Result<HttpResponse, ConsoleError> {
    let group = group_in_scope(&state, &viewer, id.into_inner()).await?;
    let rows = Module::ALL
        .into_iter()
        .map(|module| ModuleRow {
            title: module.title(),
            available: module.is_available_at(group.level),
            levels: Level::ALL
                .iter()
                .filter(|l| module.is_available_at(**l))
                .map(|l| l.label())
                .collect::<Vec<_>>()
                .join(", "),
        })
        .collect();
    page::html(&ModulesPage {
        chrome: Chrome::new(
            &viewer,
            format!("{}: modules", group.name),
            "customers",
            &group,
        ),
        group_id: group.id.0,
        name: group.name.clone(),
        level: group.level.label(),
        rows,
    })
}
