//! Devices: `/api/v1/groups/{id}/devices` and `/api/v1/devices/{id}`.

use serde_json::json;
use tenantry_tests::TestServer;

fn add(server: &TestServer, group: i64, name: &str, os: &str) -> i64 {
    server
        .post(
            &format!("/api/v1/groups/{group}/devices"),
            json!({"name": name, "os": os}),
        )
        .expect(201)
        .id()
}

fn names(reply: &tenantry_tests::Reply) -> Vec<String> {
    reply.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn devices_are_added_read_changed_moved_and_removed() {
    let server = TestServer::start();
    let acme = server.create_group("Acme", 1, "reseller");
    let other = server.create_group("Other", 1, "reseller");
    let created = server
        .post(
            &format!("/api/v1/groups/{acme}/devices"),
            json!({"name": " pc-01 ", "os": "Windows 11"}),
        )
        .expect(201);
    let id = created.id();
    assert_eq!(
        created.header("location"),
        Some(format!("/api/v1/devices/{id}").as_str())
    );
    assert_eq!(created.body["name"], "pc-01");
    assert_eq!(created.body["status"], serde_json::Value::Null);
    assert_eq!(created.body["enrolled"], false);
    let read = server.get(&format!("/api/v1/devices/{id}")).expect(200);
    let etag = read.header("etag").unwrap().to_owned();
    let moved = server
        .request(
            "PATCH",
            &format!("/api/v1/devices/{id}"),
            Some(&json!({"name": "pc-01b", "group_id": other})),
            &[("If-Match", &etag)],
        )
        .expect(200);
    assert_eq!(moved.body["group_id"], other);
    assert_eq!(moved.body["name"], "pc-01b");
    server
        .request(
            "DELETE",
            &format!("/api/v1/devices/{id}"),
            None,
            &[("If-Match", &etag)],
        )
        .expect_error(412, "precondition_failed");
    server
        .patch(
            &format!("/api/v1/devices/{id}"),
            json!({"group_id": 999_999}),
        )
        .expect_error(422, "validation_failed");
    server
        .post(
            &format!("/api/v1/groups/{acme}/devices"),
            json!({"name": "", "os": "Linux"}),
        )
        .expect_error(422, "validation_failed");
    server.delete(&format!("/api/v1/devices/{id}")).expect(204);
    server
        .get(&format!("/api/v1/devices/{id}"))
        .expect_error(404, "not_found");
}

#[test]
fn a_group_with_devices_stays_until_they_go() {
    let server = TestServer::start();
    let acme = server.create_group("Acme", 1, "reseller");
    let pc = add(&server, acme, "pc", "Linux");
    let refused = server
        .delete(&format!("/api/v1/groups/{acme}"))
        .expect_error(409, "group_not_empty");
    assert_eq!(refused.body["devices"], 1);
    server.delete(&format!("/api/v1/devices/{pc}")).expect(204);
    server.delete(&format!("/api/v1/groups/{acme}")).expect(204);
}

#[test]
fn listings_cover_a_group_or_its_subtree_with_filters_and_pages() {
    let server = TestServer::start();
    let reseller = server.create_group("Reseller", 1, "reseller");
    let customer = server.create_group("Customer", reseller, "end_customer");
    add(&server, reseller, "office-pc", "Windows 11");
    add(&server, customer, "Laptop-Ann", "Ubuntu 24.04");
    add(&server, customer, "laptop-bob", "Windows 11");
    let own = server
        .get(&format!("/api/v1/groups/{reseller}/devices"))
        .expect(200);
    assert_eq!(names(&own), ["office-pc"]);
    let all = server
        .get(&format!(
            "/api/v1/groups/{reseller}/devices?descendants=true"
        ))
        .expect(200);
    assert_eq!(names(&all), ["office-pc", "Laptop-Ann", "laptop-bob"]);
    let laptops = server
        .get(&format!(
            "/api/v1/groups/{reseller}/devices?descendants=true&name=LAPTOP"
        ))
        .expect(200);
    assert_eq!(names(&laptops), ["Laptop-Ann", "laptop-bob"]);
    let windows = server
        .get(&format!(
            "/api/v1/groups/{reseller}/devices?descendants=true&os=Windows%2011"
        ))
        .expect(200);
    assert_eq!(names(&windows), ["office-pc", "laptop-bob"]);
    // A control character in a filter is the client's mistake on both backends (PostgreSQL once
    // answered 500 to NUL), refused before any query.
    for filter in ["os=a%00", "name=%00", "name=lap%0Atop"] {
        let refused = server
            .get(&format!(
                "/api/v1/groups/{reseller}/devices?descendants=true&{filter}"
            ))
            .expect_error(422, "validation_failed");
        let field = filter.split('=').next().unwrap();
        assert_eq!(refused.body["errors"][0]["field"], field, "{filter}");
    }
    let never = server
        .get(&format!(
            "/api/v1/groups/{reseller}/devices?descendants=true&status=none&limit=2"
        ))
        .expect(200);
    assert_eq!(never.body["has_more"], true);
    let cursor = never.body["next_cursor"].as_str().unwrap();
    let rest = server
        .get(&format!(
            "/api/v1/groups/{reseller}/devices?descendants=true&status=none&limit=2&cursor={cursor}"
        ))
        .expect(200);
    assert_eq!(names(&rest), ["laptop-bob"]);
    server
        .get(&format!(
            "/api/v1/groups/{reseller}/devices?status=exploded"
        ))
        .expect_error(422, "validation_failed");
    server
        .get(&format!(
            "/api/v1/groups/{reseller}/devices?status=completed"
        ))
        .expect(200);
}

#[test]
fn device_counts_are_each_groups_own_within_the_subtree() {
    let server = TestServer::start();
    let reseller = server.create_group("Count Reseller", 1, "reseller");
    let customer = server.create_group("Count Customer", reseller, "end_customer");
    let empty = server.create_group("Count Empty", reseller, "end_customer");
    let sibling = server.create_group("Count Sibling", 1, "reseller");
    add(&server, reseller, "r1", "Linux");
    add(&server, reseller, "r2", "Linux");
    add(&server, customer, "c1", "Linux");
    add(&server, sibling, "s1", "Linux");
    let counts = server
        .get(&format!("/api/v1/groups/{reseller}/device-counts"))
        .expect(200);
    assert_eq!(
        counts.body["items"],
        json!([{"group_id": reseller, "devices": 2}, {"group_id": customer, "devices": 1}]),
        "the empty customer ({empty}) and the sibling are left out"
    );
}

#[test]
fn superusers_add_superusers_and_managers_manage_everyone_reads() {
    let server = TestServer::start();
    let home = server.create_group("Home", 1, "sub_distributor");
    let acme = server.create_group("Acme", home, "reseller");
    let pc = add(&server, acme, "pc", "Linux");
    // (role, may add, may change and remove)
    for (role, adds, manages) in [
        ("superuser", true, true),
        ("administrator", false, false),
        ("manager", false, true),
        ("operator", false, false),
        ("supporter", false, false),
    ] {
        let (_, token) = server.create_user(home, &format!("{role}@home.example"), role, false);
        let caller = server.with_token(&token);
        caller.get(&format!("/api/v1/devices/{pc}")).expect(200);
        caller
            .get(&format!("/api/v1/groups/{acme}/devices"))
            .expect(200);
        let added = caller.post(
            &format!("/api/v1/groups/{acme}/devices"),
            json!({"name": format!("{role}-pc"), "os": "Linux"}),
        );
        assert_eq!(
            added.status,
            if adds { 201 } else { 403 },
            "{role} adds: {}",
            added.text
        );
        let changed = caller.patch(
            &format!("/api/v1/devices/{pc}"),
            json!({"os": format!("Linux by {role}")}),
        );
        assert_eq!(
            changed.status,
            if manages { 200 } else { 403 },
            "{role} manages: {}",
            changed.text
        );
    }
}

fn session(start: &str, end: &str, status: &str, selected: i64, errors: i64) -> serde_json::Value {
    json!({"started_at": start, "ended_at": end, "status": status,
           "selected_bytes": selected, "used_bytes": selected / 2, "files": 10, "errors": errors})
}

#[test]
fn devices_report_sessions_with_their_own_credential() {
    let server = TestServer::start();
    let reseller = server.create_group("Reseller", 1, "reseller");
    let customer = server.create_group("Customer", reseller, "end_customer");
    let created = server
        .post(
            &format!("/api/v1/groups/{customer}/devices"),
            json!({"name": "pc", "os": "Linux"}),
        )
        .expect(201);
    let id = created.id();
    let credential = created.body["credential"].as_str().unwrap().to_owned();
    assert!(credential.starts_with("tdv_"));
    assert!(
        !server
            .get(&format!("/api/v1/devices/{id}"))
            .expect(200)
            .text
            .contains(&credential),
        "shown once"
    );
    let device = server.with_token(&credential);
    let path = format!("/api/v1/devices/{id}/sessions");
    device
        .post(
            &path,
            session(
                "2026-03-01T10:00:00Z",
                "2026-03-01T11:00:00Z",
                "completed",
                1000,
                0,
            ),
        )
        .expect(201);
    device
        .post(
            &path,
            session(
                "2026-03-01T20:00:00Z",
                "2026-03-01T21:00:00Z",
                "with_errors",
                1200,
                3,
            ),
        )
        .expect(201);
    // A late report of an older session counts in history but does not roll the state back.
    let latest = device
        .post(
            &path,
            session(
                "2026-02-27T10:00:00Z",
                "2026-02-27T11:00:00Z",
                "failed",
                900,
                1,
            ),
        )
        .expect(201);
    assert_eq!(latest.body["status"], "with_errors");
    assert_eq!(latest.body["selected_bytes"], 1200);
    assert_eq!(latest.body["last_session_at"], "2026-03-01T21:00:00Z");

    // The reseller above sees it; the day rows count every session.
    let (_, reseller_admin) =
        server.create_user(reseller, "boss@reseller.example", "supporter", false);
    let above = server.with_token(&reseller_admin);
    let listed = above
        .get(&format!(
            "/api/v1/groups/{reseller}/devices?descendants=true&status=with_errors"
        ))
        .expect(200);
    assert_eq!(listed.body["items"][0]["id"], id);
    let history = above
        .get(&format!("/api/v1/devices/{id}/history"))
        .expect(200);
    assert_eq!(
        history.body["days"],
        json!([
            {"day": "2026-02-27", "sessions": 1, "sessions_with_errors": 1, "selected_bytes": 900, "used_bytes": 450},
            {"day": "2026-03-01", "sessions": 2, "sessions_with_errors": 1, "selected_bytes": 1200, "used_bytes": 600},
        ])
    );
    // A sibling reseller sees none of it.
    let sibling = server.create_group("Sibling", 1, "reseller");
    let (_, sibling_admin) =
        server.create_user(sibling, "boss@sibling.example", "superuser", false);
    server
        .with_token(&sibling_admin)
        .get(&format!("/api/v1/devices/{id}/history"))
        .expect_error(404, "not_found");
}

#[test]
fn bad_reports_and_foreign_credentials_are_refused() {
    let server = TestServer::start();
    let acme = server.create_group("Acme", 1, "reseller");
    let mine = server
        .post(
            &format!("/api/v1/groups/{acme}/devices"),
            json!({"name": "a", "os": "Linux"}),
        )
        .expect(201);
    let other = server
        .post(
            &format!("/api/v1/groups/{acme}/devices"),
            json!({"name": "b", "os": "Linux"}),
        )
        .expect(201)
        .id();
    let device = server.with_token(mine.body["credential"].as_str().unwrap());
    let path = format!("/api/v1/devices/{}/sessions", mine.id());
    for (bad, field) in [
        (
            session(
                "2026-03-01T11:00:00Z",
                "2026-03-01T10:00:00Z",
                "completed",
                1,
                0,
            ),
            "ended_at",
        ),
        (
            session(
                "2026-03-01T10:00:00Z",
                "2999-03-01T10:00:00Z",
                "completed",
                1,
                0,
            ),
            "ended_at",
        ),
        (
            session(
                "2026-03-01T10:00:00Z",
                "2026-03-01T11:00:00Z",
                "completed",
                -5,
                0,
            ),
            "selected_bytes",
        ),
        (
            session(
                "2026-03-01T10:00:00Z",
                "2026-03-01T11:00:00Z",
                "completed",
                1 << 60,
                0,
            ),
            "selected_bytes",
        ),
    ] {
        let reply = device
            .post(&path, bad)
            .expect_error(422, "validation_failed");
        assert_eq!(reply.body["errors"][0]["field"], field);
    }
    device
        .post(
            &path,
            json!({"started_at": "2026-03-01T10:00:00Z", "ended_at": "2026-03-01T11:00:00Z",
                            "status": "exploded", "selected_bytes": 1, "used_bytes": 1}),
        )
        .expect_error(422, "validation_failed");
    // Its credential speaks for itself only; a user's token is no device credential.
    device
        .post(
            &format!("/api/v1/devices/{other}/sessions"),
            session(
                "2026-03-01T10:00:00Z",
                "2026-03-01T11:00:00Z",
                "completed",
                1,
                0,
            ),
        )
        .expect_error(404, "not_found");
    server
        .post(
            &path,
            session(
                "2026-03-01T10:00:00Z",
                "2026-03-01T11:00:00Z",
                "completed",
                1,
                0,
            ),
        )
        .expect_error(401, "unauthenticated");
    assert_eq!(
        server
            .get(&format!("/api/v1/devices/{}", mine.id()))
            .expect(200)
            .body["status"],
        serde_json::Value::Null,
        "nothing was recorded"
    );
}

#[test]
fn security_officers_generate_passphrases_where_the_level_allows() {
    let server = TestServer::start();
    let sub = server.create_group("Sub", 1, "sub_distributor");
    let reseller = server.create_group("Reseller", sub, "reseller");
    let high = add(&server, sub, "sub-pc", "Linux");
    let low = add(&server, reseller, "reseller-pc", "Linux");
    // The bootstrap SuperUser is a Security Officer.
    let made = server
        .post(&format!("/api/v1/devices/{low}/passphrase"), json!({}))
        .expect(201);
    let passphrase = made.body["passphrase"].as_str().unwrap().to_owned();
    assert_eq!(passphrase.len(), 24);
    let device = server.get(&format!("/api/v1/devices/{low}")).expect(200);
    assert_eq!(device.body["passphrase_by"], 1);
    assert!(device.body["passphrase_at"].is_string());
    assert!(!device.text.contains(&passphrase), "shown only once");
    server
        .post(&format!("/api/v1/devices/{high}/passphrase"), json!({}))
        .expect_error(403, "module_unavailable");
    let (_, plain) = server.create_user(1, "plain@example.com", "superuser", false);
    server
        .with_token(&plain)
        .post(&format!("/api/v1/devices/{low}/passphrase"), json!({}))
        .expect_error(403, "forbidden");
    let (_, officer) = server.create_user(1, "officer@example.com", "operator", true);
    let officer = server.with_token(&officer);
    // A device keeps its passphrase unless told to replace it: backups made with it can only be
    // restored with it.
    let refused = officer
        .post(&format!("/api/v1/devices/{low}/passphrase"), json!({}))
        .expect_error(409, "conflict");
    assert!(refused.text.contains("replace"), "{}", refused.text);
    // No body at all, or `null` (what the OpenAPI document allows), reads as `{}`.
    officer
        .post(
            &format!("/api/v1/devices/{low}/passphrase"),
            serde_json::Value::Null,
        )
        .expect_error(409, "conflict");
    officer
        .request("POST", &format!("/api/v1/devices/{low}/passphrase"), None)
        .expect_error(409, "conflict");
    officer
        .post(
            &format!("/api/v1/devices/{low}/passphrase"),
            json!({"replace": "yes please"}),
        )
        .expect_error(422, "validation_failed");
    let replaced = officer
        .post(
            &format!("/api/v1/devices/{low}/passphrase"),
            json!({"replace": true}),
        )
        .expect(201);
    assert_ne!(replaced.body["passphrase"], made.body["passphrase"]);
    let device = server.get(&format!("/api/v1/devices/{low}")).expect(200);
    assert_ne!(device.body["passphrase_by"], 1);
}

/// Every page of a listing, following cursors `limit` devices at a time.
fn all_pages(server: &TestServer, query: &str, limit: usize) -> Vec<String> {
    let mut found = Vec::new();
    let mut cursor = String::new();
    for _ in 0..100 {
        let page = server
            .get(&format!("{query}&limit={limit}{cursor}"))
            .expect(200);
        found.extend(names(&page));
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => return found,
        }
    }
    panic!("{query}: the cursors go round in circles: {found:?}");
}

