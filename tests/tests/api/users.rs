//! Users: `/api/v1/groups/{id}/users`, `/api/v1/users/{id}` and API users' tokens.

use std::sync::{Arc, Barrier};

use serde_json::json;
use tenantry_tests::{ROOT_NAME, TestServer, USER_PASSWORD};

fn new_user(username: &str, role: &str) -> serde_json::Value {
    json!({"username": username, "role": role, "password": USER_PASSWORD})
}

#[test]
fn users_are_created_listed_read_changed_and_removed() {
    let server = TestServer::start();
    let acme = server.create_group("Acme", 1, "reseller");
    let created = server
        .post(
            &format!("/api/v1/groups/{acme}/users"),
            json!({"username": " Jane@Acme.example ", "name": "Jane", "role": "reporter",
                   "password": USER_PASSWORD}),
        )
        .expect(201);
    let id = created.id();
    assert_eq!(
        created.header("location"),
        Some(format!("/api/v1/users/{id}").as_str())
    );
    assert_eq!(created.body["username"], "Jane@Acme.example");
    assert_eq!(
        created.body["role"], "supporter",
        "reporter is the legacy supporter"
    );
    assert_eq!(created.body["kind"], "interactive");
    assert!(created.body.get("password").is_none() && created.body.get("password_hash").is_none());
    for name in ["bob@acme.example", "alice@acme.example"] {
        server
            .post(
                &format!("/api/v1/groups/{acme}/users"),
                new_user(name, "operator"),
            )
            .expect(201);
    }
    let page = server
        .get(&format!("/api/v1/groups/{acme}/users?limit=2"))
        .expect(200);
    let names: Vec<&str> = page.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alice@acme.example", "bob@acme.example"]);
    assert_eq!(page.body["has_more"], true);
    let cursor = page.body["next_cursor"].as_str().unwrap();
    let rest = server
        .get(&format!(
            "/api/v1/groups/{acme}/users?limit=2&cursor={cursor}"
        ))
        .expect(200);
    assert_eq!(rest.body["items"][0]["username"], "Jane@Acme.example");
    assert_eq!(rest.body["has_more"], false);

    let read = server.get(&format!("/api/v1/users/{id}")).expect(200);
    let etag = read.header("etag").unwrap().to_owned();
    let changed = server
        .request(
            "PATCH",
            &format!("/api/v1/users/{id}"),
            Some(&json!({"role": "manager", "security_officer": true, "name": null})),
            &[("If-Match", &etag)],
        )
        .expect(200);
    assert_eq!(changed.body["role"], "manager");
    assert_eq!(changed.body["security_officer"], true);
    assert_eq!(changed.body["name"], serde_json::Value::Null);
    server
        .request(
            "DELETE",
            &format!("/api/v1/users/{id}"),
            None,
            &[("If-Match", &etag)],
        )
        .expect_error(412, "precondition_failed");
    server.delete(&format!("/api/v1/users/{id}")).expect(204);
    server
        .get(&format!("/api/v1/users/{id}"))
        .expect_error(404, "not_found");
}

#[test]
fn bad_users_are_refused_with_the_fields_at_fault() {
    let server = TestServer::start();
    let cases = [
        (
            json!({"username": "not an email", "role": "operator", "password": USER_PASSWORD}),
            "username",
        ),
        (
            json!({"username": "a@b.example", "role": "operator", "password": "short"}),
            "password",
        ),
        (
            json!({"username": "a@b.example", "role": "operator", "password": "A@B.example"}),
            "password",
        ),
        (
            json!({"username": "a@b.example", "role": "operator"}),
            "password",
        ),
        // Common passwords, and the group's name inside one.
        (
            json!({"username": "a@b.example", "role": "operator", "password": "Password1234"}),
            "password",
        ),
        (
            json!({"username": "a@b.example", "role": "operator", "password": "qwertyuiop123"}),
            "password",
        ),
        (
            json!({"username": "a@b.example", "role": "operator", "password": "my company backups rock"}),
            "password",
        ),
        (
            json!({"username": "a@b.example", "role": "supporter", "security_officer": true, "password": USER_PASSWORD}),
            "security_officer",
        ),
        (
            json!({"username": "a@b.example", "role": "operator", "kind": "api", "password": USER_PASSWORD}),
            "password",
        ),
    ];
    for (body, field) in cases {
        let reply = server
            .post("/api/v1/groups/1/users", body.clone())
            .expect_error(422, "validation_failed");
        assert_eq!(reply.body["errors"][0]["field"], field, "{body}");
    }
    server
        .post(
            "/api/v1/groups/1/users",
            json!({"username": "a@b.example", "role": "root", "password": USER_PASSWORD}),
        )
        .expect_error(422, "validation_failed");
    server
        .post(
            "/api/v1/groups/1/users",
            new_user("a@b.example", "operator"),
        )
        .expect(201);
    server
        .post(
            "/api/v1/groups/1/users",
            new_user("A@B.EXAMPLE", "operator"),
        )
        .expect_error(409, "username_taken");
    // The same username in another group is another user.
    let other = server.create_group("Other", 1, "reseller");
    server
        .post(
            &format!("/api/v1/groups/{other}/users"),
            new_user("a@b.example", "operator"),
        )
        .expect(201);
}

