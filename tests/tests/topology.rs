//! The docker-compose topology, proven natively (these machines run no container engine): two
//! `tenantry-server` replicas on one database (PostgreSQL in the PostgreSQL suite), each started
//! with `config/docker.toml` and the compose file's environment, driven with the agent as an
//! operator would. Only what a container gets from its network and secrets differs: the
//! replicas listen on 127.0.0.1 with ephemeral ports, and the test database's URL and the test
//! SuperUser's password come from the environment instead of secret files.
// Tests may unwrap and expect: a panic there is a failed assertion (server code may not:
// the workspace lints deny both).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tenantry_tests::{
    ADMIN_PASSWORD, Scratch, TestDatabase, TestServer, agent_binary, repository_file,
    repository_path,
};

fn docker_toml() -> PathBuf {
    repository_path("config/docker.toml")
}

/// The `TENANTRY…` environment docker-compose.yml gives `service`: the shared
/// `x-tenantry-environment` block and the service's own lines. (A line reader, not a YAML
/// parser: enough for the file's own layout, which this test holds it to.)
fn compose_environment(service: &str) -> Vec<(String, String)> {
    let compose = repository_file("docker-compose.yml");
    let block = |header: &str| -> Vec<(String, String)> {
        let indent = header.len() - header.trim_start().len();
        compose
            .lines()
            .skip_while(|l| *l != header)
            .skip(1)
            .take_while(|l| l.trim().is_empty() || l.len() - l.trim_start().len() > indent)
            .filter_map(|l| l.trim().split_once(": "))
            .filter(|(key, _)| key.starts_with("TENANTRY"))
            .map(|(key, value)| (key.to_owned(), value.trim_matches('"').to_owned()))
            .collect()
    };
    let mut env = block("x-tenantry-environment: &tenantry-environment");
    assert!(
        !env.is_empty(),
        "docker-compose.yml has no shared environment block"
    );
    env.extend(block(&format!("  {service}:")));
    env
}

/// A replica as docker-compose starts `service`: `config` as its configuration file (compose
/// mounts config/docker.toml), the compose file's environment, and secrets from files. Only the
/// paths differ from a container's: the configuration and the secret files are this machine's,
/// and on SQLite (no user, no password) the database password file is left out.
fn replica(database: TestDatabase, config: &Path, service: &str) -> TestServer {
    let secrets = Scratch::new("topology-secrets");
    let admin = secrets.write("admin_password", &format!("{ADMIN_PASSWORD}\n"));
    // PostgreSQL's local trust authentication takes any password: what is tested is that the
    // server puts it into the URL and connects with it.
    let database_password = match database.url().starts_with("postgres") {
        true => secrets.write("db_password", "p@ss:word\n"),
        false => PathBuf::new(),
    };
    let mut env: Vec<(String, String)> = compose_environment(service)
        .into_iter()
        .filter(|(key, _)| key != "TENANTRY_CONFIG")
        .collect();
    env.extend([
        ("TENANTRY_CONFIG".to_owned(), config.display().to_string()),
        (
            "TENANTRY__DATABASE__PASSWORD_FILE".to_owned(),
            database_password.display().to_string(),
        ),
        (
            "TENANTRY__BOOTSTRAP__ADMIN_PASSWORD_FILE".to_owned(),
            admin.display().to_string(),
        ),
    ]);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    TestServer::start_with(database, &env)
}

/// `tenantry ARGS -o json` against `server`, as a script runs it (server and token from the
/// environment).
fn agent(server: &TestServer, args: &[&str]) -> Value {
    let home = Scratch::new("topology-agent");
    let output = Command::new(agent_binary())
        .args(args)
        .args(["-o", "json"])
        .env("TENANTRY_AGENT_HOME", home.path())
        .env("TENANTRY_SERVER", server.url(""))
        .env("TENANTRY_TOKEN", &server.token)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "tenantry {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn what_one_replica_writes_the_other_reads() {
    let database = TestDatabase::fresh();
    let first = replica(database.share(), &docker_toml(), "tenantry-1");
    let second = replica(database.share(), &docker_toml(), "tenantry-2");
    let created = agent(
        &first,
        &[
            "groups", "add", "Contoso", "--parent", "1", "--level", "reseller",
        ],
    );
    let id = created["id"].as_i64().unwrap().to_string();
    assert_eq!(agent(&second, &["groups", "get", &id])["name"], "Contoso");
    agent(&second, &["groups", "edit", &id, "--name", "Contoso Ltd"]);
    assert_eq!(
        agent(&first, &["groups", "get", &id])["name"],
        "Contoso Ltd"
    );
    // The compose file's own lines reached the replicas: the second leaves roll-ups to the first.
    assert!(
        compose_environment("tenantry-2")
            .iter()
            .any(|(k, v)| k == "TENANTRY__STATS__ROLLUP_SECONDS" && v == "0")
    );
    // The image's health check: `tenantry server ready` with only the server's address.
    let health = Command::new(agent_binary())
        .args(["server", "ready", "-o", "json"])
        .env("TENANTRY_AGENT_HOME", Scratch::new("health").path())
        .env("TENANTRY_SERVER", second.url(""))
        .env_remove("TENANTRY_TOKEN")
        .output()
        .unwrap();
    assert!(health.status.success(), "{health:?}");
    let ready: Value = serde_json::from_slice(&health.stdout).unwrap();
    assert_eq!(ready["status"], "ready");
    // A login made through one replica holds on the other (sessions are in the database).
    assert_eq!(
        agent(&second, &["me", "show"])["user"]["id"],
        agent(&first, &["me", "show"])["user"]["id"]
    );
}

