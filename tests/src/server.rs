use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

use crate::database::TestDatabase;
use crate::http::Reply;

/// The root group's first SuperUser, created by every test server's first start.
pub const ADMIN_EMAIL: &str = "admin@tenantry.test";
pub const ADMIN_PASSWORD: &str = "test root password";
/// The password of users the tests create with [`TestServer::create_user`].
pub const USER_PASSWORD: &str = "plum kettle seventeen";
/// The root group's name on a fresh test server.
pub const ROOT_NAME: &str = "My Company";
/// The plugins a test server runs unless the test says otherwise.
pub const PLUGINS: &str = "branding,crm,reporting,notes";

/// A running `tenantry-server` with its own database; stopped and cleaned up on drop.
#[derive(Debug)]
pub struct TestServer {
    child: Child,
    base: String,
    log: PathBuf,
    agent: ureq::Agent,
    /// The bootstrap SuperUser's session token: what requests send unless told otherwise.
    pub token: String,
    // Dropped after the server is stopped (`drop` kills the server first); taken by
    // `into_database` to start another server on the same data.
    database: Option<TestDatabase>,
}

impl TestServer {
    /// A server on a fresh database.
    pub fn start() -> TestServer {
        TestServer::start_with(TestDatabase::fresh(), &[])
    }

    /// A server on the given database, with extra `TENANTRY__…` settings; logged in as the first
    /// SuperUser of the root group named by `TENANTRY__ROOT__NAME` (or the default name).
    pub fn start_with(database: TestDatabase, env: &[(&str, &str)]) -> TestServer {
        let root_name = env
            .iter()
            .find(|(key, _)| *key == "TENANTRY__ROOT__NAME")
            .map_or(ROOT_NAME, |(_, value)| *value);
        TestServer::start_logged_in(database, env, root_name)
    }

    /// As [`TestServer::start_with`], logging in to the root group by the name it has now (on a
    /// database a previous server left, the configured name no longer counts).
    pub fn start_logged_in(
        database: TestDatabase,
        env: &[(&str, &str)],
        root_name: &str,
    ) -> TestServer {
        let mut server = TestServer::start_unauthenticated(database, env);
        server.token = server.login(root_name, ADMIN_EMAIL, ADMIN_PASSWORD);
        server
    }

