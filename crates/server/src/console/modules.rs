//! Modules: which console modules a group's level may use: the newer manual's nine (the
//! domain's one matrix), and those the loaded plugins declare.

use actix_web::{HttpResponse, web};
use askama::Template;
use std::sync::Arc;

use tenantry_domain::{Level, Module, ModuleRef};

use super::customers::group_in_scope;
use super::page::{self, Chrome, ConsoleError};
use super::viewer::Viewer;
use crate::state::AppState;

#[derive(Debug)]
struct ModuleRow {
    title: String,
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
    // The manual's modules, then those the loaded plugins declare.
    let modules = Module::ALL.into_iter().map(ModuleRef::Core).chain(
        state
            .plugins
            .declarations
            .modules()
            .iter()
            .map(|m| ModuleRef::Declared(Arc::clone(m))),
    );
    let rows = modules
        .map(|module| ModuleRow {
            title: module.title().to_owned(),
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
