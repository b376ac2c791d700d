use serde_json::json;
use tenantry_tests::TestServer;

use super::names;

#[test]
fn a_move_takes_the_whole_subtree_along() {
    let server = TestServer::start();
    let north = server.create_group("North", 1, "sub_distributor");
    let south = server.create_group("South", 1, "sub_distributor");
    let reseller = server.create_group("R", north, "reseller");
    let customer = server.create_group("C", reseller, "end_customer");
    let site = server.create_group("S", customer, "site");

    let moved = server
        .patch(
            &format!("/api/v1/groups/{reseller}"),
            json!({"parent_id": south}),
        )
        .expect(200);
    assert_eq!(moved.body["parent_id"], south);
    assert_eq!(moved.body["id"], reseller, "ids never change");

    let ancestors = server
        .get(&format!("/api/v1/groups/{site}/ancestors"))
        .expect(200);
    assert_eq!(names(&ancestors), ["My Company", "South", "R", "C"]);
    assert_eq!(
        names(
            &server
                .get(&format!("/api/v1/groups/{south}/descendants"))
                .expect(200)
        ),
        ["R", "C", "S"]
    );
    assert!(
        names(
            &server
                .get(&format!("/api/v1/groups/{north}/descendants"))
                .expect(200)
        )
        .is_empty()
    );
    assert_eq!(
        ancestors.body["items"].as_array().unwrap().len(),
        4,
        "the site now sits four below the root"
    );
}

#[test]
fn a_move_may_change_the_level_on_the_way() {
    let server = TestServer::start();
    let sub = server.create_group("Sub", 1, "sub_distributor");
    let other = server.create_group("Other", 1, "sub_distributor");
    let site = server.create_group("Site", other, "site");
    server
        .patch(
            &format!("/api/v1/groups/{other}"),
            json!({"parent_id": sub}),
        )
        .expect_error(409, "level_violation");
    server
        .patch(
            &format!("/api/v1/groups/{other}"),
            json!({"parent_id": sub, "level": "reseller"}),
        )
        .expect(200);
    assert_eq!(
        server
            .get(&format!("/api/v1/groups/{site}/ancestors"))
            .expect(200)
            .body["items"][2]["name"],
        "Other"
    );
}

#[test]
fn no_group_moves_under_itself_or_its_descendants() {
    let server = TestServer::start();
    let sub = server.create_group("Sub", 1, "sub_distributor");
    let reseller = server.create_group("R", sub, "reseller");
    let customer = server.create_group("C", reseller, "end_customer");
    for target in [sub, reseller, customer] {
        server
            .patch(
                &format!("/api/v1/groups/{sub}"),
                json!({"parent_id": target}),
            )
            .expect_error(422, "invalid_parent");
    }
    server
        .patch(&format!("/api/v1/groups/{sub}"), json!({"parent_id": 4242}))
        .expect_error(422, "invalid_parent");
    assert_eq!(
        server
            .get(&format!("/api/v1/groups/{sub}"))
            .expect(200)
            .body["parent_id"],
        1
    );
}

#[test]
fn a_refused_move_leaves_the_whole_subtree_as_it_was() {
    let server = TestServer::start();
    let a = server.create_group("A", 1, "sub_distributor");
    let b = server.create_group("B", 1, "sub_distributor");
    let reseller = server.create_group("R", a, "reseller");
    server.create_group("C", reseller, "end_customer");
    // Moving R under B as an end-customer breaks the rule between R and its own child C.
    server
        .patch(
            &format!("/api/v1/groups/{reseller}"),
            json!({"parent_id": b, "level": "end_customer"}),
        )
        .expect_error(409, "level_violation");
    assert_eq!(
        names(
            &server
                .get(&format!("/api/v1/groups/{a}/descendants"))
                .expect(200)
        ),
        ["R", "C"]
    );
    let r = server
        .get(&format!("/api/v1/groups/{reseller}"))
        .expect(200);
    assert_eq!(
        (
            r.body["parent_id"].as_i64(),
            r.body["level"].as_str(),
            r.body["version"].as_i64()
        ),
        (Some(a), Some("reseller"), Some(1))
    );
}
