//! The reporting plugin's charts: a group's subtree per day, as JSON, CSV and SVG, from the
//! host's roll-up of devices and their sessions.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tenantry_tests::{TestDatabase, TestServer};

/// A server that rolls today up every second, so that charts catch up within a test.
fn rolling_up() -> TestServer {
    TestServer::start_with(
        TestDatabase::fresh(),
        &[("TENANTRY__STATS__ROLLUP_SECONDS", "1")],
    )
}

pub(super) fn add_device(server: &TestServer, group: i64, name: &str) -> (i64, String) {
    let created = server
        .post(
            &format!("/api/v1/groups/{group}/devices"),
            json!({"name": name, "os": "Linux"}),
        )
        .expect(201);
    let credential = created.body["credential"].as_str().unwrap().to_owned();
    (created.id(), credential)
}

pub(super) fn report(server: &TestServer, device: (i64, String), status: &str, used: i64) {
    let now = chrono::Utc::now();
    server
        .with_token(&device.1)
        .post(
            &format!("/api/v1/devices/{}/sessions", device.0),
            json!({"started_at": (now - chrono::Duration::minutes(30)).to_rfc3339(),
                   "ended_at": now.to_rfc3339(), "status": status,
                   "selected_bytes": used * 2, "used_bytes": used, "files": 10,
                   "errors": i64::from(status != "completed")}),
        )
        .expect(201);
}

/// Today's value of a metric once the roll-up shows `expected` (or the last value seen).
fn today_when(server: &TestServer, group: i64, metric: &str, expected: i64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let chart = server
            .get(&format!("/api/v1/groups/{group}/charts/{metric}"))
            .expect(200);
        let today = chart.body["points"].as_array().unwrap().last().unwrap()["value"].clone();
        if today == expected || Instant::now() > deadline {
            return today;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn charts_follow_the_devices_and_sessions_of_the_whole_subtree() {
    let server = rolling_up();
    let reseller = server.create_group("Chart Reseller", 1, "reseller");
    let customer = server.create_group("Chart Customer", reseller, "end_customer");
    let sibling = server.create_group("Other Reseller", 1, "reseller");
    report(
        &server,
        add_device(&server, customer, "a"),
        "completed",
        1_000_000_000_000,
    );
    report(
        &server,
        add_device(&server, customer, "b"),
        "failed",
        500_000_000_000,
    );
    report(
        &server,
        add_device(&server, reseller, "c"),
        "with_errors",
        250_000_000_000,
    );
    add_device(&server, sibling, "elsewhere");

    assert_eq!(today_when(&server, reseller, "devices", 3), 3);
    assert_eq!(
        today_when(&server, reseller, "used_bytes", 1_750_000_000_000),
        1_750_000_000_000i64
    );
    assert_eq!(
        today_when(&server, reseller, "selected_bytes", 3_500_000_000_000),
        3_500_000_000_000i64
    );
    assert_eq!(today_when(&server, reseller, "sessions_completed", 1), 1);
    assert_eq!(today_when(&server, reseller, "sessions_failed", 1), 1);
    // With errors but not failed: the failed one counts once, as failed.
    assert_eq!(today_when(&server, reseller, "sessions_with_errors", 1), 1);
    assert_eq!(today_when(&server, reseller, "customers", 1), 1);
    assert_eq!(today_when(&server, customer, "devices", 2), 2);
    assert_eq!(today_when(&server, 1, "devices", 4), 4);
    assert_eq!(today_when(&server, 1, "customers", 3), 3);

    // The JSON: every day of the range, days before the first roll-up empty.
    let today = chrono::Utc::now().date_naive();
    let from = today - chrono::Duration::days(6);
    let chart = server
        .get(&format!(
            "/api/v1/groups/{reseller}/charts/used_bytes?from={from}&to={today}"
        ))
        .expect(200);
    assert_eq!(chart.body["metric"], "used_bytes");
    assert_eq!(chart.body["unit"], "bytes");
    assert_eq!(chart.body["group_id"], reseller);
    let points = chart.body["points"].as_array().unwrap();
    assert_eq!(points.len(), 7);
    assert_eq!(points[0]["day"], from.to_string());
    assert_eq!(points[0]["value"], Value::Null);
    assert_eq!(points[6]["value"], 1_750_000_000_000i64);

    // CSV, by Accept or by suffix: the same numbers.
    let csv = server.request(
        "GET",
        &format!("/api/v1/groups/{reseller}/charts/used_bytes?from={from}&to={today}"),
        None,
        &[("Accept", "text/csv")],
    );
    let csv = csv.expect(200);
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    let lines: Vec<&str> = csv.text.lines().collect();
    assert_eq!(lines.len(), 8);
    assert_eq!(lines[0], "day,used_bytes");
    assert_eq!(lines[7], format!("{today},1750000000000"));
    let by_suffix = server
        .get(&format!(
            "/api/v1/groups/{reseller}/charts/used_bytes.csv?from={from}&to={today}"
        ))
        .expect(200);
    assert_eq!(by_suffix.text, csv.text);

    // SVG: a chart titled with the metric and the group, the unit on its axis.
    let svg = server.request(
        "GET",
        &format!("/api/v1/groups/{reseller}/charts/used_bytes"),
        None,
        &[("Accept", "image/svg+xml")],
    );
    let svg = svg.expect(200);
    assert_eq!(svg.header("content-type"), Some("image/svg+xml"));
    assert_eq!(svg.header("x-content-type-options"), Some("nosniff"));
    assert!(svg.text.starts_with("<svg"), "{}", svg.text);
    assert!(
        svg.text.contains("Used storage of Chart Reseller"),
        "{}",
        svg.text
    );
    assert!(svg.text.contains("Used storage (TB)"), "{}", svg.text);
    assert!(
        svg.text.contains("stroke=\"#1F6FEB\""),
        "the default colour: {}",
        svg.text
    );

    // In the group's effective branding colour: the reseller's own, inherited by its customer.
    server
        .put(
            &format!("/api/v1/groups/{reseller}/branding"),
            json!({"main_color": "#aa3311"}),
        )
        .expect(200);
    for group in [reseller, customer] {
        let branded = server
            .get(&format!("/api/v1/groups/{group}/charts/devices.svg"))
            .expect(200);
        assert!(
            branded.text.contains("stroke=\"#AA3311\""),
            "{}",
            branded.text
        );
    }
    let elsewhere = server
        .get(&format!("/api/v1/groups/{sibling}/charts/devices.svg"))
        .expect(200);
    assert!(!elsewhere.text.contains("#AA3311"), "{}", elsewhere.text);
}

#[test]
fn bad_metrics_and_ranges_are_refused() {
    let server = TestServer::start();
    let base = "/api/v1/groups/1/charts";
    server
        .get(&format!("{base}/bandwidth"))
        .expect_error(404, "not_found");
    for query in [
        "from=2026-03-02&to=2026-03-01",
        "from=2024-01-01&to=2026-01-01",
        "from=2026-02-30",
        "to=tomorrow",
    ] {
        let reply = server.get(&format!("{base}/devices?{query}"));
        reply.expect_error(422, "validation_failed");
    }
    // Every account type may read charts, at every level (Historical charts is everywhere).
    let site = server.create_group("Chart Site", 1, "site");
    let (_, supporter) = server.create_user(site, "help@site.example", "supporter", false);
    server
        .with_token(&supporter)
        .get(&format!("/api/v1/groups/{site}/charts/devices"))
        .expect(200);
}
