//! Scheduled reports, end to end: defined through the API, run by the server's own clock or on
//! demand, and delivered to a real SMTP server on 127.0.0.1 (`SmtpSink`), with the history of
//! every message; due reports sent once however many slots were missed and however many servers
//! share the database.

use std::time::Duration;

use serde_json::{Value, json};
use tenantry_domain::GroupId;
use tenantry_storage::plugin_records::{self, Collection};
use tenantry_tests::{SmtpSink, TestDatabase, TestServer, attachment};

use super::reporting::{add_device, report};
use crate::groups::delete::storage_of;
use crate::isolation::png;

const WAIT: Duration = Duration::from_secs(30);

/// A server that mails through `sink`, ticks every second and retries a failed message after a
/// second.
fn mailing(database: TestDatabase, sink: &SmtpSink) -> TestServer {
    start(database, &mail_env(sink))
}

fn mail_env(sink: &SmtpSink) -> Vec<(&'static str, String)> {
    vec![
        ("TENANTRY__MAIL__SMTP_URL", sink.url()),
        ("TENANTRY__MAIL__POLL_SECONDS", "1".to_owned()),
        ("TENANTRY__MAIL__RETRY_BASE_SECONDS", "1".to_owned()),
        ("TENANTRY__PLUGINS__TICK_SECONDS", "1".to_owned()),
    ]
}