#[test]
fn nobody_grants_or_reaches_above_their_own_type() {
    let server = TestServer::start();
    let (admin_id, admin) = server.create_user(1, "admin2@example.com", "administrator", false);
    let caller = server.with_token(&admin);
    caller
        .post(
            "/api/v1/groups/1/users",
            new_user("su@example.com", "superuser"),
        )
        .expect_error(403, "forbidden");
    caller
        .post(
            "/api/v1/groups/1/users",
            json!({"username": "so@example.com", "role": "operator", "security_officer": true,
                   "password": USER_PASSWORD}),
        )
        .expect_error(403, "forbidden");
    let operator = caller
        .post(
            "/api/v1/groups/1/users",
            new_user("op@example.com", "operator"),
        )
        .expect(201)
        .id();
    caller
        .patch(
            &format!("/api/v1/users/{operator}"),
            json!({"role": "administrator"}),
        )
        .expect(200);
    caller
        .patch(
            &format!("/api/v1/users/{operator}"),
            json!({"role": "superuser"}),
        )
        .expect_error(403, "forbidden");
    caller
        .patch(
            &format!("/api/v1/users/{admin_id}"),
            json!({"role": "superuser"}),
        )
        .expect_error(403, "forbidden");
    // A Security Officer is out of reach for anyone without the flag: resetting an officer's
    // password would hand the flag over.
    let officer = server
        .post(
            "/api/v1/groups/1/users",
            json!({"username": "officer@example.com", "role": "operator", "security_officer": true,
                   "password": USER_PASSWORD}),
        )
        .expect(201)
        .id();
    caller
        .patch(
            &format!("/api/v1/users/{officer}"),
            json!({"password": "taken over password"}),
        )
        .expect_error(403, "forbidden");
    caller
        .delete(&format!("/api/v1/users/{officer}"))
        .expect_error(403, "forbidden");
    // The bootstrap SuperUser (id 1) is above an Administrator: out of reach.
    caller
        .patch("/api/v1/users/1", json!({"name": "Demoted"}))
        .expect_error(403, "forbidden");
    caller
        .delete("/api/v1/users/1")
        .expect_error(403, "forbidden");
}

#[test]
fn the_roots_last_superuser_stays() {
    let server = TestServer::start();
    server
        .delete("/api/v1/users/1")
        .expect_error(403, "forbidden");
    server
        .patch("/api/v1/users/1", json!({"role": "administrator"}))
        .expect_error(403, "forbidden");
    let (second, _) = server.create_user(1, "second@example.com", "superuser", false);
    server
        .delete(&format!("/api/v1/users/{second}"))
        .expect(204);
    // Below the root, a group may have no SuperUser at all.
    let acme = server.create_group("Acme", 1, "reseller");
    let (only, _) = server.create_user(acme, "boss@acme.example", "superuser", false);
    server.delete(&format!("/api/v1/users/{only}")).expect(204);
}

#[test]
fn two_superusers_removing_each_other_leave_one() {
    for round in 0..4 {
        let server = Arc::new(TestServer::start());
        let (a, a_token) = server.create_user(1, "a@example.com", "superuser", false);
        let (b, b_token) = server.create_user(1, "b@example.com", "superuser", false);
        // The bootstrap SuperUser steps aside: a and b are the root's last two.
        server.delete("/api/v1/users/1").expect(204);
        let barrier = Arc::new(Barrier::new(2));
        let handles: Vec<_> = [(a_token.clone(), b), (b_token, a)]
            .into_iter()
            .map(|(token, victim)| {
                let (server, barrier) = (Arc::clone(&server), Arc::clone(&barrier));
                std::thread::spawn(move || {
                    barrier.wait();
                    server
                        .with_token(&token)
                        .delete(&format!("/api/v1/users/{victim}"))
                })
            })
            .collect();
        let replies: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let texts: Vec<&str> = replies.iter().map(|r| r.text.as_str()).collect();
        assert_eq!(
            replies.iter().filter(|r| r.status == 204).count(),
            1,
            "round {round}: {texts:?}"
        );
        let lost = replies.iter().find(|r| r.status != 204).unwrap();
        // The loser is refused by the rule, or finds its own account already gone.
        assert!(
            matches!(lost.code(), "forbidden" | "unauthenticated"),
            "round {round}: {texts:?}"
        );
        let survivor = if replies[0].status == 204 { "a" } else { "b" };
        let token = server.login(ROOT_NAME, &format!("{survivor}@example.com"), USER_PASSWORD);
        let users = server
            .with_token(&token)
            .get("/api/v1/groups/1/users")
            .expect(200);
        let superusers = users.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|u| u["role"] == "superuser")
            .count();
        assert_eq!(superusers, 1, "round {round}");
    }
}

