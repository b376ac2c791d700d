//! `tenantry-server seed`: a tree, then devices with their past, that the server then serves.

use std::process::Command;

use serde_json::json;
use tenantry_tests::{ADMIN_EMAIL, ADMIN_PASSWORD, TestDatabase, TestServer, server_binary};

#[test]
fn seeded_devices_have_a_past_and_credentials_that_work() {
    let database = TestDatabase::fresh();
    let credentials = std::env::temp_dir().join(format!("seed-credentials-{}", std::process::id()));
    let output = Command::new(server_binary())
        .args([
            "seed",
            "--shape",
            "2,3",
            "--devices",
            "40",
            "--history-days",
            "5",
        ])
        .arg("--credentials")
        .arg(&credentials)
        .env_remove("TENANTRY_CONFIG")
        .env("TENANTRY__DATABASE__URL", database.url())
        .env("TENANTRY__BOOTSTRAP__ADMIN_EMAIL", ADMIN_EMAIL)
        .env("TENANTRY__BOOTSTRAP__ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("TENANTRY__PLUGINS__ENABLED", "")
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{printed}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(printed.contains("created 8 groups"), "{printed}");
    assert!(
        printed.contains("created 40 devices in 6 leaf groups"),
        "{printed}"
    );

    let server = TestServer::start_with(database, &[]);
    let all = server
        .get("/api/v1/groups/1/devices?descendants=true&limit=500")
        .expect(200);
    let devices = all.body["items"].as_array().unwrap();
    assert_eq!(devices.len(), 40);
    // Dealt round-robin over the six resellers (the leaves): 6 or 7 each, none on the root.
    let mut per_group = std::collections::BTreeMap::new();
    for device in devices {
        *per_group
            .entry(device["group_id"].as_i64().unwrap())
            .or_insert(0) += 1;
    }
    assert_eq!(per_group.len(), 6, "{per_group:?}");
    assert!(
        per_group.values().all(|n| *n == 6 || *n == 7),
        "{per_group:?}"
    );
    // The groups' own counts (bulk-inserted devices are counted at the seed's end) agree.
    let counted = server.get("/api/v1/groups/1/device-counts").expect(200);
    let counted: std::collections::BTreeMap<i64, i64> = counted.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["group_id"].as_i64().unwrap(),
                c["devices"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(counted, per_group);
    // A device that has reported has its state and a history row for each of the five days.
    let reported = devices.iter().find(|d| !d["status"].is_null()).unwrap();
    assert!(reported["used_bytes"].as_i64().unwrap() > 0);
    assert!(reported["last_session_at"].is_string());
    let history = server
        .get(&format!("/api/v1/devices/{}/history", reported["id"]))
        .expect(200);
    assert_eq!(
        history.body["days"].as_array().unwrap().len(),
        5,
        "{}",
        history.text
    );

    // Every credential written out is its device's own.
    let lines = std::fs::read_to_string(&credentials).unwrap();
    let _ = std::fs::remove_file(&credentials);
    assert_eq!(lines.lines().count(), 40);
    let (id, secret) = lines.lines().nth(7).unwrap().split_once(' ').unwrap();
    let now = chrono::Utc::now();
    let report = |device: &str| {
        server.with_token(secret).post(
            &format!("/api/v1/devices/{device}/sessions"),
            json!({"started_at": (now - chrono::Duration::hours(1)).to_rfc3339(),
                   "ended_at": now.to_rfc3339(), "status": "completed",
                   "selected_bytes": 10, "used_bytes": 5}),
        )
    };
    report(id).expect(201);
    let (other, _) = lines.lines().nth(8).unwrap().split_once(' ').unwrap();
    report(other).expect_error(404, "not_found");
}