#[test]
fn listings_sort_and_filter_by_last_session_through_every_page() {
    let server = TestServer::start();
    let reseller = server.create_group("Reseller", 1, "reseller");
    let customer = server.create_group("Customer", reseller, "end_customer");
    let site = server.create_group("Site", customer, "site");
    let now = chrono::Utc::now();
    // (group, name, hours since its last session and the size it reported)
    let fleet = [
        (reseller, "bravo", Some((30, 200))),
        (customer, "Alpha", Some((2, 600))),
        (site, "charlie", None),
        (reseller, "delta", Some((50, 400))),
        (customer, "echo", None),
    ];
    for (group, name, last) in fleet {
        let created = server
            .post(
                &format!("/api/v1/groups/{group}/devices"),
                json!({"name": name, "os": "Linux"}),
            )
            .expect(201);
        let Some((hours, selected)) = last else {
            continue;
        };
        let ended = now - chrono::Duration::hours(hours);
        let started = ended - chrono::Duration::minutes(30);
        server
            .with_token(created.body["credential"].as_str().unwrap())
            .post(
                &format!("/api/v1/devices/{}/sessions", created.id()),
                session(
                    &started.to_rfc3339(),
                    &ended.to_rfc3339(),
                    "completed",
                    selected,
                    0,
                ),
            )
            .expect(201);
    }
    let list = |query: &str| format!("/api/v1/groups/{reseller}/devices?descendants=true{query}");
    let orders = [
        // By group in tree order (the reseller's, the customer's, the site's), then by id.
        ("", vec!["bravo", "delta", "Alpha", "echo", "charlie"]),
        (
            "&sort=tree",
            vec!["bravo", "delta", "Alpha", "echo", "charlie"],
        ),
        (
            "&sort=name",
            vec!["Alpha", "bravo", "charlie", "delta", "echo"],
        ),
        (
            "&sort=-name",
            vec!["echo", "delta", "charlie", "bravo", "Alpha"],
        ),
        // Used storage is half the selection here; ties (never reported: 0) by id.
        (
            "&sort=used_bytes",
            vec!["charlie", "echo", "bravo", "delta", "Alpha"],
        ),
        (
            "&sort=-used_bytes",
            vec!["Alpha", "delta", "bravo", "echo", "charlie"],
        ),
        // The devices to worry about first: never reported, then the longest ago.
        (
            "&sort=last_session_at",
            vec!["charlie", "echo", "delta", "bravo", "Alpha"],
        ),
        (
            "&sort=-last_session_at",
            vec!["Alpha", "bravo", "delta", "echo", "charlie"],
        ),
        (
            "&sort=name&last_session_older_than_hours=24",
            vec!["bravo", "charlie", "delta", "echo"],
        ),
        ("&sort=name&last_session_within_hours=24", vec!["Alpha"]),
        (
            "&sort=name&last_session_within_hours=40",
            vec!["Alpha", "bravo"],
        ),
        (
            "&sort=-last_session_at&last_session_older_than_hours=40",
            vec!["delta", "echo", "charlie"],
        ),
    ];
    for (query, expected) in orders {
        for limit in [1, 2, 500] {
            assert_eq!(
                all_pages(&server, &list(query), limit),
                expected,
                "{query} {limit} at a time"
            );
        }
    }

    // A cursor belongs to its order; bad orders and ages are refused.
    let by_name = server.get(&list("&sort=name&limit=1")).expect(200);
    let cursor = by_name.body["next_cursor"].as_str().unwrap();
    server
        .get(&list(&format!("&sort=used_bytes&cursor={cursor}")))
        .expect_error(422, "validation_failed");
    for bad in [
        "&sort=id",
        "&sort=-tree",
        "&sort=",
        "&last_session_older_than_hours=0",
        "&last_session_within_hours=87601",
        "&last_session_within_hours=soon",
    ] {
        server
            .get(&list(bad))
            .expect_error(422, "validation_failed");
    }
}
