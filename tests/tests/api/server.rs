//! The server process itself: configuration errors, shutdown, restarts.

use std::process::Command;

use tenantry_tests::{TestDatabase, TestServer, server_binary};

#[test]
fn configuration_mistakes_stop_start_up_with_a_message() {
    for (key, value, expected) in [
        ("TENANTRY__DATABASE__URLL", "sqlite://x.db", "urll"),
        (
            "TENANTRY__DATABASE__URL",
            "mysql://localhost/x",
            "sqlite://",
        ),
        ("TENANTRY__ROOT__LEVEL", "planet", "planet"),
    ] {
        let output = Command::new(server_binary())
            .env(key, value)
            .env("TENANTRY__SERVER__PORT", "0")
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{key}={value}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected), "{key}={value}: {stderr}");
    }
}

#[test]
fn sigterm_stops_the_server_cleanly() {
    let mut server = TestServer::start();
    server.get("/healthz").expect(200);
    assert!(
        server.terminate(),
        "exit status 0 after SIGTERM; log:\n{}",
        server.log()
    );
}

#[test]
fn data_and_the_root_survive_a_restart() {
    let database = TestDatabase::fresh();
    let url = database.url().to_owned();
    let first = TestServer::start_with(database, &[("TENANTRY__ROOT__NAME", "Provider One")]);
    let id = first.create_group("Kept", 1, "reseller");
    let database = first.into_database();
    let second = TestServer::start_logged_in(
        database,
        &[("TENANTRY__ROOT__NAME", "Ignored Later")],
        "Provider One",
    );
    assert_eq!(second.database_url(), url);
    assert_eq!(
        second.get("/api/v1/groups/1").expect(200).body["name"],
        "Provider One"
    );
    assert_eq!(
        second.get(&format!("/api/v1/groups/{id}")).expect(200).body["name"],
        "Kept"
    );
}
