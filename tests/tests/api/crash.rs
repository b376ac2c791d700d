//! kill -9 under load: concurrent clients create groups, add devices and report sessions; the
//! server is killed (SIGKILL) at a moment nobody chose and started again on the same database.
//! Every write it acknowledged is there, and what it keeps derived from them agrees.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use diesel::RunQueryDsl;
use diesel::sql_types::BigInt;
use serde_json::json;
use tenantry_tests::{ROOT_NAME, TestServer};

#[derive(Default)]
struct Acknowledged {
    groups: Vec<i64>,
    devices: Vec<i64>,
    /// (device, ended_at) of each session report answered 201.
    sessions: Vec<(i64, String)>,
}

#[derive(diesel::QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// A POST that may meet a dead server: the new id when it was answered 201, `None` otherwise.
fn created(base: &str, token: &str, path: &str, body: serde_json::Value) -> Option<i64> {
    let answer = ureq::post(&format!("{base}{path}"))
        .set("Authorization", &format!("Bearer {token}"))
        .timeout(Duration::from_secs(30))
        .send_json(body);
    match answer {
        Ok(response) if response.status() == 201 => response
            .into_json::<serde_json::Value>()
            .ok()
            .and_then(|v| v["id"].as_i64().or(Some(0))),
        _ => None,
    }
}

/// A client that posts until the server is dead: its n-th request is `request(n)` (path and
/// body), sent with `token`; `record(n, id)` keeps what was answered 201.
fn client(
    base: &str,
    token: &str,
    dead: &Arc<AtomicBool>,
    request: impl Fn(i64) -> (String, serde_json::Value) + Send + 'static,
    record: impl Fn(i64, i64) + Send + 'static,
) -> std::thread::JoinHandle<()> {
    let (base, token, dead) = (base.to_owned(), token.to_owned(), Arc::clone(dead));
    std::thread::spawn(move || {
        for n in 0..100_000 {
            if dead.load(Ordering::Relaxed) {
                break;
            }
            let (path, body) = request(n);
            if let Some(id) = created(&base, &token, &path, body) {
                record(n, id);
            }
        }
    })
}

/// A moment between 300 and 1,200 ms from now, different each run.
fn some_moment() -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    Duration::from_millis(300 + u64::from(nanos % 900))
}

