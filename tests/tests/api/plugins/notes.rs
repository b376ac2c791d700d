//! A plugin from outside the core (`tests/plugins/notes`): its module and permissions join the
//! host's table when it loads, with nothing in the core naming it; its routes are authorized by
//! them; its hook refuses; and `docs/permissions.md` is what the server prints.

use std::process::Command;

use serde_json::json;
use tenantry_tests::{
    PLUGINS, TestDatabase, TestServer, plugins_dir, repository_file, server_binary as binary,
};

#[test]
fn the_notes_plugin_brings_a_module_and_permissions_of_its_own() {
    let server = TestServer::start();
    let reseller = server.create_group("Noted Reseller", 1, "reseller");
    let site = server.create_group("Noted Site", reseller, "end_customer");
    let site = server.create_group("Noted Branch", site, "site");

    // The caller's permissions and the group's modules show what the plugin declared.
    let me = server.get("/api/v1/me").expect(200);
    let permissions = me.body["permissions"].as_array().unwrap();
    for name in ["view_notes", "manage_notes", "view_group", "view_contacts"] {
        assert!(
            permissions.contains(&json!(name)),
            "{name}: {permissions:?}"
        );
    }
    let modules = |group: i64| {
        server
            .get(&format!("/api/v1/groups/{group}/modules"))
            .expect(200)
            .body["modules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["module"] == "notes")
            .cloned()
            .unwrap()
    };
    assert_eq!(modules(reseller)["available"], true);
    assert_eq!(modules(reseller)["title"], "Notes");
    assert_eq!(modules(site)["available"], false);

    // The account types the plugin chose: Operators write notes, Supporters only read them.
    let (_, operator) = server.create_user(reseller, "op@noted.example", "operator", false);
    let (_, supporter) = server.create_user(reseller, "sup@noted.example", "supporter", false);
    let notes = format!("/api/v1/groups/{reseller}/notes");
    let written = server
        .with_token(&operator)
        .post(
            &notes,
            json!({"text": "Call back on Monday", "pinned": true}),
        )
        .expect(201);
    assert_eq!(written.body["pinned"], true);
    server
        .with_token(&supporter)
        .post(&notes, json!({"text": "Hello"}))
        .expect_error(403, "forbidden");
    let listed = server.with_token(&supporter).get(&notes).expect(200);
    assert_eq!(listed.body["items"][0]["text"], "Call back on Monday");
    let supporter_me = server.with_token(&supporter).get("/api/v1/me").expect(200);
    let theirs = supporter_me.body["permissions"].as_array().unwrap();
    assert!(theirs.contains(&json!("view_notes")));
    assert!(!theirs.contains(&json!("manage_notes")));
    // Where its module is not available, whatever the account type.
    server
        .get(&format!("/api/v1/groups/{site}/notes"))
        .expect_error(403, "module_unavailable");

    // Its hook: a pinned note keeps its group.
    let empty = server.create_group("Noted Empty", 1, "reseller");
    server
        .post(
            &format!("/api/v1/groups/{empty}/notes"),
            json!({"text": "Keep", "pinned": true}),
        )
        .expect(201);
    server
        .delete(&format!("/api/v1/groups/{empty}"))
        .expect_error(409, "plugin_refused");
    let note = server
        .get(&format!("/api/v1/groups/{empty}/notes"))
        .expect(200)
        .body["items"][0]["id"]
        .clone();
    server
        .delete(&format!("/api/v1/groups/{empty}/notes/{note}"))
        .expect(204);
    server
        .delete(&format!("/api/v1/groups/{empty}"))
        .expect(204);
}

#[test]
fn the_core_names_no_plugin_of_this_repository_but_the_first_partys() {
    // What `.ci/architecture` checks too; here it runs with every `cargo test`.
    for dir in ["crates/domain/src", "crates/server/src"] {
        let mut stack = vec![tenantry_tests::repository_path(dir)];
        while let Some(path) = stack.pop() {
            if path.is_dir() {
                stack.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            for word in ["view_notes", "manage_notes", "plugin_notes", "\"notes\""] {
                assert!(!text.contains(word), "{} names {word}", path.display());
            }
        }
    }
}

#[test]
fn docs_permissions_md_is_what_the_server_prints() {
    let output = Command::new(binary())
        .arg("permissions")
        .env_remove("TENANTRY_CONFIG")
        .env("TENANTRY__PLUGINS__ENABLED", PLUGINS)
        .env("TENANTRY__PLUGINS__DIR", plugins_dir())
        .env("TENANTRY__LOG__LEVEL", "warn")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert!(
        String::from_utf8_lossy(&output.stdout) == repository_file("docs/permissions.md"),
        "docs/permissions.md differs from the permission table: run `cargo xtask docs`"
    );
}

#[test]
fn a_route_naming_an_undeclared_action_stops_start_up() {
    // The panicky test plugin names the action this variable says (see its manifest).
    let start = |plugins: &str, action: &str| {
        TestServer::run_to_exit(
            TestDatabase::fresh(),
            &[
                ("TENANTRY__PLUGINS__ENABLED", plugins),
                ("PANICKY_ROUTE_ACTION", action),
            ],
        )
    };
    let undeclared = start("panicky", "launch_rockets");
    assert!(
        undeclared.contains("plugin panicky") && undeclared.contains("launch_rockets"),
        "{undeclared}"
    );
    let borrowed = start("notes,panicky", "manage_notes");
    assert!(
        borrowed.contains("plugin panicky") && borrowed.contains("the notes plugin declares"),
        "{borrowed}"
    );
}

#[test]
fn a_plugin_from_elsewhere_may_theme_the_console_but_only_one_plugin_may() {
    // The notes plugin themes the console when NOTES_THEMES is set (see its manifest).
    let two = TestServer::run_to_exit(
        TestDatabase::fresh(),
        &[
            ("TENANTRY__PLUGINS__ENABLED", "branding,notes"),
            ("NOTES_THEMES", "#336699"),
        ],
    );
    assert!(
        two.contains("branding, notes") && two.contains("at most one"),
        "{two}"
    );
    let server = TestServer::start_with(
        TestDatabase::fresh(),
        &[
            ("TENANTRY__PLUGINS__ENABLED", "crm,notes"),
            ("NOTES_THEMES", "#336699"),
        ],
    );
    let login = server.with_token("").get("/login");
    assert!(login.text.contains("Log in to Noted"), "{}", login.text);
    let start = login
        .text
        .find("/theme.css?v=")
        .expect("a theme stylesheet");
    let address = login.text[start..].split('"').next().unwrap();
    let css = server.with_token("").get(address);
    assert!(css.text.contains("--brand: #336699;"), "{}", css.text);
}

#[test]
fn a_panel_bound_to_no_route_of_its_plugin_stops_start_up() {
    let message = TestServer::run_to_exit(
        TestDatabase::fresh(),
        &[
            ("TENANTRY__PLUGINS__ENABLED", "notes"),
            ("NOTES_PANEL_LIST", "/groups/{id}/nowhere"),
        ],
    );
    assert!(
        message.contains("plugin notes")
            && message.contains("panel \"notes\"")
            && message.contains("/groups/{id}/nowhere"),
        "{message}"
    );
}
