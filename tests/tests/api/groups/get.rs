use tenantry_tests::TestServer;

#[test]
fn a_group_comes_with_its_etag() {
    let server = TestServer::start();
    let root = server.get("/api/v1/groups/1").expect(200);
    assert_eq!(root.header("etag"), Some("\"group-1-v1\""));
    assert_eq!(root.body["name"], "My Company");
    assert_eq!(root.body["level"], "distributor");
    assert_eq!(root.body["parent_id"], serde_json::Value::Null);
}

#[test]
fn unknown_ids_are_not_found() {
    let server = TestServer::start();
    server
        .get("/api/v1/groups/999")
        .expect_error(404, "not_found");
    server
        .get("/api/v1/groups/not-a-number")
        .expect_error(404, "not_found");
    server
        .get("/api/v1/groups/-1")
        .expect_error(404, "not_found");
    server
        .get(&format!("/api/v1/groups/{}", u64::MAX))
        .expect_error(404, "not_found");
}

#[test]
fn callers_must_authenticate() {
    let server = TestServer::start();
    let none = server.request("GET", "/api/v1/groups/1", None, &[("Authorization", "")]);
    let none = none.expect_error(401, "unauthenticated");
    assert_eq!(none.header("www-authenticate"), Some("Bearer"));
    let lower = format!("bearer {}", server.token);
    server
        .request(
            "GET",
            "/api/v1/groups/1",
            None,
            &[("Authorization", &lower)],
        )
        .expect(200);
    let lower = format!("bearer {}", server.token);
    server
        .request(
            "GET",
            "/api/v1/groups/1",
            None,
            &[("Authorization", &lower)],
        )
        .expect(200);
    let wrong = format!("Bearer {}x", server.token);
    server
        .request(
            "GET",
            "/api/v1/groups/1",
            None,
            &[("Authorization", &wrong)],
        )
        .expect_error(401, "unauthenticated");
    let basic = "Basic dXNlcjpwYXNz";
    server
        .request("GET", "/api/v1/groups/1", None, &[("Authorization", basic)])
        .expect_error(401, "unauthenticated");
}