fn start(database: TestDatabase, env: &[(&'static str, String)]) -> TestServer {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    TestServer::start_with(database, &env)
}

fn definition(title: &str, kind: &str, emails: &[&str]) -> Value {
    json!({
        "title": title,
        "kind": kind,
        "schedule": {"frequency": "daily", "at": "07:00", "time_zone": "Europe/Berlin"},
        "recipients": {"emails": emails},
    })
}

/// The report's messages, once the newest is no longer pending (or the last answer seen).
fn runs_when_settled(server: &TestServer, group: i64, report: i64) -> Vec<Value> {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let runs = server
            .get(&format!(
                "/api/v1/groups/{group}/scheduled-reports/{report}/runs"
            ))
            .expect(200);
        let items = runs.body["items"].as_array().cloned().unwrap_or_default();
        let settled = items
            .first()
            .is_some_and(|m| m["status"] != "pending" || m["attempts"].as_i64() > Some(0));
        if settled || std::time::Instant::now() > deadline {
            return items;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Makes a report due as if the server had been down since `ago`: its next run is put back.
fn make_due(server: &TestServer, group: i64, report: i64, ago: chrono::Duration) {
    let storage = storage_of(server);
    let collection = Collection {
        plugin: "reporting",
        group: GroupId(group),
        name: "scheduled-reports",
    };
    let record = storage
        .read(|c| plugin_records::get(c, collection, report))
        .unwrap()
        .unwrap();
    let past = (chrono::Utc::now() - ago).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    storage
        .write(|w| {
            plugin_records::put(
                w,
                collection,
                Some(report),
                None,
                &past,
                &record.data,
                tenantry_storage::now(),
            )
        })
        .unwrap();
}

#[test]
fn reports_are_defined_checked_changed_and_removed() {
    let server = TestServer::start();
    let msp = server.create_group("Report MSP", 1, "reseller");
    let base = format!("/api/v1/groups/{msp}/scheduled-reports");

    for (body, field) in [
        (definition(" ", "usage", &["a@msp.example"]), "title"),
        (
            definition("t", "usage", &["not an address"]),
            "recipients.emails",
        ),
        (definition("t", "usage", &[]), "recipients"),
        (
            json!({"title": "t", "kind": "usage", "recipients": {"emails": ["a@msp.example"]},
                   "schedule": {"frequency": "monthly", "at": "07:00", "time_zone": "UTC"}}),
            "day",
        ),
        (
            json!({"title": "t", "kind": "usage", "recipients": {"emails": ["a@msp.example"]},
                   "schedule": {"frequency": "daily", "at": "07:00", "time_zone": "Europe/Nowhere"}}),
            "time_zone",
        ),
    ] {
        let refused = server
            .post(&base, body)
            .expect_error(422, "validation_failed");
        assert_eq!(
            refused.body["errors"][0]["field"], field,
            "{}",
            refused.body
        );
    }

    let created = server
        .post(
            &base,
            json!({"title": "Weekly errors", "kind": "errors", "format": "html",
                   "schedule": {"frequency": "weekly", "weekday": "Monday", "at": "08:30",
                                "time_zone": "America/New_York"},
                   "recipients": {"emails": ["noc@msp.example"], "contact_type": "technical"}}),
        )
        .expect(201);
    let id = created.id();
    assert_eq!(created.body["schedule"]["weekday"], "monday");
    assert_eq!(created.body["enabled"], true);
    let next: chrono::DateTime<chrono::Utc> = created.body["next_run_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(next > chrono::Utc::now());
    let local = next.with_timezone(&chrono_tz::America::New_York);
    assert_eq!(local.format("%A %H:%M").to_string(), "Monday 08:30");

    let listed = server.get(&base).expect(200);
    assert_eq!(listed.body["items"][0]["id"], id);

    let mut disabled = definition("Weekly errors", "errors", &["noc@msp.example"]);
    disabled["enabled"] = json!(false);
    let changed = server.put(&format!("{base}/{id}"), disabled).expect(200);
    assert_eq!(changed.body["next_run_at"], Value::Null);
    assert_eq!(changed.body["recipients"]["contact_type"], Value::Null);

    server.delete(&format!("{base}/{id}")).expect(204);
    server
        .get(&format!("{base}/{id}"))
        .expect_error(404, "not_found");
    server
        .post(&format!("{base}/{id}/run"), json!(null))
        .expect_error(404, "not_found");
}

#[test]
fn a_report_run_now_reaches_its_recipients_with_the_numbers_of_the_api() {
    let sink = SmtpSink::start();
    let server = mailing(TestDatabase::fresh(), &sink);
    let msp = server.create_group("Mail MSP", 1, "reseller");
    let customer = server.create_group("Mail Customer", msp, "end_customer");
    let elsewhere = server.create_group("Not In Report", 1, "reseller");
    report(
        &server,
        add_device(&server, customer, "db-server"),
        "completed",
        3_000_000_000,
    );
    report(
        &server,
        add_device(&server, msp, "laptop"),
        "failed",
        1_500_000_000,
    );
    report(
        &server,
        add_device(&server, elsewhere, "foreign"),
        "completed",
        9,
    );
    server
        .post(
            &format!("/api/v1/groups/{msp}/contacts"),
            json!({"name": "Bill", "type": "billing", "email": "bill@msp.example"}),
        )
        .expect(201);
    server
        .post(
            &format!("/api/v1/groups/{msp}/contacts"),
            json!({"name": "Tech", "type": "technical", "email": "tech@msp.example"}),
        )
        .expect(201);
    let created = server
        .post(
            &format!("/api/v1/groups/{msp}/scheduled-reports"),
            json!({"title": "Monthly usage", "kind": "usage", "format": "csv",
                   "schedule": {"frequency": "monthly", "day": 1, "at": "06:00", "time_zone": "UTC"},
                   "recipients": {"emails": ["ops@msp.example", "BILL@msp.example"],
                                  "contact_type": "billing"}}),
        )
        .expect(201);
    let id = created.id();
    // The reseller's logo heads its report, carried inline in the message.
    server
        .with_token(&server.token)
        .raw(
            "PUT",
            &format!("/api/v1/groups/{msp}/branding/logo"),
            "image/png",
            &png(),
        )
        .expect(200);

    let queued = server
        .post(
            &format!("/api/v1/groups/{msp}/scheduled-reports/{id}/run"),
            json!(null),
        )
        .expect(202);
    assert_eq!(queued.body["status"], "pending");

    let messages = sink.wait_for(1, WAIT);
    let message = &messages[0];
    // The address given twice (in another case) is sent to once; the technical contact is not.
    let mut to: Vec<String> = message["rcpt_tos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_lowercase())
        .collect();
    to.sort();
    assert_eq!(to, ["bill@msp.example", "ops@msp.example"]);
    let subject = message["subject"].as_str().unwrap();
    assert!(
        subject.starts_with("Monthly usage: Mail MSP ("),
        "{subject}"
    );
    assert_eq!(message["from"], "Tenantry <reports@tenantry.local>");

    // The attachment's numbers are the API's: each device of the subtree, its used size.
    let csv = attachment(message, ".csv").expect("a CSV attachment");
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("customer,device,os,max_used_bytes,max_used_gb,used_bytes")
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    let devices = server
        .get(&format!("/api/v1/groups/{msp}/devices?descendants=true"))
        .expect(200);
    let from_api: Vec<(String, String)> = devices.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["name"].as_str().unwrap().to_owned(),
                d["used_bytes"].to_string(),
            )
        })
        .collect();
    let from_mail: Vec<(String, String)> = rows
        .iter()
        .map(|r| (r[1].to_owned(), r[5].to_owned()))
        .collect();
    assert_eq!(from_mail, from_api);
    assert_eq!(rows.len(), 2, "only the group's subtree: {csv}");
    let db = rows.iter().find(|r| r[1] == "db-server").unwrap();
    assert_eq!(
        (db[0], db[3], db[4]),
        ("Mail Customer", "3000000000", "3.00")
    );
    let html = message["parts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["content_type"] == "text/html")
        .unwrap();
    assert!(html["content"].as_str().unwrap().contains("4.50 GB"));
    assert!(
        html["content"]
            .as_str()
            .unwrap()
            .contains("src=\"cid:logo\"")
    );
    let logo = message["parts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["content_type"] == "image/png")
        .expect("the logo, inline");
    assert_eq!(logo["content_id"], "<logo>");
    assert_eq!(logo["disposition"], "inline");
    use base64::Engine;
    assert_eq!(
        base64::engine::general_purpose::STANDARD
            .decode(logo["content"].as_str().unwrap())
            .unwrap(),
        png()
    );
    // The body and its image travel together; the CSV beside them, as a file.
    assert_eq!(
        message["structure"],
        json!([
            "multipart/mixed",
            "multipart/related",
            "text/html",
            "image/png",
            "text/csv"
        ])
    );

    let runs = runs_when_settled(&server, msp, id);
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0]["status"], "sent");
    assert_eq!(runs[0]["attempts"], 1);
    assert_eq!(runs[0]["id"], queued.body["id"]);
    assert!(runs[0]["sent_at"].is_string());
}

#[test]
fn a_refused_message_is_retried_with_back_off_and_its_history_shows_it() {
    // The first attempt gets a temporary refusal: the second, a second later, goes through.
    let sink = SmtpSink::start_refusing(1, 451);
    let server = mailing(TestDatabase::fresh(), &sink);
    let runs = run_once(&server, "Retry MSP");
    sink.wait_for(1, WAIT);
    // The sink has the message as soon as the server sent it; the server records that just
    // after (a run that has been tried once counts as settled, so wait for it to leave pending).
    let deadline = std::time::Instant::now() + WAIT;
    let mut latest = runs();
    while latest[0]["status"] == "pending" && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
        latest = runs();
    }
    assert_eq!(latest[0]["status"], "sent");
    assert_eq!(latest[0]["attempts"], 2);

    // A permanent refusal is not retried: the history says why.
    let refusing = SmtpSink::start_refusing(10, 550);
    let server = mailing(TestDatabase::fresh(), &refusing);
    let runs = run_once(&server, "Refused MSP")();
    assert_eq!(runs[0]["status"], "failed", "{runs:?}");
    assert_eq!(runs[0]["attempts"], 1);
    assert!(
        runs[0]["last_error"].as_str().unwrap().contains("550"),
        "{runs:?}"
    );
}

#[test]
fn an_address_the_mail_server_refuses_costs_the_others_nothing() {
    let sink = SmtpSink::start_refusing_domain("gone.example");
    let server = mailing(TestDatabase::fresh(), &sink);
    let group = server.create_group("Partly Refused MSP", 1, "reseller");
    let id = server
        .post(
            &format!("/api/v1/groups/{group}/scheduled-reports"),
            definition(
                "Daily summary",
                "device_summary",
                &["ops@msp.example", "left@gone.example", "boss@msp.example"],
            ),
        )
        .expect(201)
        .id();
    server
        .post(
            &format!("/api/v1/groups/{group}/scheduled-reports/{id}/run"),
            json!(null),
        )
        .expect(202);
    let messages = sink.wait_for(2, WAIT);
    let mut to: Vec<&str> = messages
        .iter()
        .flat_map(|m| m["rcpt_tos"].as_array().unwrap())
        .map(|a| a.as_str().unwrap())
        .collect();
    to.sort();
    assert_eq!(to, ["boss@msp.example", "ops@msp.example"]);
    let runs = runs_when_settled(&server, group, id);
    assert_eq!(runs[0]["status"], "sent", "{runs:?}");
    let note = runs[0]["last_error"].as_str().unwrap_or_default();
    assert!(
        note.contains("left@gone.example") && note.contains("550"),
        "the history names the refused address: {runs:?}"
    );
    assert!(!note.contains("ops@msp.example"), "{runs:?}");
}

/// A new group with a daily summary report, run now; answers a reader of its settled history.
fn run_once<'a>(server: &'a TestServer, group_name: &str) -> impl Fn() -> Vec<Value> + 'a {
    let group = server.create_group(group_name, 1, "reseller");
    let id = server
        .post(
            &format!("/api/v1/groups/{group}/scheduled-reports"),
            definition("Daily summary", "device_summary", &["ops@msp.example"]),
        )
        .expect(201)
        .id();
    server
        .post(
            &format!("/api/v1/groups/{group}/scheduled-reports/{id}/run"),
            json!(null),
        )
        .expect(202);
    move || runs_when_settled(server, group, id)
}

