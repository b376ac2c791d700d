//! The server process itself: configuration errors, shutdown, restarts.

use std::process::Command;
use std::time::Duration;

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

/// What one request of the load below came to.
#[derive(Debug)]
enum Outcome {
    /// An HTTP answer, whatever its status (a 503 while stopping is an answer: retry elsewhere).
    Answered(u16),
    /// The connection was refused: the request never reached the server.
    Refused,
    /// Connected, sent, and never answered: what a graceful stop must not leave.
    Lost(String),
}

fn one_request(base: &str, token: &str, n: usize) -> Outcome {
    // A fresh connection each time, so that some wait in the listen queue when the stop comes.
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(60))
        .build();
    let answer = if n.is_multiple_of(2) {
        agent
            .post(&format!("{base}/api/v1/groups"))
            .set("Authorization", &format!("Bearer {token}"))
            .send_json(serde_json::json!({"name": format!("Load {n}"), "parent_id": 1, "level": "reseller"}))
    } else {
        agent
            .get(&format!("{base}/api/v1/groups/1/children"))
            .set("Authorization", &format!("Bearer {token}"))
            .call()
    };
    match answer {
        Ok(response) => Outcome::Answered(response.status()),
        Err(ureq::Error::Status(status, _)) => Outcome::Answered(status),
        Err(ureq::Error::Transport(t)) if t.kind() == ureq::ErrorKind::ConnectionFailed => {
            Outcome::Refused
        }
        Err(ureq::Error::Transport(t)) => Outcome::Lost(t.to_string()),
    }
}

#[test]
fn sigterm_under_load_leaves_no_request_unanswered() {
    let mut server = TestServer::start();
    let base = server.url("");
    let base = base.trim_end_matches('/').to_owned();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let clients: Vec<_> = (0..48)
        .map(|client| {
            let (base, token, stop) = (base.clone(), server.token.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut outcomes = Vec::new();
                for n in (client * 10_000).. {
                    let outcome = one_request(&base, &token, n);
                    let refused = matches!(outcome, Outcome::Refused);
                    outcomes.push(outcome);
                    if refused || stop.load(std::sync::atomic::Ordering::Relaxed) {
                        break;
                    }
                }
                outcomes
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(800));
    server.stop_gracefully();
    let exit = server.wait_for_exit(Duration::from_secs(30));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let outcomes: Vec<Outcome> = clients
        .into_iter()
        .flat_map(|client| client.join().unwrap())
        .collect();
    let answered = outcomes
        .iter()
        .filter(|o| matches!(o, Outcome::Answered(_)))
        .count();
    let lost: Vec<&str> = outcomes
        .iter()
        .filter_map(|o| match o {
            Outcome::Lost(error) => Some(error.as_str()),
            _ => None,
        })
        .collect();
    let odd: Vec<u16> = outcomes
        .iter()
        .filter_map(|o| match o {
            Outcome::Answered(status) if ![200, 201, 503].contains(status) => Some(*status),
            _ => None,
        })
        .collect();
    assert!(
        odd.is_empty(),
        "answers other than 200, 201 and 503: {odd:?}"
    );
    assert!(
        answered > 100,
        "the load did not get going: {answered} answered"
    );
    assert!(
        lost.is_empty(),
        "{} of {} requests were sent and never answered: {:?}\n{}",
        lost.len(),
        outcomes.len(),
        &lost[..lost.len().min(5)],
        server.log()
    );
    assert!(
        exit.is_some_and(|status| status.success()),
        "the server exits cleanly: {exit:?}"
    );
}

/// `tenantry-server backup` copies the SQLite database while writes go on, and the copy is a
/// consistent database holding everything acknowledged before it started. (SQLite's own
/// `.backup` restarts at every write and never finished under this load.)
#[test]
fn a_backup_taken_under_writes_restores_to_a_consistent_database() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};

    let database = TestDatabase::fresh();
    if !database.url().starts_with("sqlite") {
        return; // PostgreSQL: pg_dump's job.
    }
    let server = Arc::new(TestServer::start_with(database, &[]));
    let acknowledged = Arc::new(Mutex::new(Vec::<i64>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let (server, acknowledged, stop) = (server.clone(), acknowledged.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    let id = server.create_group(&format!("Writer {w} {n}"), 1, "reseller");
                    server.create_group(&format!("Writer {w} {n} site"), id, "end_customer");
                    acknowledged.lock().unwrap().push(id);
                    n += 1;
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    let before: Vec<i64> = acknowledged.lock().unwrap().clone();
    let folder = tenantry_tests::Scratch::new("backup");
    let copy = folder.path().join("backup.db");
    let mut backup = Command::new(server_binary())
        .args(["backup", "--to"])
        .arg(&copy)
        .env("TENANTRY__DATABASE__URL", server.database_url())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = backup.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = backup.kill();
            panic!("the backup did not finish within 60 s under writes");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    // The writes went on during the backup.
    std::thread::sleep(Duration::from_millis(200));
    stop.store(true, Ordering::Relaxed);
    for writer in writers {
        writer.join().unwrap();
    }
    assert!(status.success(), "{:?}", backup.wait_with_output());
    assert!(before.len() > 10, "the writes got going: {}", before.len());
    assert!(
        acknowledged.lock().unwrap().len() > before.len(),
        "writes went on meanwhile"
    );
    assert!(!folder.path().join("backup.db.partial").exists());

    // A second backup to the same file is refused; the first stays as it was.
    let again = Command::new(server_binary())
        .args(["backup", "--to"])
        .arg(&copy)
        .env("TENANTRY__DATABASE__URL", server.database_url())
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists already"));

    // The copy: intact, every acknowledged group there with its site, and a server runs on it.
    let restored = TestDatabase::Shared {
        url: format!("sqlite://{}", copy.display()),
    };
    let storage = restored.storage();
    let (integrity, parents, orphans) = storage
        .write(|w| {
            use diesel::RunQueryDsl;
            #[derive(diesel::QueryableByName)]
            struct Text {
                #[diesel(sql_type = diesel::sql_types::Text)]
                t: String,
            }
            #[derive(diesel::QueryableByName)]
            struct Id {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                id: i64,
            }
            let integrity = diesel::sql_query("SELECT integrity_check AS t FROM pragma_integrity_check")
                .load::<Text>(w.conn())?;
            let parents = diesel::sql_query(
                "SELECT id FROM groups WHERE name LIKE 'Writer %' AND name NOT LIKE '% site'",
            )
            .load::<Id>(w.conn())?;
            let orphans = diesel::sql_query(
                "SELECT p.id FROM groups p WHERE p.name LIKE 'Writer %' AND p.name NOT LIKE '% site' \
                 AND NOT EXISTS (SELECT 1 FROM groups c WHERE c.parent_id = p.id)",
            )
            .load::<Id>(w.conn())?;
            Ok((
                integrity.into_iter().map(|t| t.t).collect::<Vec<_>>(),
                parents.into_iter().map(|i| i.id).collect::<Vec<_>>(),
                orphans.into_iter().map(|i| i.id).collect::<Vec<_>>(),
            ))
        })
        .unwrap();
    assert_eq!(integrity, ["ok"]);
    for id in &before {
        assert!(
            parents.contains(id),
            "group {id} was acknowledged before the backup"
        );
    }
    // A parent acknowledged before the backup has its site, written just after it.
    assert!(orphans.iter().all(|id| !before.contains(id)), "{orphans:?}");
    drop(storage);
    let second = TestServer::start_logged_in(restored, &[], tenantry_tests::ROOT_NAME);
    second
        .get(&format!("/api/v1/groups/{}", before[0]))
        .expect(200);
}
