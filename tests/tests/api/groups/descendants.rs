use serde_json::json;
use tenantry_tests::TestServer;

use super::names;

/// Root > A (sub) > A1 (reseller) > A1x (site); Root > B (reseller, production) > B1 (end-customer).
fn tree(server: &TestServer) {
    let a = server.create_group("Alpha", 1, "sub_distributor");
    let a1 = server.create_group("Alpha One", a, "reseller");
    server.create_group("Alpha 100% Site_x", a1, "site");
    let b = server
        .post(
            "/api/v1/groups",
            json!({"name": "Beta", "parent_id": 1, "level": "reseller", "state": "production"}),
        )
        .expect(201)
        .id();
    server
        .post(
            "/api/v1/groups",
            json!({"name": "Beta Old", "parent_id": b, "level": "end_customer", "trial_expires_at": "2021-01-01T00:00:00Z"}),
        )
        .expect(201);
}

#[test]
fn descendants_come_depth_first() {
    let server = TestServer::start();
    tree(&server);
    let all = server.get("/api/v1/groups/1/descendants").expect(200);
    assert_eq!(
        names(&all),
        [
            "Alpha",
            "Alpha One",
            "Alpha 100% Site_x",
            "Beta",
            "Beta Old"
        ]
    );
    assert_eq!(all.body["has_more"], false);
    let alpha = all.body["items"][0]["id"].as_i64().unwrap();
    assert_eq!(
        names(
            &server
                .get(&format!("/api/v1/groups/{alpha}/descendants"))
                .expect(200)
        ),
        ["Alpha One", "Alpha 100% Site_x"]
    );
}

#[test]
fn descendants_filter_by_level_state_and_name() {
    let server = TestServer::start();
    tree(&server);
    let get = |query: &str| {
        names(
            &server
                .get(&format!("/api/v1/groups/1/descendants?{query}"))
                .expect(200),
        )
    };
    assert_eq!(get("level=reseller"), ["Alpha One", "Beta"]);
    assert_eq!(get("state=production"), ["Beta"]);
    assert_eq!(
        get("state=expired"),
        ["Beta Old"],
        "a trial past its expiry is expired"
    );
    assert_eq!(
        get("state=trial"),
        ["Alpha", "Alpha One", "Alpha 100% Site_x"]
    );
    assert_eq!(get("name=ALPHA%20O"), ["Alpha One"]);
    assert_eq!(
        get("name=100%25"),
        ["Alpha 100% Site_x"],
        "% is a character, not a wildcard"
    );
    assert_eq!(
        get("name=_"),
        ["Alpha 100% Site_x"],
        "_ is a character, not a wildcard"
    );
    assert_eq!(get("level=site&name=beta"), Vec::<String>::new());
    server
        .get("/api/v1/groups/1/descendants?level=planet")
        .expect_error(422, "validation_failed");
    server
        .get("/api/v1/groups/1/descendants?name=a%00b")
        .expect_error(422, "validation_failed");
    server
        .get(&format!(
            "/api/v1/groups/1/descendants?name={}",
            "x".repeat(101)
        ))
        .expect_error(422, "validation_failed");
    server
        .get("/api/v1/groups/1/descendants?state=sleeping")
        .expect_error(422, "validation_failed");
}

#[test]
fn descendant_pages_chain_without_gaps_or_repeats() {
    let server = TestServer::start();
    let mut created = Vec::new();
    for i in 0..4 {
        let r = server.create_group(&format!("R{i}"), 1, "reseller");
        created.push(r);
        for j in 0..3 {
            created.push(server.create_group(&format!("R{i} C{j}"), r, "end_customer"));
        }
    }
    let mut seen = Vec::new();
    let mut query = "limit=5".to_owned();
    loop {
        let page = server
            .get(&format!("/api/v1/groups/1/descendants?{query}"))
            .expect(200);
        seen.extend(
            page.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| g["id"].as_i64().unwrap()),
        );
        match page.body["next_cursor"].as_str() {
            Some(cursor) => query = format!("limit=5&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen, created, "creation order is depth-first order here");
}

#[test]
fn filtered_pages_chain_and_end_exactly_on_the_limit() {
    let server = TestServer::start();
    let mut customers = Vec::new();
    for i in 0..4 {
        let r = server.create_group(&format!("R{i}"), 1, "reseller");
        for j in 0..3 {
            customers.push(server.create_group(&format!("R{i} C{j}"), r, "end_customer"));
        }
    }
    let mut pages = Vec::new();
    let mut query = "level=end_customer&limit=3".to_owned();
    loop {
        let page = server
            .get(&format!("/api/v1/groups/1/descendants?{query}"))
            .expect(200);
        let ids: Vec<i64> = page.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["id"].as_i64().unwrap())
            .collect();
        pages.push(ids);
        match page.body["next_cursor"].as_str() {
            Some(cursor) => query = format!("level=end_customer&limit=3&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(
        pages.len(),
        4,
        "12 matches in pages of 3: the fourth says no more follow"
    );
    assert_eq!(pages.concat(), customers);
}