#[test]
fn a_report_due_while_the_server_was_down_is_sent_once_on_start() {
    let sink = SmtpSink::start();
    let mut server = start(TestDatabase::fresh(), &mail_env(&sink));
    let group = server.create_group("Downtime MSP", 1, "reseller");
    let mut html = definition("Daily errors", "errors", &["ops@down.example"]);
    html["format"] = json!("html");
    let id = server
        .post(&format!("/api/v1/groups/{group}/scheduled-reports"), html)
        .expect(201)
        .id();
    assert!(server.terminate());
    // Three daily slots were missed while the server was down.
    make_due(&server, group, id, chrono::Duration::days(3));
    let database = server.into_database();
    let server = start(database, &mail_env(&sink));

    let messages = sink.wait_for(1, WAIT);
    assert!(
        messages[0]["subject"]
            .as_str()
            .unwrap()
            .starts_with("Daily errors: Downtime MSP"),
    );
    // An HTML report: the table in the message, every row in the CSV beside it.
    let parts = messages[0]["parts"].as_array().unwrap();
    assert!(parts.iter().any(
        |p| p["content_type"] == "text/html" && p["content"].as_str().unwrap().contains("<th")
    ));
    assert!(attachment(&messages[0], ".csv").is_some());
    // Several more ticks: nothing more is sent, and the next run is in the future.
    std::thread::sleep(Duration::from_secs(4));
    assert_eq!(sink.messages().len(), 1);
    let shown = server
        .get(&format!("/api/v1/groups/{group}/scheduled-reports/{id}"))
        .expect(200);
    let next: chrono::DateTime<chrono::Utc> =
        shown.body["next_run_at"].as_str().unwrap().parse().unwrap();
    assert!(next > chrono::Utc::now());
}

