//! The plugin system: loading, refusing to load, hooks that refuse or panic, unknown plugins.

use std::process::Command;

use serde_json::json;
use tenantry_tests::{TestDatabase, TestServer, plugins_dir};

use super::records;
use crate::groups::group_count;

fn with_plugins(enabled: &str) -> TestServer {
    TestServer::start_with(
        TestDatabase::fresh(),
        &[("TENANTRY__PLUGINS__ENABLED", enabled)],
    )
}

#[test]
fn the_default_installation_runs_branding_crm_and_reporting() {
    let server = with_plugins("branding,crm,reporting");
    let list = server.get("/api/v1/plugins").expect(200);
    let names: Vec<&str> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["branding", "crm", "reporting"]);
    let crm = &list.body["items"][1];
    assert_eq!(crm["hooks"], json!(["before_update"]));
    assert!(
        crm["routes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["path"] == "/api/v1/groups/{id}/contacts" && r["method"] == "POST")
    );
    // Their routes are in the published document, like the host's own.
    let doc = server
        .with_token("")
        .get("/api/v1/openapi.json")
        .expect(200);
    assert!(doc.body["paths"]["/api/v1/groups/{id}/branding/effective"]["get"].is_object());
    assert!(doc.body["paths"]["/api/v1/groups/{id}/charts/{metric}"]["get"].is_object());
}

#[test]
fn a_plugin_not_enabled_is_never_loaded_and_its_paths_say_so() {
    // A new installation that never ran branding or reporting: their paths are nothing here.
    let never = with_plugins("crm");
    never
        .get("/api/v1/groups/1/branding")
        .expect_error(404, "not_found");
    // The installation ran them all, then the operator enabled crm alone: their old paths say
    // why they answer nothing (the configuration, not a missing group).
    let all = with_plugins("branding,crm,reporting");
    let database = all.into_database();
    let server = TestServer::start_with(database.share(), &[("TENANTRY__PLUGINS__ENABLED", "crm")]);
    let list = server.get("/api/v1/plugins").expect(200);
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
    for path in [
        "/api/v1/groups/1/branding",
        "/api/v1/groups/1/branding/effective",
    ] {
        server.get(path).expect_error(404, "plugin_not_enabled");
    }
    server
        .put("/api/v1/groups/1/branding", json!({"company_name": "x"}))
        .expect_error(404, "plugin_not_enabled");
    server.get("/api/v1/groups/1/contacts").expect(200);
    server
        .get("/api/v1/groups/1/charts/devices")
        .expect_error(404, "plugin_not_enabled");
    drop(server);
    let none = TestServer::start_with(database.share(), &[("TENANTRY__PLUGINS__ENABLED", "")]);
    none.get("/api/v1/groups/1/contacts")
        .expect_error(404, "plugin_not_enabled");
    none.get("/api/v1/groups/1/contacts/7")
        .expect_error(404, "plugin_not_enabled");
    none.get("/api/v1/groups/1/charts/devices")
        .expect_error(404, "plugin_not_enabled");
    none.get("/api/v1/groups/1/nothing")
        .expect_error(404, "not_found");
}

#[test]
fn start_up_stops_on_a_missing_foreign_or_tampered_plugin() {
    let missing = TestServer::run_to_exit(
        TestDatabase::fresh(),
        &[("TENANTRY__PLUGINS__ENABLED", "branding,nosuch")],
    );
    assert!(
        missing.contains("libtenantry_plugin_nosuch.so") && missing.contains("does not exist"),
        "{missing}"
    );
    let foreign = TestServer::run_to_exit(
        TestDatabase::fresh(),
        &[("TENANTRY__PLUGINS__ENABLED", "wrong-abi")],
    );
    assert!(
        foreign.contains("libtenantry_plugin_wrong_abi.so") && foreign.contains("ABI version"),
        "{foreign}"
    );
    let tampered = TestServer::run_to_exit(
        TestDatabase::fresh(),
        &[("TENANTRY__PLUGINS__SHA256__BRANDING", &"0".repeat(64))],
    );
    assert!(
        tampered.contains("libtenantry_plugin_branding.so") && tampered.contains("SHA-256"),
        "{tampered}"
    );
}

#[test]
fn a_correct_pin_loads() {
    let file = plugins_dir().join("libtenantry_plugin_branding.so");
    let output = Command::new("sha256sum").arg(&file).output().unwrap();
    let digest = String::from_utf8(output.stdout).unwrap();
    let digest = digest.split_whitespace().next().unwrap().to_owned();
    let server = TestServer::start_with(
        TestDatabase::fresh(),
        &[("TENANTRY__PLUGINS__SHA256__BRANDING", &digest)],
    );
    server.get("/api/v1/groups/1/branding").expect(200);
}

