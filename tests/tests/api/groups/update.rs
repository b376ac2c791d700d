use serde_json::json;
use tenantry_tests::TestServer;

#[test]
fn a_rename_frees_the_old_name_and_bumps_the_etag() {
    let server = TestServer::start();
    let id = server.create_group("Old Name", 1, "reseller");
    let renamed = server
        .patch(&format!("/api/v1/groups/{id}"), json!({"name": "New Name"}))
        .expect(200);
    assert_eq!(renamed.body["name"], "New Name");
    assert_eq!(renamed.body["version"], 2);
    assert_eq!(
        renamed.header("etag"),
        Some(format!("\"group-{id}-v2\"").as_str())
    );
    server.create_group("old name", 1, "reseller");
    // Changing only the case of one's own name is not a clash with oneself.
    server
        .patch(&format!("/api/v1/groups/{id}"), json!({"name": "NEW NAME"}))
        .expect(200);
}

#[test]
fn a_rename_to_a_taken_name_changes_nothing() {
    let server = TestServer::start();
    server.create_group("Taken", 1, "reseller");
    let id = server.create_group("Mine", 1, "reseller");
    server
        .patch(
            &format!("/api/v1/groups/{id}"),
            json!({"name": "TAKEN", "service_type": "software_only"}),
        )
        .expect_error(409, "name_taken");
    let after = server.get(&format!("/api/v1/groups/{id}")).expect(200);
    assert_eq!(
        (
            after.body["name"].as_str(),
            after.body["service_type"].as_str()
        ),
        (Some("Mine"), Some("all_inclusive"))
    );
    assert_eq!(after.body["version"], 1);
}

#[test]
fn if_match_makes_a_change_conditional() {
    let server = TestServer::start();
    let id = server.create_group("Acme", 1, "reseller");
    let path = format!("/api/v1/groups/{id}");
    let etag = server
        .get(&path)
        .expect(200)
        .header("etag")
        .unwrap()
        .to_owned();
    server
        .request(
            "PATCH",
            &path,
            Some(&json!({"name": "First"})),
            &[("If-Match", &etag)],
        )
        .expect(200);
    server
        .request(
            "PATCH",
            &path,
            Some(&json!({"name": "Second"})),
            &[("If-Match", &etag)],
        )
        .expect_error(412, "precondition_failed");
    assert_eq!(server.get(&path).expect(200).body["name"], "First");
    server
        .request(
            "PATCH",
            &path,
            Some(&json!({"name": "Third"})),
            &[("If-Match", "*")],
        )
        .expect(200);
}

#[test]
fn properties_change_and_clear() {
    let server = TestServer::start();
    let id = server
        .post(
            "/api/v1/groups",
            json!({"name": "A", "parent_id": 1, "level": "reseller", "customer_reference": "X-1"}),
        )
        .expect(201)
        .id();
    let path = format!("/api/v1/groups/{id}");
    let changed = server
        .patch(&path, json!({"customer_reference": null, "state": "production", "automatic_deployment": true}))
        .expect(200);
    assert_eq!(changed.body["customer_reference"], serde_json::Value::Null);
    assert_eq!(changed.body["state"], "production");
    assert_eq!(
        changed.body["trial_expires_at"],
        serde_json::Value::Null,
        "leaving a trial clears its expiry"
    );
    assert_eq!(changed.body["automatic_deployment"], true);
    let trial = server
        .patch(
            &path,
            json!({"state": "trial", "trial_expires_at": "2099-05-01T00:00:00Z"}),
        )
        .expect(200);
    assert_eq!(trial.body["trial_expires_at"], "2099-05-01T00:00:00Z");
    server
        .patch(&path, json!({"trial_expires_at": null}))
        .expect_error(422, "validation_failed");
    server
        .patch(&path, json!({"nmae": "typo"}))
        .expect_error(422, "validation_failed");
    for field in [
        "name",
        "parent_id",
        "level",
        "service_type",
        "state",
        "automatic_deployment",
    ] {
        let reply = server
            .patch(&path, json!({field: null}))
            .expect_error(422, "validation_failed");
        assert_eq!(reply.body["errors"][0]["field"], field);
    }
    let unchanged = server.patch(&path, json!({})).expect(200);
    assert_eq!(
        unchanged.body["version"], trial.body["version"],
        "an empty change is not a new version"
    );
}

#[test]
fn a_level_change_respects_parent_and_children() {
    let server = TestServer::start();
    let reseller = server.create_group("R", 1, "reseller");
    let customer = server.create_group("C", reseller, "end_customer");
    let path = format!("/api/v1/groups/{reseller}");
    server
        .patch(&path, json!({"level": "end_customer"}))
        .expect_error(409, "level_violation");
    server
        .patch(&path, json!({"level": "site"}))
        .expect_error(409, "level_violation");
    server
        .patch(&path, json!({"level": "distributor"}))
        .expect_error(409, "level_violation");
    server
        .patch(&path, json!({"level": "sub_distributor"}))
        .expect(200);
    server
        .patch(
            &format!("/api/v1/groups/{customer}"),
            json!({"level": "site"}),
        )
        .expect(200);
    assert_eq!(
        server.get(&path).expect(200).body["level"],
        "sub_distributor"
    );
}

#[test]
fn a_level_without_quick_installation_cannot_keep_automatic_deployment() {
    let server = TestServer::start();
    let id = server
        .post(
            "/api/v1/groups",
            json!({"name": "R", "parent_id": 1, "level": "reseller", "automatic_deployment": true}),
        )
        .expect(201)
        .id();
    let path = format!("/api/v1/groups/{id}");
    server
        .patch(&path, json!({"level": "sub_distributor"}))
        .expect_error(403, "module_unavailable");
    server
        .patch(
            &path,
            json!({"level": "sub_distributor", "automatic_deployment": false}),
        )
        .expect(200);
}

#[test]
fn the_root_can_be_renamed_but_not_given_a_parent() {
    let server = TestServer::start();
    let reseller = server.create_group("R", 1, "reseller");
    server
        .patch("/api/v1/groups/1", json!({"name": "Provider Inc"}))
        .expect(200);
    server
        .patch("/api/v1/groups/1", json!({"parent_id": reseller}))
        .expect_error(403, "forbidden");
}
