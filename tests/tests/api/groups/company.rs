use serde_json::json;
use tenantry_tests::TestServer;

#[test]
fn the_company_profile_is_saved_whole() {
    let server = TestServer::start();
    let id = server.create_group("Acme", 1, "end_customer");
    let path = format!("/api/v1/groups/{id}/company");
    let empty = server.get(&path).expect(200);
    assert_eq!(empty.body["legal_name"], serde_json::Value::Null);
    assert_eq!(
        empty.header("etag"),
        Some(format!("\"company-{id}-v0\"").as_str())
    );

    let saved = server
        .put(&path, json!({"legal_name": " Acme B.V. ", "city": "Utrecht", "country": "NL", "vat_number": "NL001"}))
        .expect(200);
    assert_eq!(saved.body["legal_name"], "Acme B.V.");
    assert_eq!(server.get(&path).expect(200).body, saved.body);

    let replaced = server.put(&path, json!({"city": "Delft"})).expect(200);
    assert_eq!(
        replaced.body["legal_name"],
        serde_json::Value::Null,
        "PUT replaces the whole profile"
    );
    assert_eq!(
        replaced.header("etag"),
        Some(format!("\"company-{id}-v2\"").as_str())
    );
}

#[test]
fn bad_profiles_and_stale_versions_are_refused() {
    let server = TestServer::start();
    let id = server.create_group("Acme", 1, "end_customer");
    let path = format!("/api/v1/groups/{id}/company");
    let reply = server
        .put(&path, json!({"website": "x".repeat(201), "phone": "1\n2"}))
        .expect_error(422, "validation_failed");
    assert_eq!(
        reply.body["errors"].as_array().unwrap().len(),
        2,
        "every bad field is named"
    );
    server
        .put(&path, json!({"town": "Delft"}))
        .expect_error(422, "validation_failed");
    server
        .request(
            "PUT",
            &path,
            Some(&json!({"city": "Delft"})),
            &[("If-Match", "\"company-1-v0\"")],
        )
        .expect_error(412, "precondition_failed");
    server
        .request(
            "PUT",
            &path,
            Some(&json!({"city": "Delft"})),
            &[("If-Match", &format!("\"company-{id}-v0\""))],
        )
        .expect(200);
    // Someone saved version 1 since: a change based on version 0 is stale now.
    server
        .request(
            "PUT",
            &path,
            Some(&json!({"city": "Leiden"})),
            &[("If-Match", &format!("\"company-{id}-v0\""))],
        )
        .expect_error(412, "precondition_failed");
    assert_eq!(server.get(&path).expect(200).body["city"], "Delft");
    server
        .put("/api/v1/groups/999/company", json!({}))
        .expect_error(404, "not_found");
}