#[test]
fn a_panicking_hook_fails_the_request_cleanly_and_writes_nothing() {
    let server = with_plugins("panicky");
    let before = group_count(&server);
    server
        .post(
            "/api/v1/groups",
            json!({"name": "Doomed", "parent_id": 1, "level": "reseller"}),
        )
        .expect_error(500, "plugin_failed");
    assert_eq!(group_count(&server), before, "the create was rolled back");
    server.get("/healthz").expect(200);
    assert!(server.log().contains("panicky"), "the panic is logged");
    // A panicking route fails the same way, and the server carries on.
    server
        .get("/api/v1/groups/1/panic")
        .expect_error(500, "plugin_failed");
    // An after-hook's panic cannot fail a change that is already committed.
    server
        .patch("/api/v1/groups/1", json!({"name": "Renamed Root"}))
        .expect(200);
    assert_eq!(
        server.get("/api/v1/groups/1").expect(200).body["name"],
        "Renamed Root"
    );
}

#[test]
fn a_refusing_hook_leaves_nothing_written() {
    let server = with_plugins("refusing");
    let acme = server.create_group("Acme", 1, "reseller");
    let refused = server
        .delete(&format!("/api/v1/groups/{acme}"))
        .expect_error(409, "plugin_refused");
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap()
            .contains("removals are frozen")
    );
    server.get(&format!("/api/v1/groups/{acme}")).expect(200);
    server
        .patch(
            &format!("/api/v1/groups/{acme}"),
            json!({"name": "Forbidden Acme"}),
        )
        .expect_error(409, "plugin_refused");
    assert_eq!(
        server
            .get(&format!("/api/v1/groups/{acme}"))
            .expect(200)
            .body["name"],
        "Acme"
    );
    // The plugin's own records, written before it refused, went with the refusals: only the
    // one of the create is left.
    assert_eq!(records(&server, "refusing", acme, "seen"), 1);
    server
        .patch(
            &format!("/api/v1/groups/{acme}"),
            json!({"name": "Acme Two"}),
        )
        .expect(200);
    assert_eq!(records(&server, "refusing", acme, "seen"), 2);
}

#[test]
fn an_import_calls_the_hooks_of_each_group_and_a_refusal_undoes_it_all() {
    let server = with_plugins("refusing");
    let top = server.create_group("Top", 1, "sub_distributor");
    let import = |file: &str| {
        server.with_token(&server.token).raw(
            "POST",
            &format!("/api/v1/groups/{top}/import"),
            "text/csv",
            file.as_bytes(),
        )
    };
    let before = group_count(&server);
    let refused = import("name,parent,level\nFine,Top,reseller\nForbidden Fruit,Fine,site\n")
        .expect_error(409, "plugin_refused");
    assert!(refused.text.contains("not allowed"), "{}", refused.text);
    assert_eq!(
        group_count(&server),
        before,
        "nothing of the import is left"
    );
    // Each new group's hook reaches that group (not only the first of the file).
    let made =
        import("name,parent,level\nA,Top,reseller\nB,A,end_customer\nC,B,site\n").expect(201);
    for group in made.body["groups"].as_array().unwrap() {
        let id = group["id"].as_i64().unwrap();
        assert_eq!(records(&server, "refusing", id, "seen"), 1, "{group}");
    }
}

/// An import hands its new groups to each plugin in one call before the commit and one after
/// (one transaction each way), not one per group: a 10,000-row file no longer makes 10,000
/// transactions per plugin before it answers. Each group still gets what its hook writes.
#[test]
fn an_import_delivers_its_groups_to_each_plugin_in_one_call_each_way() {
    let server = TestServer::start_with(
        TestDatabase::fresh(),
        &[
            ("TENANTRY__PLUGINS__ENABLED", "refusing"),
            // The test plugin then also hooks `after_create` (see its manifest).
            ("REFUSING_AFTER_CREATE", "1"),
        ],
    );
    let top = server.create_group("Batch Top", 1, "sub_distributor");
    let calls = |hook: &str| -> u64 {
        let metrics = server
            .request("GET", "/metrics", None, &[("Authorization", "")])
            .expect(200)
            .text;
        let line = format!(
            "tenantry_plugin_call_duration_seconds_count{{plugin=\"refusing\",call=\"{hook}\"}} "
        );
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(&line))
            .map_or(0, |n| n.trim().parse().unwrap())
    };
    let (before, after) = (calls("before_create"), calls("after_create"));
    let made = server
        .with_token(&server.token)
        .raw(
            "POST",
            &format!("/api/v1/groups/{top}/import"),
            "text/csv",
            b"name,parent,level\nBatch A,Batch Top,reseller\nBatch B,Batch A,end_customer\nBatch C,Batch B,site\n",
        )
        .expect(201);
    assert_eq!(
        calls("before_create"),
        before + 1,
        "one call before the commit"
    );
    assert_eq!(calls("after_create"), after + 1, "one call after it");
    for group in made.body["groups"].as_array().unwrap() {
        let id = group["id"].as_i64().unwrap();
        assert_eq!(
            records(&server, "refusing", id, "seen"),
            2,
            "each group heard of before and after: {group}"
        );
    }
}