#[test]
fn users_change_their_own_password_with_the_current_one() {
    let server = TestServer::start();
    let (id, token) = server.create_user(1, "jane@example.com", "supporter", false);
    let me = server.with_token(&token);
    me.patch(
        &format!("/api/v1/users/{id}"),
        json!({"password": "a brand new password"}),
    )
    .expect_error(422, "validation_failed");
    me.patch(
        &format!("/api/v1/users/{id}"),
        json!({"password": "a brand new password", "current_password": "wrong wrong wrong"}),
    )
    .expect_error(422, "validation_failed");
    me.patch(&format!("/api/v1/users/{id}"), json!({"role": "operator"}))
        .expect_error(403, "forbidden");
    // A common password, or one holding the group's name, is refused before anything else.
    for weak in ["Password1234", "MY COMPANY forever 1"] {
        let refused = me
            .patch(
                &format!("/api/v1/users/{id}"),
                json!({"password": weak, "current_password": USER_PASSWORD}),
            )
            .expect_error(422, "validation_failed");
        assert_eq!(refused.body["errors"][0]["field"], "password", "{weak}");
    }
    me.patch(
        &format!("/api/v1/users/{id}"),
        json!({"password": "a brand new password", "current_password": USER_PASSWORD, "name": "Jane"}),
    )
    .expect(200);
    // A new password ends the user's sessions.
    me.get("/api/v1/me").expect_error(401, "unauthenticated");
    server
        .try_login(ROOT_NAME, "jane@example.com", USER_PASSWORD)
        .expect_error(401, "unauthenticated");
    server.login(ROOT_NAME, "jane@example.com", "a brand new password");
}

#[test]
fn api_users_work_with_tokens_shown_once() {
    let server = TestServer::start();
    let acme = server.create_group("Acme", 1, "reseller");
    let robot = server
        .post(
            &format!("/api/v1/groups/{acme}/users"),
            json!({"username": "robot@acme.example", "role": "operator", "kind": "api"}),
        )
        .expect(201)
        .id();
    server
        .try_login("Acme", "robot@acme.example", "")
        .expect_error(401, "unauthenticated");
    let created = server
        .post(
            &format!("/api/v1/users/{robot}/tokens"),
            json!({"name": "backup script"}),
        )
        .expect(201);
    let token = created.body["token"].as_str().unwrap().to_owned();
    let token_id = created.id();
    let listed = server
        .get(&format!("/api/v1/users/{robot}/tokens"))
        .expect(200);
    assert_eq!(listed.body["items"][0]["name"], "backup script");
    assert!(!listed.text.contains(&token), "a token is shown only once");

    let as_robot = server.with_token(&token);
    let me = as_robot.get("/api/v1/me").expect(200);
    assert_eq!(me.body["credential"], "api");
    assert_eq!(me.body["user"]["id"], robot);
    as_robot.get(&format!("/api/v1/groups/{acme}")).expect(200);
    as_robot
        .get("/api/v1/groups/1")
        .expect_error(404, "not_found");
    as_robot
        .post(
            "/api/v1/groups",
            json!({"name": "x", "parent_id": acme, "level": "site"}),
        )
        .expect_error(403, "forbidden");

    server
        .delete(&format!("/api/v1/users/{robot}/tokens/{token_id}"))
        .expect(204);
    as_robot
        .get("/api/v1/me")
        .expect_error(401, "unauthenticated");
    server
        .delete(&format!("/api/v1/users/{robot}/tokens/{token_id}"))
        .expect_error(404, "not_found");
}

#[test]
fn tokens_are_for_api_users_and_expire_within_the_limit() {
    let server = TestServer::start();
    server
        .post("/api/v1/users/1/tokens", json!({}))
        .expect_error(409, "conflict");
    let robot = server
        .post(
            "/api/v1/groups/1/users",
            json!({"username": "robot@example.com", "role": "operator", "kind": "api"}),
        )
        .expect(201)
        .id();
    for expires_at in ["2000-01-01T00:00:00Z", "2999-01-01T00:00:00Z"] {
        server
            .post(
                &format!("/api/v1/users/{robot}/tokens"),
                json!({"expires_at": expires_at}),
            )
            .expect_error(422, "validation_failed");
    }
    let created = server
        .post(&format!("/api/v1/users/{robot}/tokens"), json!({}))
        .expect(201);
    assert!(created.body["expires_at"].as_str().unwrap() > "2026");
}

#[test]
fn removing_a_group_removes_its_users() {
    let server = TestServer::start();
    let acme = server.create_group("Acme", 1, "reseller");
    let (jane, token) = server.create_user(acme, "jane@acme.example", "superuser", false);
    server.delete(&format!("/api/v1/groups/{acme}")).expect(204);
    server
        .get(&format!("/api/v1/users/{jane}"))
        .expect_error(404, "not_found");
    server
        .with_token(&token)
        .get("/api/v1/me")
        .expect_error(401, "unauthenticated");
}
