//! Each account type on each group and user endpoint, end to end. The expectations are written
//! out here, not derived from the server's permission table, so that a change to the table shows
//! up as a failing test to update on purpose.

use serde_json::json;
use tenantry_tests::TestServer;

const ROLES: [&str; 5] = [
    "superuser",
    "administrator",
    "manager",
    "operator",
    "supporter",
];

/// Expected status per role, in the order of [`ROLES`].
type Row = (&'static str, [u16; 5]);

const READ: [u16; 5] = [200, 200, 200, 200, 200];
const CUSTOMER_MANAGERS_OK: [u16; 5] = [200, 200, 403, 403, 403];
const CUSTOMER_MANAGERS_CREATED: [u16; 5] = [201, 201, 403, 403, 403];
const CUSTOMER_MANAGERS_REMOVED: [u16; 5] = [204, 204, 403, 403, 403];

#[test]
fn each_account_type_on_each_endpoint() {
    let server = TestServer::start();
    // The callers sit in a Sub-distributor; the targets are its customers.
    let home = server.create_group("Home", 1, "sub_distributor");
    let target = server.create_group("Target", home, "reseller");
    server.create_group("Target child", target, "end_customer");
    let callers: Vec<String> = ROLES
        .iter()
        .map(|role| {
            server
                .create_user(home, &format!("{role}@home.example"), role, false)
                .1
        })
        .collect();

    for path in [
        format!("/api/v1/groups/{target}"),
        format!("/api/v1/groups/{target}/children"),
        format!("/api/v1/groups/{target}/descendants"),
        format!("/api/v1/groups/{target}/ancestors"),
        format!("/api/v1/groups/{target}/modules"),
        format!("/api/v1/groups/{target}/company"),
        format!("/api/v1/groups/{target}/users"),
        format!("/api/v1/groups/{target}/export"),
        "/api/v1/me".to_owned(),
    ] {
        check(&server, &callers, "GET", &path, READ);
    }

    // Writes: each role gets its own fresh target so that one role's success does not change
    // what the next one sees.
    let writes: [Row; 6] = [
        ("create a customer", CUSTOMER_MANAGERS_CREATED),
        ("import customers", CUSTOMER_MANAGERS_CREATED),
        ("rename a customer", CUSTOMER_MANAGERS_OK),
        ("edit its company profile", CUSTOMER_MANAGERS_OK),
        ("remove a customer", CUSTOMER_MANAGERS_REMOVED),
        ("add a user", CUSTOMER_MANAGERS_CREATED),
    ];
    for (what, expected) in writes {
        for (i, token) in callers.iter().enumerate() {
            let fresh = server.create_group(&format!("{what} {i}"), home, "reseller");
            let caller = server.with_token(token);
            let reply = match what {
                "create a customer" => caller.post(
                    "/api/v1/groups",
                    json!({"name": format!("new {i}"), "parent_id": fresh, "level": "site"}),
                ),
                "import customers" => caller.raw(
                    "POST",
                    &format!("/api/v1/groups/{fresh}/import"),
                    "text/csv",
                    format!("name,parent,level\nimported {i},{what} {i},site\n").as_bytes(),
                ),
                "rename a customer" => caller.patch(
                    &format!("/api/v1/groups/{fresh}"),
                    json!({"name": format!("renamed {i}")}),
                ),
                "edit its company profile" => caller.put(
                    &format!("/api/v1/groups/{fresh}/company"),
                    json!({"legal_name": "Fresh Ltd"}),
                ),
                "remove a customer" => caller.delete(&format!("/api/v1/groups/{fresh}")),
                "add a user" => caller.post(
                    &format!("/api/v1/groups/{fresh}/users"),
                    json!({"username": format!("new{i}@fresh.example"), "role": "supporter",
                           "password": "a long enough password"}),
                ),
                _ => unreachable!(),
            };
            assert_eq!(
                reply.status, expected[i],
                "{} may {what}? {}",
                ROLES[i], reply.text
            );
            if reply.status == 403 {
                assert_eq!(reply.code(), "forbidden");
            }
        }
    }
}

fn check(server: &TestServer, callers: &[String], method: &str, path: &str, expected: [u16; 5]) {
    for (i, token) in callers.iter().enumerate() {
        let reply = server.with_token(token).request(method, path, None);
        assert_eq!(
            reply.status, expected[i],
            "{} {method} {path}: {}",
            ROLES[i], reply.text
        );
    }
}

#[test]
fn a_group_is_managed_from_above_not_by_its_own_users() {
    let server = TestServer::start();
    let acme = server.create_group("Acme", 1, "reseller");
    let (_, boss) = server.create_user(acme, "boss@acme.example", "superuser", true);
    let caller = server.with_token(&boss);
    caller
        .patch(
            &format!("/api/v1/groups/{acme}"),
            json!({"name": "Acme Free"}),
        )
        .expect_error(403, "forbidden");
    caller
        .patch(
            &format!("/api/v1/groups/{acme}"),
            json!({"state": "production"}),
        )
        .expect_error(403, "forbidden");
    caller
        .delete(&format!("/api/v1/groups/{acme}"))
        .expect_error(403, "forbidden");
    // Its own company profile and its customers are its business.
    caller
        .put(
            &format!("/api/v1/groups/{acme}/company"),
            json!({"legal_name": "Acme Ltd"}),
        )
        .expect(200);
    let customer = caller
        .post(
            "/api/v1/groups",
            json!({"name": "Acme customer", "parent_id": acme, "level": "end_customer"}),
        )
        .expect(201)
        .id();
    caller
        .patch(
            &format!("/api/v1/groups/{customer}"),
            json!({"name": "Acme customer 2"}),
        )
        .expect(200);
    // The root's own users edit the root.
    server
        .patch("/api/v1/groups/1", json!({"name": "Provider"}))
        .expect(200);
}

#[test]
fn modules_unavailable_at_a_level_are_refused_whatever_the_account_type() {
    let server = TestServer::start();
    let site = server.create_group("A site", 1, "site");
    for path in [
        format!("/api/v1/groups/{site}/children"),
        format!("/api/v1/groups/{site}/descendants"),
    ] {
        server.get(&path).expect_error(403, "module_unavailable");
    }
    let (_, supporter) = server.create_user(1, "s@example.com", "supporter", false);
    server
        .with_token(&supporter)
        .post(
            "/api/v1/groups",
            json!({"name": "under", "parent_id": site, "level": "site"}),
        )
        .expect_error(403, "module_unavailable");
    // The site itself and its users are fine: Users is available at every level.
    server.get(&format!("/api/v1/groups/{site}")).expect(200);
    server
        .get(&format!("/api/v1/groups/{site}/users"))
        .expect(200);
}