#[test]
fn a_plugin_disabled_in_the_configuration_is_gone_after_a_restart() {
    let database = TestDatabase::fresh();
    let running = replica(database.share(), &docker_toml(), "tenantry-1");
    let names = |server: &TestServer| -> Vec<String> {
        agent(server, &["plugins", "list"])["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(names(&running), ["branding", "crm", "reporting"]);
    drop(running);
    // The operator edits the one `enabled` line of the configuration and restarts.
    let text = std::fs::read_to_string(docker_toml()).unwrap();
    let line = "enabled = [\"branding\", \"crm\", \"reporting\"]";
    assert!(text.contains(line), "config/docker.toml has no {line:?}");
    let scratch = Scratch::new("topology-config");
    let edited = scratch.write(
        "docker.toml",
        &text.replace(line, "enabled = [\"branding\", \"crm\"]"),
    );
    let restarted = replica(database.share(), &edited, "tenantry-1");
    assert_eq!(names(&restarted), ["branding", "crm"]);
    restarted
        .get("/api/v1/groups/1/scheduled-reports")
        .expect_error(404, "plugin_not_enabled");
    let ready = restarted
        .request("GET", "/readyz", None, &[("Authorization", "")])
        .expect(200);
    assert_eq!(
        ready.body["plugins"],
        serde_json::json!(["branding", "crm"])
    );
}

#[test]
fn killing_a_replica_loses_nothing_it_acknowledged() {
    let database = TestDatabase::fresh();
    let doomed = replica(database.share(), &docker_toml(), "tenantry-1");
    let survivor = replica(database.share(), &docker_toml(), "tenantry-2");
    // A client creating customers through one replica, one after another, as fast as it can.
    let acknowledged = Arc::new(Mutex::new(Vec::<i64>::new()));
    let sent = Arc::new(AtomicUsize::new(0));
    let writer = {
        let (url, token) = (doomed.url("/api/v1/groups"), doomed.token.clone());
        let (acknowledged, sent) = (Arc::clone(&acknowledged), Arc::clone(&sent));
        std::thread::spawn(move || {
            let agent = ureq::AgentBuilder::new()
                .timeout(Duration::from_secs(10))
                .build();
            for i in 0..2_000 {
                sent.fetch_add(1, Ordering::SeqCst);
                let answer = agent
                    .post(&url)
                    .set("Authorization", &format!("Bearer {token}"))
                    .send_json(serde_json::json!({
                        "name": format!("Load {i}"), "parent_id": 1, "level": "site",
                    }));
                match answer {
                    Ok(response) if response.status() == 201 => {
                        let body: Value = response.into_json().unwrap();
                        acknowledged
                            .lock()
                            .unwrap()
                            .push(body["id"].as_i64().unwrap());
                    }
                    // The replica is gone: nothing more was acknowledged.
                    _ => return,
                }
            }
        })
    };
    while acknowledged.lock().unwrap().len() < 40 {
        std::thread::sleep(Duration::from_millis(5));
    }
    drop(doomed.into_database()); // SIGKILL, mid-stream
    writer.join().unwrap();
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        sent.load(Ordering::SeqCst) < 2_000,
        "the replica was killed while the client was still writing"
    );
    let listed = agent(&survivor, &["groups", "list", "1", "--name", "Load "]);
    let seen: Vec<i64> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["id"].as_i64().unwrap())
        .collect();
    for id in &acknowledged {
        assert!(seen.contains(id), "group {id} was acknowledged and is gone");
    }
    // At most the one request in flight when the replica died went through unacknowledged.
    assert!(
        seen.len() <= acknowledged.len() + 1,
        "{} vs {}",
        seen.len(),
        acknowledged.len()
    );
}

#[test]
fn a_replica_stopping_finishes_the_requests_in_flight() {
    let mut server = replica(TestDatabase::fresh(), &docker_toml(), "tenantry-1");
    // A request that takes a while: a dry run of a 10,000-row import.
    let mut file = String::from("name,parent,level\n");
    for i in 0..10_000 {
        file.push_str(&format!("Slow {i},{},site\n", tenantry_tests::ROOT_NAME));
    }
    let (url, token) = (
        server.url("/api/v1/groups/1/import?dry_run=true"),
        server.token.clone(),
    );
    let started = std::time::Instant::now();
    let in_flight = std::thread::spawn(move || {
        let answer = ureq::post(&url)
            .set("Authorization", &format!("Bearer {token}"))
            .set("Content-Type", "text/csv")
            .send_string(&file);
        (answer.map(|r| r.status()), started.elapsed())
    });
    std::thread::sleep(Duration::from_millis(150));
    server.stop_gracefully();
    let signalled = started.elapsed();
    let (status, finished) = in_flight.join().unwrap();
    assert!(
        finished > signalled,
        "the request must still be running when the stop begins (it took {finished:?})"
    );
    assert_eq!(status.ok(), Some(200), "the request in flight was finished");
    let exit = server.wait_for_exit(Duration::from_secs(30));
    assert!(
        exit.is_some_and(|status| status.success()),
        "the server exits cleanly: {exit:?}\n{}",
        server.log()
    );
}