    /// A server on the given database, not logged in (`token` is empty).
    pub fn start_unauthenticated(database: TestDatabase, env: &[(&str, &str)]) -> TestServer {
        let log = database_log_path(&database);
        let log_file = std::fs::File::create(&log).unwrap();
        let mut command = server_command(&database, env);
        command.stdout(Stdio::piped()).stderr(log_file);
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary().display()));
        let base = wait_for_address(&mut child, &log);
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(60))
            .build();
        TestServer {
            child,
            base,
            log,
            agent,
            token: String::new(),
            database: Some(database),
        }
    }

    /// Runs the server on `database` with `env` until it exits by itself (a start-up that must
    /// fail) and returns what it printed.
    pub fn run_to_exit(database: TestDatabase, env: &[(&str, &str)]) -> String {
        let output = server_command(&database, env).output().unwrap();
        assert!(!output.status.success(), "the server was expected to stop");
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    }

    /// Logs in and returns the session token, failing the test if the login is refused.
    #[track_caller]
    pub fn login(&self, group: &str, username: &str, password: &str) -> String {
        let reply = self.try_login(group, username, password);
        assert_eq!(reply.status, 200, "login refused: {}", reply.text);
        reply.body["token"].as_str().unwrap().to_owned()
    }

    /// A login attempt, whatever its answer.
    pub fn try_login(&self, group: &str, username: &str, password: &str) -> Reply {
        self.request(
            "POST",
            "/api/v1/auth/login",
            Some(&serde_json::json!({"group": group, "username": username, "password": password})),
            &[("Authorization", "")],
        )
    }

    /// Requests made with another token (or none: `""`).
    pub fn with_token<'a>(&'a self, token: &'a str) -> As<'a> {
        As {
            server: self,
            token,
        }
    }

    /// Creates an interactive user in a group (password [`USER_PASSWORD`]), logs it in, and
    /// returns its id and session token.
    #[track_caller]
    pub fn create_user(
        &self,
        group: i64,
        username: &str,
        role: &str,
        officer: bool,
    ) -> (i64, String) {
        let id = self
            .post(
                &format!("/api/v1/groups/{group}/users"),
                serde_json::json!({
                    "username": username, "role": role, "security_officer": officer,
                    "password": USER_PASSWORD,
                }),
            )
            .expect(201)
            .id();
        let group_name = self
            .get(&format!("/api/v1/groups/{group}"))
            .expect(200)
            .body["name"]
            .as_str()
            .unwrap()
            .to_owned();
        (id, self.login(&group_name, username, USER_PASSWORD))
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A handle on this server's database for a second server (see [`TestDatabase::share`]).
    pub fn share_database(&self) -> TestDatabase {
        self.database
            .as_ref()
            .map(TestDatabase::share)
            .unwrap_or_else(|| panic!("the server's database was taken"))
    }

    pub fn database_url(&self) -> &str {
        self.database.as_ref().map_or("", TestDatabase::url)
    }

    /// Stops the server and hands back its database, to start another server on the same data.
    pub fn into_database(mut self) -> TestDatabase {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.database.take().unwrap()
    }

    /// Asks the server to stop as `docker stop` does (SIGTERM): it stops accepting connections
    /// and lets the requests in flight finish.
    pub fn stop_gracefully(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill -TERM failed");
    }

    /// Kills the server as `kill -9` does (SIGKILL: no chance to finish anything), while other
    /// threads may still be sending to it.
    pub fn kill_now(&self) {
        let status = Command::new("kill")
            .args(["-KILL", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill -KILL failed");
    }

    /// Waits up to `limit` for the server to exit, and answers how it exited (`None`: still
    /// running).
    pub fn wait_for_exit(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let started = std::time::Instant::now();
        while started.elapsed() < limit {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// The root group's id (the first group of a fresh database).
    pub fn root(&self) -> i64 {
        1
    }

    /// Any request, made with the bootstrap SuperUser's token unless `headers` has an
    /// `Authorization` (an empty one sends none).
    pub fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut request = self.agent.request(method, &self.url(path));
        if !headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("authorization"))
        {
            request = request.set("Authorization", &format!("Bearer {}", self.token));
        }
        for (name, value) in headers {
            if !value.is_empty() {
                request = request.set(name, value);
            }
        }
        let result = match body {
            Some(json) => request
                .set("Content-Type", "application/json")
                .send_string(&json.to_string()),
            None => request.call(),
        };
        into_reply(result)
    }

    /// A request with a body sent exactly as given (for malformed input).
    pub fn raw(&self, method: &str, path: &str, content_type: &str, body: &str) -> Reply {
        let request = self
            .agent
            .request(method, &self.url(path))
            .set("Authorization", &format!("Bearer {}", self.token))
            .set("Content-Type", content_type);
        into_reply(request.send_string(body))
    }

    pub fn get(&self, path: &str) -> Reply {
        self.request("GET", path, None, &[])
    }

    pub fn post(&self, path: &str, body: Value) -> Reply {
        self.request("POST", path, Some(&body), &[])
    }

    pub fn patch(&self, path: &str, body: Value) -> Reply {
        self.request("PATCH", path, Some(&body), &[])
    }

    pub fn put(&self, path: &str, body: Value) -> Reply {
        self.request("PUT", path, Some(&body), &[])
    }

    pub fn delete(&self, path: &str) -> Reply {
        self.request("DELETE", path, None, &[])
    }

    /// Creates a group and returns its id, failing the test if the server refuses.
    #[track_caller]
    pub fn create_group(&self, name: &str, parent: i64, level: &str) -> i64 {
        self.post(
            "/api/v1/groups",
            serde_json::json!({"name": name, "parent_id": parent, "level": level}),
        )
        .expect(201)
        .id()
    }

    /// A new deployment token of `group` (automatic deployment on): the secret machines enrol with.
    pub fn deployment_token(&self, group: i64) -> String {
        let created = self
            .post(
                &format!("/api/v1/groups/{group}/deployment-tokens"),
                serde_json::json!({}),
            )
            .expect(201);
        created.body["token"].as_str().unwrap().to_owned()
    }

    /// Stops the server with SIGTERM and waits for it; returns whether it exited cleanly.
    pub fn terminate(&mut self) -> bool {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        self.child
            .wait()
            .map(|status| status.success())
            .unwrap_or(false)
    }

    /// What the server wrote to its log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("server log kept at {}", self.log.display());
        } else {
            let _ = std::fs::remove_file(&self.log);
        }
    }
}

/// Not a setting of the server: in `env`, starts it with no file allowed to grow past this many
/// KiB (`ulimit -f`; writes past it fail with `EFBIG`, as on a full disk), the signal such a
/// write raises ignored.
pub const FILE_SIZE_LIMIT_KB: &str = "TEST_FILE_SIZE_LIMIT_KB";