#[test]
fn two_servers_on_one_database_send_each_due_report_once() {
    // Enough reports that each server's first tick takes a while: started together, the two
    // servers work through the same due reports at the same time.
    const REPORTS: usize = 60;
    let sink = SmtpSink::start();
    let mut setup = TestServer::start();
    let group = setup.create_group("Replica MSP", 1, "reseller");
    for n in 0..REPORTS {
        let id = setup
            .post(
                &format!("/api/v1/groups/{group}/scheduled-reports"),
                definition(
                    &format!("Report {n:02}"),
                    "device_summary",
                    &["ops@replica.example"],
                ),
            )
            .expect(201)
            .id();
        make_due(&setup, group, id, chrono::Duration::hours(2));
    }
    assert!(setup.terminate());
    let database = setup.into_database();
    let env = mail_env(&sink);
    let (first, second) = std::thread::scope(|s| {
        let first = s.spawn(|| start(database.share(), &env));
        let second = s.spawn(|| start(database.share(), &env));
        (first.join().unwrap(), second.join().unwrap())
    });

    sink.wait_for(REPORTS, WAIT);
    std::thread::sleep(Duration::from_secs(3));
    let mut subjects: Vec<String> = sink
        .messages()
        .iter()
        .map(|m| {
            m["subject"]
                .as_str()
                .unwrap()
                .split(':')
                .next()
                .unwrap()
                .to_owned()
        })
        .collect();
    subjects.sort();
    let expected: Vec<String> = (0..REPORTS).map(|n| format!("Report {n:02}")).collect();
    assert_eq!(subjects, expected, "each report exactly once");
    // The servers did meet over the same reports (else this test proved nothing about claims):
    // both sent some, or one lost a claim to the other. SQLite runs one write at a time, and a
    // tick reads what is due inside its write, so there the claim cannot be contested.
    if tenantry_tests::on_postgres() {
        let logs = format!("{}{}", first.log(), second.log());
        let both_sent = [&first, &second]
            .iter()
            .all(|s| s.log().contains("queued as message"));
        assert!(
            both_sent || logs.contains("claimed by another server"),
            "the two servers never competed"
        );
    }
    let listed = second
        .get(&format!(
            "/api/v1/groups/{group}/scheduled-reports?limit=500"
        ))
        .expect(200);
    for report in listed.body["items"].as_array().unwrap() {
        let runs = runs_when_settled(&first, group, report["id"].as_i64().unwrap());
        assert_eq!(runs.len(), 1, "{runs:?}");
        assert_eq!(runs[0]["status"], "sent");
    }
    drop((first, second));
}

