use serde_json::json;
use tenantry_tests::{ADMIN_EMAIL, ADMIN_PASSWORD, ROOT_NAME, TestServer};

use super::group_count;

#[test]
fn creates_a_group_with_the_defaults_a_console_uses() {
    let server = TestServer::start();
    let reply = server
        .post(
            "/api/v1/groups",
            json!({"name": "  Acme Backup  ", "parent_id": 1, "level": "sub_distributor"}),
        )
        .expect(201);
    let id = reply.id();
    assert_eq!(
        reply.header("location"),
        Some(format!("/api/v1/groups/{id}").as_str())
    );
    assert_eq!(
        reply.header("etag"),
        Some(format!("\"group-{id}-v1\"").as_str())
    );
    let body = &reply.body;
    assert_eq!(body["name"], "Acme Backup", "names are trimmed");
    assert_eq!(body["parent_id"], 1);
    assert_eq!(body["level"], "sub_distributor");
    assert_eq!(body["service_type"], "all_inclusive");
    assert_eq!(body["state"], "trial");
    assert_eq!(body["automatic_deployment"], false);
    let expires =
        chrono::DateTime::parse_from_rfc3339(body["trial_expires_at"].as_str().unwrap()).unwrap();
    let days = (expires.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_hours() as f64 / 24.0;
    assert!(
        (29.9..=30.0).contains(&days),
        "a default trial lasts 30 days, got {days}"
    );
    assert_eq!(
        server.get(&format!("/api/v1/groups/{id}")).expect(200).body,
        reply.body
    );
}

#[test]
fn takes_every_property_of_the_add_form() {
    let server = TestServer::start();
    let reseller = server
        .post(
            "/api/v1/groups",
            json!({
                "name": "Reseller One", "parent_id": 1, "level": "reseller", "service_type": "software_only",
                "state": "production", "customer_reference": " CRM-0042 ", "automatic_deployment": true
            }),
        )
        .expect(201);
    let body = &reseller.body;
    assert_eq!(
        (body["service_type"].as_str(), body["state"].as_str()),
        (Some("software_only"), Some("production"))
    );
    assert_eq!(body["trial_expires_at"], serde_json::Value::Null);
    assert_eq!(body["customer_reference"], "CRM-0042");
    assert_eq!(body["automatic_deployment"], true);
}

#[test]
fn levels_must_be_strictly_lower_than_the_parent_and_sites_have_no_children() {
    let server = TestServer::start();
    let reseller = server.create_group("R", 1, "reseller");
    let site = server.create_group("S", reseller, "site");
    let before = group_count(&server);
    for (parent, level) in [
        (1, "distributor"),
        (reseller, "reseller"),
        (reseller, "sub_distributor"),
    ] {
        server
            .post("/api/v1/groups", json!({"name": format!("bad {parent} {level}"), "parent_id": parent, "level": level}))
            .expect_error(409, "level_violation");
    }
    // Below a Site there is no Customers module to add a customer with.
    server
        .post(
            "/api/v1/groups",
            json!({"name": "under a site", "parent_id": site, "level": "site"}),
        )
        .expect_error(403, "module_unavailable");
    // Skipping levels is allowed.
    server.create_group("Direct site", 1, "site");
    assert_eq!(group_count(&server), before + 1);
}

#[test]
fn the_parent_must_exist() {
    let server = TestServer::start();
    let reply = server
        .post(
            "/api/v1/groups",
            json!({"name": "Orphan", "parent_id": 999, "level": "reseller"}),
        )
        .expect_error(422, "invalid_parent");
    assert!(reply.body["detail"].as_str().unwrap().contains("999"));
    assert_eq!(group_count(&server), 0);
}

#[test]
fn names_are_unique_whatever_their_case() {
    let server = TestServer::start();
    server.create_group("Acme", 1, "reseller");
    for name in [
        "Acme",
        "ACME",
        " acme ",
        "My company",
        "Ａｃｍｅ",
        "\u{3000}ＡＣＭＥ",
    ] {
        server
            .post(
                "/api/v1/groups",
                json!({"name": name, "parent_id": 1, "level": "reseller"}),
            )
            .expect_error(409, "name_taken");
    }
    // Look-alikes made with invisible characters are refused outright.
    for name in [
        "Acme\u{200b}",
        "\u{200b}",
        "\u{202e}emcA",
        "Ac\u{feff}me",
        "Acme\u{e0041}",
    ] {
        let refused = server
            .post(
                "/api/v1/groups",
                json!({"name": name, "parent_id": 1, "level": "reseller"}),
            )
            .expect_error(422, "validation_failed");
        assert_eq!(refused.body["errors"][0]["field"], "name", "{name:?}");
    }
    assert_eq!(group_count(&server), 1);
    // A full-width name is stored plain, and logging in with either form finds the group.
    let wide = server
        .post(
            "/api/v1/groups",
            json!({"name": "Ｗｉｄｅ Ｃｏ", "parent_id": 1, "level": "reseller"}),
        )
        .expect(201);
    assert_eq!(wide.body["name"], "Wide Co");
    server.login("ＭＹ ＣＯＭＰＡＮＹ", ADMIN_EMAIL, ADMIN_PASSWORD);
    server.login(ROOT_NAME, "ＡＤＭＩＮ＠tenantry.test", ADMIN_PASSWORD);
}

#[test]
fn bad_names_are_refused_with_the_field() {
    let server = TestServer::start();
    for name in [
        String::new(),
        "   ".into(),
        "x".repeat(101),
        "x".repeat(10 * 1024),
        "line\nbreak".into(),
    ] {
        let reply = server
            .post(
                "/api/v1/groups",
                json!({"name": name, "parent_id": 1, "level": "reseller"}),
            )
            .expect_error(422, "validation_failed");
        assert_eq!(reply.body["errors"][0]["field"], "name", "{}", reply.text);
    }
    server.create_group(&"é".repeat(100), 1, "reseller");
}

#[test]
fn malformed_bodies_get_their_own_codes_and_write_nothing() {
    let server = TestServer::start();
    let path = "/api/v1/groups";
    server
        .raw("POST", path, "application/json", "{\"name\": ")
        .expect_error(400, "malformed_request");
    server
        .raw("POST", path, "application/json", "")
        .expect_error(400, "malformed_request");
    server
        .raw(
            "POST",
            path,
            "text/plain",
            r#"{"name":"A","parent_id":1,"level":"reseller"}"#,
        )
        .expect_error(415, "unsupported_media_type");
    let wrong_type = server
        .post(
            path,
            json!({"name": "A", "parent_id": "1", "level": "reseller"}),
        )
        .expect_error(422, "validation_failed");
    assert_eq!(wrong_type.body["errors"][0]["field"], "parent_id");
    let bad_enum = server
        .post(
            path,
            json!({"name": "A", "parent_id": 1, "level": "planet"}),
        )
        .expect_error(422, "validation_failed");
    assert_eq!(bad_enum.body["errors"][0]["field"], "level");
    let unknown = server
        .post(
            path,
            json!({"name": "A", "parent_id": 1, "level": "reseller", "colour": "red"}),
        )
        .expect_error(422, "validation_failed");
    assert!(unknown.text.contains("colour"));
    server
        .post(path, json!({"name": "A", "level": "reseller"}))
        .expect_error(422, "validation_failed");
    server
        .raw("POST", path, "application/json", &"[".repeat(70_000))
        .expect_error(413, "payload_too_large");
    server
        .raw("POST", path, "application/json", &"[".repeat(700_000))
        .expect_error(413, "payload_too_large");
    assert_eq!(group_count(&server), 0);
}

#[test]
fn automatic_deployment_only_where_quick_installation_is_available() {
    let server = TestServer::start();
    server
        .post("/api/v1/groups", json!({"name": "Sub", "parent_id": 1, "level": "sub_distributor", "automatic_deployment": true}))
        .expect_error(403, "module_unavailable");
    let sub = server.create_group("Sub", 1, "sub_distributor");
    server
        .patch(
            &format!("/api/v1/groups/{sub}"),
            json!({"automatic_deployment": true}),
        )
        .expect_error(403, "module_unavailable");
    server
        .patch("/api/v1/groups/1", json!({"automatic_deployment": true}))
        .expect_error(403, "module_unavailable");
    for level in ["reseller", "end_customer", "site"] {
        server
            .post("/api/v1/groups", json!({"name": level, "parent_id": 1, "level": level, "automatic_deployment": true}))
            .expect(201);
    }
}

#[test]
fn trial_expiry_only_for_trials() {
    let server = TestServer::start();
    server
        .post(
            "/api/v1/groups",
            json!({"name": "P", "parent_id": 1, "level": "reseller", "state": "production", "trial_expires_at": "2030-01-01T00:00:00Z"}),
        )
        .expect_error(422, "validation_failed");
    let past = server
        .post(
            "/api/v1/groups",
            json!({"name": "T", "parent_id": 1, "level": "reseller", "trial_expires_at": "2020-01-01T00:00:00Z"}),
        )
        .expect(201);
    assert_eq!(
        past.body["state"], "expired",
        "a trial past its expiry reads expired"
    );
    for date in ["+10000-01-01T00:00:00Z", "1500-01-01T00:00:00Z"] {
        server
            .post("/api/v1/groups", json!({"name": date, "parent_id": 1, "level": "reseller", "trial_expires_at": date}))
            .expect_error(422, "validation_failed");
    }
}
