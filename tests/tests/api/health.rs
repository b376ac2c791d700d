use tenantry_tests::TestServer;

#[test]
fn health_and_readiness_need_no_credentials() {
    let server = TestServer::start();
    let health = server
        .request("GET", "/healthz", None, &[("Authorization", "")])
        .expect(200);
    assert_eq!(health.body["status"], "ok");
    let ready = server
        .request("GET", "/readyz", None, &[("Authorization", "")])
        .expect(200);
    assert_eq!(
        (
            ready.body["status"].as_str(),
            ready.body["database"].as_str()
        ),
        (Some("ready"), Some("ok"))
    );
}

#[test]
fn the_openapi_document_lists_every_endpoint() {
    // The host's own routes: plugins add theirs (see plugins.rs).
    let server = TestServer::start_with(
        tenantry_tests::TestDatabase::fresh(),
        &[("TENANTRY__PLUGINS__ENABLED", "")],
    );
    let doc = server
        .request(
            "GET",
            "/api/v1/openapi.json",
            None,
            &[("Authorization", "")],
        )
        .expect(200);
    let mut operations: Vec<String> = doc.body["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |method| format!("{method} {path}"))
        })
        .collect();
    operations.sort();
    assert_eq!(
        operations,
        [
            "delete /api/v1/devices/{id}",
            "delete /api/v1/groups/{id}",
            "delete /api/v1/groups/{id}/deployment-tokens/{tid}",
            "delete /api/v1/profiles/{id}",
            "delete /api/v1/retention-policies/{id}",
            "delete /api/v1/users/{id}",
            "delete /api/v1/users/{id}/tokens/{token_id}",
            "get /api/v1/devices/{id}",
            "get /api/v1/devices/{id}/history",
            "get /api/v1/groups/{id}",
            "get /api/v1/groups/{id}/ancestors",
            "get /api/v1/groups/{id}/backup-defaults",
            "get /api/v1/groups/{id}/children",
            "get /api/v1/groups/{id}/company",
            "get /api/v1/groups/{id}/deployment-tokens",
            "get /api/v1/groups/{id}/descendants",
            "get /api/v1/groups/{id}/device-counts",
            "get /api/v1/groups/{id}/devices",
            "get /api/v1/groups/{id}/downloads",
            "get /api/v1/groups/{id}/downloads/{os}/{file}",
            "get /api/v1/groups/{id}/export",
            "get /api/v1/groups/{id}/modules",
            "get /api/v1/groups/{id}/profiles",
            "get /api/v1/groups/{id}/retention-policies",
            "get /api/v1/groups/{id}/users",
            "get /api/v1/me",
            "get /api/v1/plugins",
            "get /api/v1/profiles/{id}",
            "get /api/v1/retention-policies/{id}",
            "get /api/v1/users/{id}",
            "get /api/v1/users/{id}/tokens",
            "get /healthz",
            "get /metrics",
            "get /readyz",
            "patch /api/v1/devices/{id}",
            "patch /api/v1/groups/{id}",
            "patch /api/v1/groups/{id}/backup-defaults",
            "patch /api/v1/profiles/{id}",
            "patch /api/v1/retention-policies/{id}",
            "patch /api/v1/users/{id}",
            "post /api/v1/auth/login",
            "post /api/v1/auth/logout",
            "post /api/v1/devices/{id}/passphrase",
            "post /api/v1/devices/{id}/sessions",
            "post /api/v1/enroll",
            "post /api/v1/groups",
            "post /api/v1/groups/{id}/deployment-tokens",
            "post /api/v1/groups/{id}/devices",
            "post /api/v1/groups/{id}/import",
            "post /api/v1/groups/{id}/profiles",
            "post /api/v1/groups/{id}/retention-policies",
            "post /api/v1/groups/{id}/users",
            "post /api/v1/users/{id}/tokens",
            "post /api/v1/users/{id}/unlock",
            "put /api/v1/groups/{id}/company",
        ]
    );
    assert!(doc.body["components"]["schemas"]["ErrorBody"].is_object());
}

#[test]
fn unknown_endpoints_answer_in_the_error_shape() {
    let server = TestServer::start();
    server
        .get("/api/v1/nothing-here")
        .expect_error(404, "not_found");
    server.get("/elsewhere").expect_error(404, "not_found");
}

/// A path that exists answers a wrong method 405 with the methods it has, and `HEAD` wherever
/// it answers `GET`: for the host's routes, the plugins' and the console's alike.
#[test]
fn wrong_methods_answer_405_with_allow_and_head_works_where_get_does() {
    let server = TestServer::start();
    for (method, path, allow) in [
        ("PUT", "/api/v1/groups/1", "GET, HEAD, PATCH, DELETE"),
        ("DELETE", "/api/v1/groups", "POST"),
        ("POST", "/healthz", "GET, HEAD"),
        ("POST", "/api/v1/openapi.json", "GET, HEAD"),
        ("DELETE", "/api/v1/groups/1/contacts", "GET, HEAD, POST"),
        ("PUT", "/customers", "GET, HEAD"),
    ] {
        let reply = server
            .request(method, path, None, &[])
            .expect_error(405, "method_not_allowed");
        assert_eq!(reply.header("allow"), Some(allow), "{method} {path}");
    }
    // The unknown stays unknown, whatever the method.
    server
        .request("PUT", "/api/v1/nothing-here", None, &[])
        .expect_error(404, "not_found");

    for path in ["/api/v1/groups/1", "/healthz", "/api/v1/openapi.json"] {
        let get = server.get(path).expect(200);
        let head = server.request("HEAD", path, None, &[]).expect(200);
        assert!(head.text.is_empty(), "HEAD {path} has no body");
        assert_eq!(
            head.header("content-length"),
            get.header("content-length"),
            "HEAD {path} says how long the GET is"
        );
        assert_eq!(head.header("content-type"), get.header("content-type"));
    }
    server
        .request("HEAD", "/api/v1/groups/999999", None, &[])
        .expect(404);
}

