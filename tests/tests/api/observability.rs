//! What operators watch: readiness, Prometheus metrics and request ids.

use tenantry_tests::TestServer;

fn without_token(server: &TestServer, path: &str) -> tenantry_tests::Reply {
    server.request("GET", path, None, &[("Authorization", "")])
}

#[test]
fn readiness_lists_the_plugins_the_server_runs() {
    let server = TestServer::start();
    let ready = without_token(&server, "/readyz").expect(200);
    let loaded: Vec<String> = server.get("/api/v1/plugins").expect(200).body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect();
    let listed: Vec<String> = ready.body["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(listed, loaded);
}

#[test]
fn metrics_count_requests_by_route_pattern_and_status() {
    let server = TestServer::start();
    let id = server.create_group("Measured", 1, "reseller");
    for _ in 0..3 {
        server.get(&format!("/api/v1/groups/{id}")).expect(200);
    }
    server.get("/api/v1/groups/987654").expect(404);
    let text = without_token(&server, "/metrics").expect(200).text;
    let count = |labels: &str| {
        text.lines()
            .find(|l| {
                l.starts_with("tenantry_http_request_duration_seconds_count") && l.contains(labels)
            })
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(0)
    };
    assert_eq!(
        count("method=\"GET\",route=\"/api/v1/groups/{id}\",status=\"200\""),
        3,
        "{text}"
    );
    assert_eq!(
        count("method=\"GET\",route=\"/api/v1/groups/{id}\",status=\"404\""),
        1,
        "{text}"
    );
    assert!(!text.contains("987654"), "ids never become labels");
    assert!(text.contains("tenantry_db_pool_connections{"), "{text}");
    assert!(
        text.contains("tenantry_http_request_duration_seconds_bucket{"),
        "latency histograms: {text}"
    );
}

#[test]
fn metrics_time_plugin_hooks() {
    let server = TestServer::start();
    let id = server.create_group("Hooked", 1, "reseller");
    // The CRM plugin hears of every update.
    server
        .patch(
            &format!("/api/v1/groups/{id}"),
            serde_json::json!({"name": "Hooked 2"}),
        )
        .expect(200);
    let text = without_token(&server, "/metrics").expect(200).text;
    assert!(
        text.contains(
            "tenantry_plugin_call_duration_seconds_count{plugin=\"crm\",call=\"before_update\"} 1"
        ),
        "{text}"
    );
}

#[test]
fn every_answer_carries_a_request_id() {
    let server = TestServer::start();
    let first = without_token(&server, "/healthz").expect(200);
    let second = without_token(&server, "/healthz").expect(200);
    let id = |reply: &tenantry_tests::Reply| reply.header("x-request-id").unwrap_or("").to_owned();
    assert_eq!(id(&first).len(), 32, "a new id: {:?}", first.headers);
    assert_ne!(id(&first), id(&second));
    // A proxy's id is kept, so one id follows the request through every hop; junk is replaced.
    let kept = server.request(
        "GET",
        "/api/v1/groups/987654",
        None,
        &[("X-Request-Id", "edge-7f3a.1")],
    );
    assert_eq!(kept.status, 404);
    assert_eq!(id(&kept), "edge-7f3a.1", "errors carry it too");
    assert!(
        server
            .log()
            .lines()
            .any(|l| l.contains("edge-7f3a.1") && l.contains("/api/v1/groups/987654")),
        "the access log line carries the id:\n{}",
        server.log()
    );
    let replaced = server.request("GET", "/healthz", None, &[("X-Request-Id", "a b")]);
    assert_eq!(id(&replaced).len(), 32);
}
