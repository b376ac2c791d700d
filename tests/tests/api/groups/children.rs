use tenantry_tests::TestServer;

fn ids(reply: &tenantry_tests::Reply) -> Vec<i64> {
    reply.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["id"].as_i64().unwrap())
        .collect()
}

#[test]
fn children_page_by_id_to_the_end() {
    let server = TestServer::start();
    let created: Vec<i64> = (0..5)
        .map(|i| server.create_group(&format!("Child {i}"), 1, "reseller"))
        .collect();
    let grandchild = server.create_group("Grandchild", created[0], "site");

    let mut seen = Vec::new();
    let mut path = "/api/v1/groups/1/children?limit=2".to_owned();
    loop {
        let page = server.get(&path).expect(200);
        assert!(ids(&page).len() <= 2);
        seen.extend(ids(&page));
        assert_eq!(
            page.body["has_more"].as_bool(),
            Some(page.body["next_cursor"].is_string())
        );
        match page.body["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/groups/1/children?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(
        seen, created,
        "every child once, in id order, no grandchildren"
    );
    assert!(!seen.contains(&grandchild));
}

#[test]
fn paging_input_is_checked() {
    let server = TestServer::start();
    for query in [
        "limit=0",
        "limit=501",
        "limit=x",
        "cursor=zz",
        "cursor=abc",
        // These decode, but to text no path holds: a NUL byte must never reach SQL.
        "cursor=00",
        "cursor=2f002f",
        "colour=red",
    ] {
        server
            .get(&format!("/api/v1/groups/1/children?{query}"))
            .expect_error(422, "validation_failed");
    }
    server
        .get("/api/v1/groups/1/children?limit=500")
        .expect(200);
    server
        .get("/api/v1/groups/77/children")
        .expect_error(404, "not_found");
}
