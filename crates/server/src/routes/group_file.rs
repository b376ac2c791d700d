//! A customer tree as a file: `POST /api/v1/groups/{id}/import` and
//! `GET /api/v1/groups/{id}/export` (the format is in `group_csv.rs`).

use std::sync::Arc;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use tenantry_api_types::{ErrorBody, ImportQuery, ImportReport, ImportedGroup};
use tenantry_domain::{Action, DomainError, FieldError, GroupEvent, GroupId};
use tenantry_plugin_host::api::Hook;
use tenantry_storage::StoreError;
use tenantry_storage::groups::{self, Imported};

use crate::caller::Caller;
use crate::error::ApiError;
use crate::events;
use crate::extract::csv_body;
use crate::group_csv;
use crate::plugins::Reach;
use crate::state::AppState;

/// Creates a whole customer tree below a group from a CSV file, all or nothing. Every row is
/// checked first, and every problem is answered at once, each with its `line`; with
/// `dry_run=true` the import is checked exactly as a real one (in a transaction that is rolled
/// back) and nothing is kept.
///
/// Columns: `name`, `parent` (a group in this group's subtree, or a row above), `level`;
/// optionally `service_type`, `state`, `trial_expires_at`, `customer_reference`,
/// `automatic_deployment` and `company.<field>` for each company profile field. At most 10,000
/// rows; `;`-separated files and a byte order mark are accepted.
#[utoipa::path(
    tag = "groups",
    params(("id" = i64, Path, description = "The group the tree goes under"), ImportQuery),
    request_body(content = String, content_type = "text/csv", description = "The file, with a header row"),
    responses(
        (status = 200, description = "Dry run: what would be created", body = ImportReport),
        (status = 201, description = "Created, in file order", body = ImportReport),
        (status = 404, description = "No such group in the caller's subtree", body = ErrorBody),
        (status = 413, description = "`payload_too_large`", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`: not `text/csv`", body = ErrorBody),
        (status = 422, description = "`validation_failed`: every problem, with its `line`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/groups/{id}/import")]
pub async fn import_groups(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<i64>,
    query: web::Query<ImportQuery>,
    body: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let id = GroupId(id.into_inner());
    // Settled before the file is read: nobody who may not import here makes the server read
    // (and parse) a large body.
    let who = caller.clone();
    state
        .read(move |c| {
            who.group(c, id, Action::CreateCustomer)?;
            Ok(())
        })
        .await?;
    let bytes = csv_body(&req, body).await?;
    let report = import(&state, &caller, id, bytes, query.dry_run).await?;
    Ok(if report.dry_run {
        HttpResponse::Ok().json(report)
    } else {
        HttpResponse::Created().json(report)
    })
}

/// Imports a customer-tree file below a group, all or nothing (or rehearses it): the one way,
/// for the API and the console alike. A file with problems of its own is only ever rehearsed.
pub(crate) async fn import(
    state: &AppState,
    caller: &Caller,
    id: GroupId,
    bytes: web::Bytes,
    dry_run: bool,
) -> Result<ImportReport, ApiError> {
    let file = web::block(move || group_csv::read(&bytes))
        .await
        .map_err(ApiError::internal)??;
    // Lines the file itself spoiled are reported with whatever the other rows' checks find;
    // such an import is only ever rehearsed.
    let dry_run = dry_run || !file.problems.is_empty();
    let now = tenantry_storage::now();
    let trial_days = state.trial_days;
    let who = caller.clone();
    let plugins = Arc::clone(&state.plugins);
    let work = move |w: &mut tenantry_storage::Writer<'_>| {
        let made = groups::import(
            w,
            &who.scope,
            id,
            &file.rows,
            now,
            trial_days,
            |action, g| who.authorize(action, g),
        );
        let made = reported(made, file.problems)?;
        let events: Vec<GroupEvent> = made
            .iter()
            .map(|m| GroupEvent::GroupCreated(m.event.clone()))
            .collect();
        // One call per plugin with every new group, whose writes reach the import's subtree
        // (each new group lies below `{id}`).
        plugins.before_in(w, Hook::BeforeCreate, &events, &who, Reach::Subtree(id))?;
        Ok((made, events))
    };
    let (made, events) = if dry_run {
        state.rehearse(work).await?
    } else {
        state.write(work).await?
    };
    let report = ImportReport {
        dry_run,
        created: made.len(),
        groups: made
            .into_iter()
            .map(|m| ImportedGroup {
                line: m.line,
                id: (!dry_run).then_some(m.group.id.0),
                name: m.group.name,
                level: m.group.level,
                parent_id: m.group.parent_id.filter(|_| !dry_run).map(|p| p.0),
            })
            .collect(),
    };
    if dry_run {
        return Ok(report);
    }
    events::publish(caller, &events);
    // The same after the commit: one transaction per plugin, not one per group.
    state
        .after_hooks_in(Hook::AfterCreate, &events, caller, Some(Reach::Subtree(id)))
        .await;
    Ok(report)
}

/// The most problems one answer lists: enough to fix a file in a few rounds, never megabytes.
const MAX_REPORTED: usize = 200;

/// The import's result with the problems of the file's own lines added, in line order, and at
/// most [`MAX_REPORTED`] of them.
fn reported(
    made: Result<Vec<Imported>, StoreError>,
    mut problems: Vec<FieldError>,
) -> Result<Vec<Imported>, StoreError> {
    match made {
        Ok(made) if problems.is_empty() => return Ok(made),
        Ok(_) => {}
        Err(StoreError::Domain(DomainError::Validation(more))) => problems.extend(more),
        Err(other) => return Err(other),
    }
    problems.sort_by_key(|p| p.line);
    if problems.len() > MAX_REPORTED {
        let hidden = problems.len() - MAX_REPORTED;
        problems.truncate(MAX_REPORTED);
        problems.push(FieldError::new(
            "file",
            format!("and {hidden} more problems; fix these and try again"),
        ));
    }
    Err(DomainError::Validation(problems).into())
}

/// Every group below a group, as the CSV file `import` reads (parents before children), with
/// company profiles. Its top rows name this group as their parent: import the file below a
/// group of that name in another installation to copy the tree there.
#[utoipa::path(
    tag = "groups",
    params(("id" = i64, Path, description = "Group id (its descendants are exported)")),
    responses(
        (status = 200, description = "The file", content_type = "text/csv", body = String),
        (status = 404, description = "No such group in the caller's subtree", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/groups/{id}/export")]
pub async fn export_groups(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = GroupId(id.into_inner());
    let file = export(&state, &caller, id).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"groups-{id}.csv\""),
        ))
        .body(file))
}

/// Every group below a group as the import file (API and console alike).
pub(crate) async fn export(
    state: &AppState,
    caller: &Caller,
    id: GroupId,
) -> Result<Vec<u8>, ApiError> {
    let who = caller.clone();
    let found = state
        .read(move |c| {
            let top = who.group(c, id, Action::ListCustomers)?;
            groups::export(c, &top)
        })
        .await?;
    group_csv::write(&found).map_err(ApiError::internal)
}