/// The server binary with the test settings (127.0.0.1, an ephemeral port, the test SuperUser)
/// and then `env`, which wins.
fn server_command(database: &TestDatabase, env: &[(&str, &str)]) -> Command {
    let mut command = match env.iter().find(|(key, _)| *key == FILE_SIZE_LIMIT_KB) {
        Some((_, kb)) => {
            let mut limited = Command::new("bash");
            limited
                .args([
                    "-c",
                    "trap '' XFSZ; ulimit -f \"$1\"; exec \"$2\"",
                    "limited",
                    kb,
                ])
                .arg(binary());
            limited
        }
        None => Command::new(binary()),
    };
    command
        .env_remove("TENANTRY_CONFIG")
        .env_remove("RUST_LOG")
        .env("TENANTRY__DATABASE__URL", database.url())
        .env("TENANTRY__SERVER__HOST", "127.0.0.1")
        .env("TENANTRY__SERVER__PORT", "0")
        .env("TENANTRY__SERVER__WORKERS", "2")
        .env("TENANTRY__BOOTSTRAP__ADMIN_EMAIL", ADMIN_EMAIL)
        .env("TENANTRY__BOOTSTRAP__ADMIN_PASSWORD", ADMIN_PASSWORD)
        // The plugins cargo built beside the server binary: the first-party ones and the test
        // plugin that brings a module and permissions of its own (so that every suite driven
        // by the route tables covers a plugin from outside the core too).
        .env("TENANTRY__PLUGINS__DIR", plugins_dir())
        .env("TENANTRY__DOWNLOADS__DIR", downloads_dir())
        // Every test logs in from 127.0.0.1, many times a minute; the throttle's own test sets
        // a small allowance.
        .env("TENANTRY__AUTH__LOGIN_ATTEMPTS_PER_MINUTE", "1000000")
        .stdin(Stdio::null());
    // A test that brings a configuration file gets the plugins that file enables.
    if !env.iter().any(|(key, _)| *key == "TENANTRY_CONFIG") {
        command.env("TENANTRY__PLUGINS__ENABLED", PLUGINS);
    }
    for (key, value) in env.iter().filter(|(key, _)| *key != FILE_SIZE_LIMIT_KB) {
        command.env(key, value);
    }
    command
}

fn into_reply(result: Result<ureq::Response, ureq::Error>) -> Reply {
    match result {
        Ok(response) | Err(ureq::Error::Status(_, response)) => Reply::from_response(response),
        Err(error) => panic!("request failed: {error}"),
    }
}

/// The server binary: `TENANTRY_SERVER_BIN`, or `tenantry-server` beside this test's own
/// executable's folder (`target/<profile>/deps/..`), where `cargo build` puts it.
/// The admin agent, `tenantry`, beside the server binary.
pub fn agent_binary() -> PathBuf {
    let path = binary().with_file_name("tenantry");
    assert!(
        path.exists(),
        "{} is missing: build it first (`cargo xtask test` builds every binary, then tests)",
        path.display()
    );
    path
}

pub fn binary() -> PathBuf {
    if let Some(path) = std::env::var_os("TENANTRY_SERVER_BIN") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(|deps| deps.parent()).unwrap();
    let path = profile_dir.join("tenantry-server");
    assert!(
        path.exists(),
        "{} is missing: build it first (`cargo xtask test` builds every binary, then tests)",
        path.display()
    );
    path
}

/// The stand-in installers the test servers offer (`tests/fixtures/downloads`).
pub fn downloads_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/downloads")
}

/// Where the build puts the plugin libraries: beside the server binary.
pub fn plugins_dir() -> PathBuf {
    binary().parent().map(PathBuf::from).unwrap_or_default()
}

fn database_log_path(database: &TestDatabase) -> PathBuf {
    let tag: String = database
        .url()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    let tag = &tag[tag.len().saturating_sub(40)..];
    // Several servers may share a database: each its own log.
    static STARTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = STARTED.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    std::env::temp_dir().join(format!("tenantry-server-{tag}-{n}.log"))
}

/// Waits for the line the server prints once it listens, and returns its base URL.
fn wait_for_address(child: &mut Child, log: &std::path::Path) -> String {
    let stdout = child.stdout.take().unwrap();
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(address) = line.strip_prefix("tenantry-server listening on ") {
                let _ = sender.send(address.trim().to_owned());
            }
        }
    });
    match receiver.recv_timeout(Duration::from_secs(60)) {
        Ok(address) => address,
        Err(_) => {
            let _ = child.kill();
            panic!(
                "tenantry-server did not start; its log:\n{}",
                std::fs::read_to_string(log).unwrap_or_default()
            )
        }
    }
}

/// Requests to a [`TestServer`] made with another token.
#[derive(Debug, Clone, Copy)]
pub struct As<'a> {
    server: &'a TestServer,
    token: &'a str,
}

impl As<'_> {
    pub fn request(&self, method: &str, path: &str, body: Option<&Value>) -> Reply {
        let bearer = if self.token.is_empty() {
            String::new()
        } else {
            format!("Bearer {}", self.token)
        };
        self.server
            .request(method, path, body, &[("Authorization", &bearer)])
    }

    pub fn get(&self, path: &str) -> Reply {
        self.request("GET", path, None)
    }

    pub fn post(&self, path: &str, body: Value) -> Reply {
        self.request("POST", path, Some(&body))
    }

    pub fn patch(&self, path: &str, body: Value) -> Reply {
        self.request("PATCH", path, Some(&body))
    }

    pub fn put(&self, path: &str, body: Value) -> Reply {
        self.request("PUT", path, Some(&body))
    }

    pub fn delete(&self, path: &str) -> Reply {
        self.request("DELETE", path, None)
    }

    /// A request with a body of any type, sent as given.
    pub fn raw(&self, method: &str, path: &str, content_type: &str, body: &[u8]) -> Reply {
        let mut request = self
            .server
            .agent
            .request(method, &self.server.url(path))
            .set("Content-Type", content_type);
        if !self.token.is_empty() {
            request = request.set("Authorization", &format!("Bearer {}", self.token));
        }
        into_reply(request.send_bytes(body))
    }
}
