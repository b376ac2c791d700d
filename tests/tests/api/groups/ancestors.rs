use tenantry_tests::TestServer;

#[test]
fn ancestors_run_from_the_root_down() {
    let server = TestServer::start();
    let sub = server.create_group("Sub", 1, "sub_distributor");
    let reseller = server.create_group("Res", sub, "reseller");
    let site = server.create_group("Site", reseller, "site");
    let reply = server
        .get(&format!("/api/v1/groups/{site}/ancestors"))
        .expect(200);
    let ids: Vec<i64> = reply.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [1, sub, reseller]);
    assert!(
        server.get("/api/v1/groups/1/ancestors").expect(200).body["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    server
        .get("/api/v1/groups/999/ancestors")
        .expect_error(404, "not_found");
}