#[test]
fn a_run_that_cannot_be_sent_says_why_and_waits_for_its_next_slot() {
    let sink = SmtpSink::start();
    let server = mailing(TestDatabase::fresh(), &sink);
    let group = server.create_group("No Contacts MSP", 1, "reseller");
    // Its recipients are the group's billing contacts, and it has none (yet).
    let id = server
        .post(
            &format!("/api/v1/groups/{group}/scheduled-reports"),
            json!({"title": "Invoice data", "kind": "usage",
                   "schedule": {"frequency": "daily", "at": "07:00", "time_zone": "UTC"},
                   "recipients": {"contact_type": "billing"}}),
        )
        .expect(201)
        .id();
    let path = format!("/api/v1/groups/{group}/scheduled-reports/{id}");
    server
        .post(&format!("{path}/run"), json!(null))
        .expect_error(409, "conflict");
    make_due(&server, group, id, chrono::Duration::hours(1));
    let deadline = std::time::Instant::now() + WAIT;
    let shown = loop {
        let shown = server.get(&path).expect(200);
        if shown.body["last_failure"].is_object() || std::time::Instant::now() > deadline {
            break shown;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(
        shown.body["last_failure"]["message"]
            .as_str()
            .unwrap()
            .contains("no recipients"),
        "{}",
        shown.body
    );
    let next: chrono::DateTime<chrono::Utc> =
        shown.body["next_run_at"].as_str().unwrap().parse().unwrap();
    assert!(next > chrono::Utc::now());
    let runs = server.get(&format!("{path}/runs")).expect(200);
    assert_eq!(runs.body["items"], json!([]));

    // Once there is a billing contact, the next run goes out and the failure is gone.
    server
        .post(
            &format!("/api/v1/groups/{group}/contacts"),
            json!({"name": "Bill", "type": "billing", "email": "bill@nocontacts.example"}),
        )
        .expect(201);
    make_due(&server, group, id, chrono::Duration::hours(1));
    let messages = sink.wait_for(1, WAIT);
    assert_eq!(messages[0]["rcpt_tos"], json!(["bill@nocontacts.example"]));
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let shown = server.get(&path).expect(200);
        if shown.body.get("last_failure").is_none() {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{}", shown.body);
        std::thread::sleep(Duration::from_millis(200));
    }
    // A client sending the field back is told it is the server's.
    let mut body = definition("Invoice data", "usage", &["a@b.example"]);
    body["last_failure"] = json!({"at": "2026-01-01T00:00:00Z", "message": "x"});
    server
        .put(&path, body)
        .expect_error(422, "validation_failed");
}