#[test]
fn a_server_killed_under_load_keeps_every_acknowledged_write() {
    let server = TestServer::start();
    let customer = server
        .post(
            "/api/v1/groups",
            json!({"name": "Crash Customer", "parent_id": 1, "level": "reseller", "automatic_deployment": true}),
        )
        .expect(201)
        .id();
    let deployment_token = server.deployment_token(customer);
    let reporters: Vec<(i64, String)> = (0..4)
        .map(|i| {
            let enrolled = server
                .with_token("")
                .post(
                    "/api/v1/enroll",
                    json!({"token": deployment_token, "name": format!("reporter-{i}"), "os": "Linux"}),
                )
                .expect(201);
            (
                enrolled.id(),
                enrolled.body["credential"].as_str().unwrap().to_owned(),
            )
        })
        .collect();

    let base = server.url("").trim_end_matches('/').to_owned();
    let token = server.token.clone();
    let server = Arc::new(server);
    let acknowledged = Arc::new(Mutex::new(Acknowledged::default()));
    let dead = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    for c in 0..2 {
        let acknowledged = Arc::clone(&acknowledged);
        clients.push(client(
            &base,
            &token,
            &dead,
            move |n| {
                let body = json!({"name": format!("Crash {c} {n}"), "parent_id": customer,
                                  "level": "end_customer"});
                ("/api/v1/groups".to_owned(), body)
            },
            move |_, id| acknowledged.lock().unwrap().groups.push(id),
        ));
    }
    for c in 0..2 {
        let acknowledged = Arc::clone(&acknowledged);
        clients.push(client(
            &base,
            &token,
            &dead,
            move |n| {
                let body = json!({"name": format!("added-{c}-{n}"), "os": "Windows"});
                (format!("/api/v1/groups/{customer}/devices"), body)
            },
            move |_, id| acknowledged.lock().unwrap().devices.push(id),
        ));
    }
    // Each reporter's sessions end two seconds apart, two days back, so that none is ahead of
    // the server's clock.
    let start = chrono::Utc::now() - chrono::Duration::days(2);
    let moment = move |seconds: i64| {
        (start + chrono::Duration::seconds(seconds))
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string()
    };
    for (device, credential) in reporters.clone() {
        let acknowledged = Arc::clone(&acknowledged);
        clients.push(client(
            &base,
            &credential,
            &dead,
            move |n| {
                let body = json!({"started_at": moment(n * 2), "ended_at": moment(n * 2 + 1),
                                  "status": "completed", "selected_bytes": 1000 + n,
                                  "used_bytes": 500 + n});
                (format!("/api/v1/devices/{device}/sessions"), body)
            },
            move |n, _| {
                let ended = moment(n * 2 + 1);
                acknowledged.lock().unwrap().sessions.push((device, ended));
            },
        ));
    }

    std::thread::sleep(some_moment());
    server.kill_now();
    dead.store(true, Ordering::Relaxed);
    for client in clients {
        client.join().unwrap();
    }
    let server = Arc::try_unwrap(server).unwrap_or_else(|_| panic!("the clients are done"));
    let acknowledged = std::mem::take(&mut *acknowledged.lock().unwrap());
    assert!(
        acknowledged.groups.len() > 5
            && acknowledged.devices.len() > 5
            && acknowledged.sessions.len() > 5,
        "the load got going: {} groups, {} devices, {} sessions",
        acknowledged.groups.len(),
        acknowledged.devices.len(),
        acknowledged.sessions.len()
    );

    let restarted = TestServer::start_logged_in(server.into_database(), &[], ROOT_NAME);
    let storage = restarted.share_database().storage();
    let ids = |sql: String| -> Vec<i64> {
        storage
            .write(|w| Ok(diesel::sql_query(sql).load::<Id>(w.conn())?))
            .unwrap()
            .into_iter()
            .map(|i| i.id)
            .collect()
    };
    let groups = ids(format!(
        "SELECT id FROM groups WHERE parent_id = {customer}"
    ));
    for id in &acknowledged.groups {
        assert!(
            groups.contains(id),
            "group {id} was acknowledged and is gone"
        );
    }
    // At most the requests in flight at the kill went through unacknowledged (one per client).
    assert!(groups.len() <= acknowledged.groups.len() + 2);
    let devices = ids(format!(
        "SELECT id FROM devices WHERE group_id = {customer}"
    ));
    for id in &acknowledged.devices {
        assert!(
            devices.contains(id),
            "device {id} was acknowledged and is gone"
        );
    }
    for (device, ended) in &acknowledged.sessions {
        let at = ended.trim_end_matches('Z').replace('T', " ");
        let found = ids(format!(
            "SELECT id FROM device_sessions WHERE device_id = {device} AND ended_at = '{at}'"
        ));
        assert_eq!(
            found.len(),
            1,
            "session of device {device} ending {ended} is gone"
        );
    }
    // What is derived agrees with what is there: the customer's device count, and each
    // reporter's state follows its newest session.
    let counted = restarted
        .get(&format!("/api/v1/groups/{customer}/device-counts"))
        .expect(200);
    let own = counted.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["group_id"] == customer)
        .map(|c| c["devices"].as_i64().unwrap());
    assert_eq!(own, Some(devices.len() as i64), "{}", counted.text);
    for (device, _) in &reporters {
        let newest = acknowledged
            .sessions
            .iter()
            .filter(|(d, _)| d == device)
            .map(|(_, ended)| ended.clone())
            .max();
        let shown = restarted
            .get(&format!("/api/v1/devices/{device}"))
            .expect(200);
        if let (Some(newest), Some(last)) = (newest, shown.body["last_session_at"].as_str()) {
            assert!(
                last.trim_end_matches('Z') >= newest.trim_end_matches('Z'),
                "device {device}: last session {last}, acknowledged up to {newest}"
            );
        }
    }
}
