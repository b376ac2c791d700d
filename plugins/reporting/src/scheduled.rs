//! The scheduled reports' routes: list, create, read, replace and remove a group's reports, run
//! one now, and read the history of its messages.

use chrono::Utc;
use tenantry_plugin_api::{
    Host, HttpAnswer, HttpRequest, ListRecords, PluginError, Record, Route, Value, json,
};

use crate::definition::{self, COLLECTION, Definition};
use crate::delivery;
use crate::report::Period;
use crate::schemas;

const LIST: &str = "/groups/{id}/scheduled-reports";
const ONE: &str = "/groups/{id}/scheduled-reports/{rid}";
const RUN: &str = "/groups/{id}/scheduled-reports/{rid}/run";
const RUNS: &str = "/groups/{id}/scheduled-reports/{rid}/runs";
const ENABLE: &str = "/groups/{id}/scheduled-reports/{rid}/enable";
const DISABLE: &str = "/groups/{id}/scheduled-reports/{rid}/disable";

pub fn routes() -> Vec<Route> {
    let route = |method: &str, path: &str, action: &str, summary: &str, json: bool| {
        let route = Route {
            // Defining answers 201, running now 202 (queued), removing 204.
            success: Some(match (method, path) {
                ("POST", RUN) => 202,
                ("POST", ENABLE | DISABLE) => 200,
                ("POST", _) => 201,
                ("DELETE", _) => 204,
                _ => 200,
            }),
            ..Route::new(method, path, action, summary)
        };
        if json {
            route.json_body(schemas::definition_input()).example(json!({
                "title": "Usage", "kind": "usage",
                "recipients": {"emails": ["reports@example.com"]},
                "schedule": {"frequency": "weekly", "weekday": "monday", "at": "08:00",
                             "time_zone": "Europe/Amsterdam"},
            }))
        } else {
            route
        }
    };
    let (view, manage) = ("view_scheduled_reports", "manage_scheduled_reports");
    vec![
        route(
            "GET",
            LIST,
            view,
            "The group's scheduled reports, by next run",
            false,
        )
        .paged(schemas::definition()),
        route(
            "POST",
            LIST,
            manage,
            "Define a scheduled report: title, kind (device_summary, usage, errors), schedule \
             (daily/weekly/monthly at HH:MM in a time zone), recipients (emails and/or a CRM \
             contact type), format (csv, html), enabled",
            true,
        )
        .returns(schemas::definition())
        .creates("rid"),
        route("GET", ONE, view, "A scheduled report", false).returns(schemas::definition()),
        route(
            "PUT",
            ONE,
            manage,
            "Replace a scheduled report's definition",
            true,
        )
        .returns(schemas::definition()),
        route("DELETE", ONE, manage, "Remove a scheduled report", false),
        route(
            "POST",
            RUN,
            manage,
            "Run the report now (its period up to today) and queue its message",
            false,
        )
        .returns(schemas::message()),
        route(
            "GET",
            RUNS,
            view,
            "The report's messages, newest first: when, to whom, outcome, attempts",
            false,
        )
        .paged(schemas::message()),
        route(
            "POST",
            ENABLE,
            manage,
            "Enable the report: it runs again on its schedule",
            false,
        )
        .returns(schemas::definition()),
        route(
            "POST",
            DISABLE,
            manage,
            "Disable the report: it keeps its definition and does not run",
            false,
        )
        .returns(schemas::definition()),
    ]
}

/// A report as the API shows it, with what came of its last run: the message's outcome (sent,
/// pending with its attempts, failed with the error), or none before its first run.
fn shown(host: &Host, record: &Record) -> Result<Value, PluginError> {
    let mut view = definition::view(record)?;
    let last = host.mail_history(record.group_id, &delivery::source(record.id), None, 1)?;
    view["last_outcome"] = json!(last.items.first().map(|mail| match mail.status.as_str() {
        "sent" => format!("Sent to {}", mail.to.join(", ")),
        "failed" => format!(
            "Failed: {}",
            mail.last_error.as_deref().unwrap_or("not delivered")
        ),
        _ => format!("Pending (attempt {})", mail.attempts + 1),
    }));
    Ok(view)
}

/// A report's definition replaced, its next run (its sort key) computed again.
fn replace(
    host: &Host,
    record: &Record,
    definition: &Definition,
    now: chrono::DateTime<Utc>,
) -> Result<HttpAnswer, PluginError> {
    let key = definition.sort_key(&definition.schedule()?, now);
    let record = host.put_record(
        record.group_id,
        COLLECTION,
        Some(record.id),
        &key,
        definition.to_value()?,
    )?;
    Ok(HttpAnswer::json(200, definition::view(&record)?))
}

pub fn handles(route: &str) -> bool {
    [LIST, ONE, RUN, RUNS, ENABLE, DISABLE].contains(&route)
}

pub fn http(host: &Host, request: &HttpRequest) -> Result<HttpAnswer, PluginError> {
    let group = request.group.id;
    let now = Utc::now();
    let existing = || -> Result<Record, PluginError> {
        let id = request
            .params
            .get("rid")
            .and_then(Value::as_str)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| PluginError::not_found("scheduled report"))?;
        host.get_record(group, COLLECTION, id)?
            .ok_or_else(|| PluginError::not_found("scheduled report"))
    };
    match (request.method.as_str(), request.route.as_str()) {
        ("GET", LIST) => {
            let (cursor, limit) = request.paging()?;
            let page = host.list_records(ListRecords {
                group_id: group,
                collection: COLLECTION.to_owned(),
                descending: false,
                from: None,
                to: None,
                cursor,
                limit,
            })?;
            let items = page
                .items
                .iter()
                .map(|record| shown(host, record))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(HttpAnswer::page(&page.with_items(items)))
        }
        ("POST", LIST) => {
            let (definition, schedule) = Definition::from_body(request.body.as_ref())?;
            let key = definition.sort_key(&schedule, now);
            let record = host.put_record(group, COLLECTION, None, &key, definition.to_value()?)?;
            Ok(HttpAnswer::json(201, definition::view(&record)?))
        }
        ("GET", ONE) => Ok(HttpAnswer::json(200, shown(host, &existing()?)?)),
        ("PUT", ONE) => {
            let record = existing()?;
            let (definition, _) = Definition::from_body(request.body.as_ref())?;
            replace(host, &record, &definition, now)
        }
        ("DELETE", ONE) => {
            let record = existing()?;
            host.delete_record(group, COLLECTION, record.id)?;
            Ok(HttpAnswer::no_content())
        }
        ("POST", RUN) => {
            let record = existing()?;
            let definition = Definition::of(&record)?;
            // From the last scheduled run to today (in the report's own calendar): what the
            // next message would say so far.
            let schedule = definition.schedule()?;
            let period = Period {
                from: schedule.local_date(schedule.previous_before(now)),
                to: schedule.local_date(now),
            };
            let mail = delivery::run(host, &record, &definition, period)?;
            Ok(HttpAnswer::json(202, json!(mail)))
        }
        ("POST", ENABLE | DISABLE) => {
            let record = existing()?;
            let mut definition = Definition::of(&record)?;
            definition.enabled = request.route == ENABLE;
            replace(host, &record, &definition, now)
        }
        ("GET", RUNS) => {
            let record = existing()?;
            let (cursor, limit) = request.paging()?;
            let page = host.mail_history(group, &delivery::source(record.id), cursor, limit)?;
            Ok(HttpAnswer::json(200, page.body()))
        }
        _ => Err(PluginError::not_found("route")),
    }
}