/// A lost PostgreSQL connection is the environment's fault, not the request's: 503
/// `unavailable` with `Retry-After` (nothing was written), never a 500; the next request gets a
/// new connection. (SQLite has no connection to lose; its faults, a full disk or a read-only
/// file, map the same way.)
#[test]
fn a_lost_database_connection_answers_503_then_recovers() {
    use diesel::{Connection, RunQueryDsl};
    let database = tenantry_tests::TestDatabase::fresh();
    if !database.url().starts_with("postgres") {
        return;
    }
    let url = database.url().to_owned();
    let server = TestServer::start_with(database, &[("TENANTRY__DATABASE__POOL_SIZE", "1")]);
    server.get("/api/v1/groups/1").expect(200);
    let mut admin = diesel::PgConnection::establish(&url).unwrap();
    diesel::sql_query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .execute(&mut admin)
    .unwrap();
    let mut answers = Vec::new();
    for _ in 0..3 {
        let reply = server.get("/api/v1/groups/1");
        if reply.status != 200 {
            assert_eq!(reply.status, 503, "{}", reply.text);
            assert_eq!(reply.body["code"], "unavailable");
            assert_eq!(reply.header("retry-after"), Some("1"));
        }
        answers.push(reply.status);
    }
    assert!(answers.contains(&503), "{answers:?}");
    assert_eq!(answers.last(), Some(&200), "{answers:?}");
    let started = std::time::Instant::now();
    server
        .request("GET", "/readyz", None, &[("Authorization", "")])
        .expect(200);
    assert!(started.elapsed() < std::time::Duration::from_secs(1));
}

/// A small volume: every file may grow to 20 MiB (`ulimit -f`, as a disk that fills). The write
/// that finds no room is answered 503 `unavailable` with `Retry-After`, never 500; reads go on;
/// `/readyz` turns not-ready; and it is the database that filled the room, not its write-ahead
/// log (which checkpoints at 16 MB, below the room, and so never takes it all).
#[test]
fn on_a_full_disk_writes_answer_503_reads_go_on_and_the_log_stays_bounded() {
    let database = tenantry_tests::TestDatabase::fresh();
    let Some(file) = database.url().strip_prefix("sqlite://").map(str::to_owned) else {
        return; // PostgreSQL's disk is the database server's.
    };
    let server = TestServer::start_with(database, &[(tenantry_tests::FILE_SIZE_LIMIT_KB, "20480")]);
    let padding = "x".repeat(80);
    let mut refused = None;
    for round in 0..60 {
        let mut csv = String::from("name,parent,level\n");
        for n in 0..5_000 {
            csv.push_str(&format!(
                "Filler {round} {n} {padding},{},site\n",
                tenantry_tests::ROOT_NAME
            ));
        }
        let reply = server.raw("POST", "/api/v1/groups/1/import", "text/csv", &csv);
        if reply.status != 201 {
            refused = Some(reply);
            break;
        }
    }
    let refused = refused.expect("the volume never filled");
    assert_eq!(
        (refused.status, refused.code()),
        (503, "unavailable"),
        "{}",
        &refused.text[..refused.text.len().min(500)]
    );
    assert!(refused.header("retry-after").is_some());
    let size = |path: &str| std::fs::metadata(path).map_or(0, |m| m.len());
    let (db, wal) = (size(&file), size(&format!("{file}-wal")));
    assert!(
        db > 12 << 20,
        "the database should have filled the room, not its log: database {db} bytes, log {wal}"
    );
    // Small writes may still find room; fill it to the last page, every refusal a 503.
    let mut full = false;
    for n in 0..20_000 {
        let reply = server.post(
            "/api/v1/groups",
            serde_json::json!({"name": format!("Last {n} {padding}"), "parent_id": 1, "level": "site"}),
        );
        match reply.status {
            201 => {}
            503 => {
                assert_eq!(reply.code(), "unavailable");
                full = true;
                break;
            }
            other => panic!("{other}: {}", reply.text),
        }
    }
    assert!(full, "the volume never filled to the last page");
    // Reads go on.
    server.get("/api/v1/groups/1").expect(200);
    server.get("/api/v1/groups/1/children?limit=5").expect(200);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
    loop {
        let ready = server.request("GET", "/readyz", None, &[("Authorization", "")]);
        if ready.status == 503 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "/readyz still ready: {}",
            ready.text
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}
