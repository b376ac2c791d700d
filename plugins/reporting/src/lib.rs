//! The reporting plugin: historical charts of a group's whole subtree, per day — devices, sizes,
//! session outcomes, customers — as JSON, CSV or an SVG picture; and scheduled reports (device
//! summary, usage for billing, errors) mailed as CSV or HTML on a schedule in the report's own
//! time zone. Chart numbers are the host's daily roll-up (`DailyStats`), so a chart costs the
//! same over a site and over a distributor with a million devices. Pictures and messages are in
//! the group's effective branding.

mod brand;
mod chart;
mod definition;
mod delivery;
mod panels;
mod report;
mod schedule;
mod scheduled;
mod schemas;
mod series;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use tenantry_plugin_api::{
    ActionSpec, Host, HttpAnswer, HttpRequest, Manifest, Plugin, PluginError, Route, TickAnswer,
    TickCall, Value, export_plugin,
};

use series::{Days, Metric, Series};

#[derive(Debug, Default)]
pub struct Reporting;

/// How a chart is answered: by the metric's suffix (`used_bytes.svg`), else by `Accept`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Json,
    Csv,
    Svg,
}

fn format_of(metric: &str, accept: Option<&str>) -> (String, Format) {
    for (suffix, format) in [
        (".svg", Format::Svg),
        (".csv", Format::Csv),
        (".json", Format::Json),
    ] {
        if let Some(name) = metric.strip_suffix(suffix) {
            return (name.to_owned(), format);
        }
    }
    let accept = accept.unwrap_or_default().to_ascii_lowercase();
    let format = if accept.contains("image/svg+xml") {
        Format::Svg
    } else if accept.contains("text/csv") {
        Format::Csv
    } else {
        Format::Json
    };
    (metric.to_owned(), format)
}

fn bytes(content_type: &str, body: &[u8]) -> HttpAnswer {
    HttpAnswer {
        status: 200,
        body: Value::Null,
        body_base64: Some(BASE64.encode(body)),
        content_type: Some(content_type.to_owned()),
    }
}

impl Plugin for Reporting {
    fn manifest(&self) -> Manifest {
        Manifest {
            themes: false,
            panels: panels::panels(),
            name: "reporting".to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            hooks: vec![],
            routes: [Route::new(
                "GET",
                "/groups/{id}/charts/{metric}",
                "view_charts",
                "A metric of the group's subtree per day, ?from=&to= (YYYY-MM-DD) or ?days= (the \
                 last N days): JSON, text/csv or image/svg+xml (by Accept, or a .csv/.svg suffix)",
            )
            .path_param(
                "metric",
                tenantry_plugin_api::json!({"type": "string", "pattern": format!(
                    "^({})(\\.csv|\\.svg)?$",
                    Metric::ALL.map(Metric::name).join("|")
                )}),
            )
            .query(
                "from",
                tenantry_plugin_api::json!({"type": "string", "format": "date"}),
            )
            .query(
                "to",
                tenantry_plugin_api::json!({"type": "string", "format": "date"}),
            )
            .query(
                "days",
                tenantry_plugin_api::json!({"type": "string", "pattern": "^[0-9]{1,3}$"}),
            )
            .returns(schemas::series())
            .answers_as("text/csv")
            .answers_as("image/svg+xml")]
            .into_iter()
            .chain(scheduled::routes())
            .collect(),
            ticks: true,
            actions: vec![
                ActionSpec::new(
                    "view_charts",
                    "supporter",
                    "Read a subtree's historical charts",
                )
                .in_module("historical_charts"),
                ActionSpec::new(
                    "view_scheduled_reports",
                    "supporter",
                    "Read a group's scheduled reports and their messages",
                )
                .in_module("scheduled_reports"),
                ActionSpec::new(
                    "manage_scheduled_reports",
                    "manager",
                    "Define, change, remove and run scheduled reports (they go to people outside \
                     the console: not for Operators and Supporters)",
                )
                .in_module("scheduled_reports"),
            ],
            module: None,
        }
    }

    fn tick(&self, host: &Host, call: &TickCall) -> Result<TickAnswer, PluginError> {
        let now = chrono::DateTime::parse_from_rfc3339(&call.now)
            .map_err(|e| PluginError::internal(format!("the host's time is unreadable: {e}")))?;
        delivery::tick(host, now.with_timezone(&chrono::Utc))
    }

    fn http(&self, host: &Host, request: &HttpRequest) -> Result<HttpAnswer, PluginError> {
        if scheduled::handles(&request.route) {
            return scheduled::http(host, request);
        }
        let raw = request
            .params
            .get("metric")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let (name, format) = format_of(raw, request.accept.as_deref());
        let metric = Metric::parse(&name).ok_or_else(|| PluginError::not_found("metric"))?;
        let query = |key: &str| request.query.get(key).and_then(Value::as_str);
        let today = chrono::Utc::now().date_naive();
        let days = Days::parse(query("from"), query("to"), query("days"), today)?;
        let day = |d: chrono::NaiveDate| d.format("%Y-%m-%d").to_string();
        let stats = host.daily_stats(request.group.id, &day(days.from), &day(days.to))?;
        let series = Series::new(metric, days, &stats);
        Ok(match format {
            Format::Json => HttpAnswer::json(200, series.json(request.group.id)),
            Format::Csv => bytes("text/csv; charset=utf-8", series.csv().as_bytes()),
            Format::Svg => {
                let colour = brand::colour(host, request.group.id)?;
                let svg = chart::svg(&series, &request.group.name, colour)
                    .map_err(PluginError::internal)?;
                bytes("image/svg+xml", svg.as_bytes())
            }
        })
    }
}

export_plugin!(Reporting);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_format_comes_from_the_suffix_then_accept() {
        assert_eq!(
            format_of("devices.svg", None),
            ("devices".into(), Format::Svg)
        );
        assert_eq!(
            format_of("devices.csv", Some("image/svg+xml")),
            ("devices".into(), Format::Csv)
        );
        assert_eq!(
            format_of("devices", Some("image/svg+xml, */*")),
            ("devices".into(), Format::Svg)
        );
        assert_eq!(
            format_of("devices", Some("text/csv")),
            ("devices".into(), Format::Csv)
        );
        assert_eq!(format_of("devices", None), ("devices".into(), Format::Json));
    }
}
