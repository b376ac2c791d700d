//! `POST /api/v1/auth/login`, `POST /api/v1/auth/logout`, `GET /api/v1/me`, and the first start's
//! SuperUser.

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use serde_json::json;
use tenantry_tests::{
    ADMIN_EMAIL, ADMIN_PASSWORD, ROOT_NAME, TestDatabase, TestServer, USER_PASSWORD,
};

#[test]
fn login_answers_a_token_that_identifies_the_user() {
    let server = TestServer::start();
    let reply = server
        .try_login(ROOT_NAME, ADMIN_EMAIL, ADMIN_PASSWORD)
        .expect(200);
    let token = reply.body["token"].as_str().unwrap();
    assert!(token.starts_with("tnt_"));
    // No cache keeps a token, nor any other answer of the API (errors included).
    for answer in [
        &reply,
        &server
            .try_login(ROOT_NAME, ADMIN_EMAIL, "wrong password")
            .expect(401),
        &server.get("/api/v1/plugins").expect(200),
    ] {
        assert_eq!(answer.header("cache-control"), Some("no-store"));
        assert_eq!(answer.header("x-content-type-options"), Some("nosniff"));
    }
    assert_eq!(reply.body["user"]["username"], ADMIN_EMAIL);
    assert_eq!(reply.body["user"]["role"], "superuser");
    assert_eq!(reply.body["user"]["security_officer"], true);
    assert!(reply.body["user"].get("password_hash").is_none());
    assert!(
        reply.body["idle_expires_at"].as_str().unwrap()
            < reply.body["expires_at"].as_str().unwrap()
    );

    let me = server.with_token(token).get("/api/v1/me").expect(200);
    assert_eq!(me.body["user"]["username"], ADMIN_EMAIL);
    assert_eq!(me.body["group"]["id"], 1);
    assert_eq!(me.body["level"], "distributor");
    assert_eq!(me.body["credential"], "session");
    let permissions = me.body["permissions"].as_array().unwrap();
    assert!(permissions.contains(&json!("manage_users")));
    assert!(permissions.contains(&json!("generate_passphrases")));
}

#[test]
fn group_name_and_username_are_case_insensitive_the_password_is_not() {
    let server = TestServer::start();
    server.login(
        &ROOT_NAME.to_uppercase(),
        &ADMIN_EMAIL.to_uppercase(),
        ADMIN_PASSWORD,
    );
    server
        .try_login(ROOT_NAME, ADMIN_EMAIL, &ADMIN_PASSWORD.to_uppercase())
        .expect_error(401, "unauthenticated");
}

#[test]
fn every_wrong_credential_gets_the_same_answer() {
    let server = TestServer::start();
    let robot = server
        .post(
            "/api/v1/groups/1/users",
            json!({"username": "robot@example.com", "role": "operator", "kind": "api"}),
        )
        .expect(201);
    assert_eq!(robot.body["kind"], "api");
    let answers: Vec<String> = [
        ("No Such Group", ADMIN_EMAIL, ADMIN_PASSWORD),
        (ROOT_NAME, "nobody@example.com", ADMIN_PASSWORD),
        (ROOT_NAME, ADMIN_EMAIL, "not the password at all"),
        (ROOT_NAME, "robot@example.com", ADMIN_PASSWORD),
        (ROOT_NAME, "not an email", ""),
        // NUL reached PostgreSQL and came back a 500 (anyone could fill the error log).
        ("Root\0", ADMIN_EMAIL, ADMIN_PASSWORD),
        (ROOT_NAME, "admin\0@example.com", ADMIN_PASSWORD),
        (ROOT_NAME, "\u{7}", "\0"),
    ]
    .into_iter()
    .map(|(group, user, password)| {
        server
            .try_login(group, user, password)
            .expect_error(401, "unauthenticated")
            .text
    })
    .collect();
    assert!(answers.windows(2).all(|w| w[0] == w[1]), "{answers:#?}");
}

#[test]
fn an_unknown_user_takes_about_as_long_as_a_wrong_password() {
    // Enough failures allowed for the samples; interleaved, so that a busy machine slows every
    // kind of attempt alike.
    let server = TestServer::start_with(
        TestDatabase::fresh(),
        &[("TENANTRY__AUTH__LOCKOUT_FAILURES", "100")],
    );
    let kinds = [
        ("wrong password", ROOT_NAME, ADMIN_EMAIL),
        ("unknown user", ROOT_NAME, "nobody@example.com"),
        ("unknown group", "Nobody's Company", ADMIN_EMAIL),
    ];
    let mut samples: Vec<Vec<Duration>> = vec![Vec::new(); kinds.len()];
    for _ in 0..9 {
        for (i, (_, group, user)) in kinds.iter().enumerate() {
            let started = Instant::now();
            server
                .try_login(group, user, "a wrong password!")
                .expect_error(401, "unauthenticated");
            samples[i].push(started.elapsed());
        }
    }
    let medians: Vec<Duration> = samples
        .iter_mut()
        .map(|times| {
            times.sort();
            times[times.len() / 2]
        })
        .collect();
    // Every kind verifies one Argon2 hash (tens of milliseconds); without that, an unknown user
    // would answer a hundred times faster. Only the failure count's write differs.
    let wrong = medians[0];
    for (i, (what, _, _)) in kinds.iter().enumerate().skip(1) {
        let time = medians[i];
        assert!(
            time * 3 >= wrong && time <= wrong * 3,
            "{what}: {time:?} against {wrong:?} for a wrong password"
        );
    }
}

#[test]
fn five_failures_lock_the_account_even_for_the_right_password() {
    let server = TestServer::start();
    server.create_user(1, "jane@example.com", "operator", false);
    for _ in 0..5 {
        server
            .try_login(ROOT_NAME, "jane@example.com", "wrong password!!")
            .expect_error(401, "unauthenticated");
    }
    server
        .try_login(ROOT_NAME, "jane@example.com", "wrong password!!")
        .expect_error(423, "locked");
    server
        .try_login(ROOT_NAME, "jane@example.com", USER_PASSWORD)
        .expect_error(423, "locked");
    // Other accounts are not affected.
    server.login(ROOT_NAME, ADMIN_EMAIL, ADMIN_PASSWORD);
}

#[test]
fn a_pair_that_names_no_account_locks_like_one_that_does() {
    // A 423 only for real accounts would tell a guesser which (group, username) pairs exist.
    let server = TestServer::start();
    server.create_user(1, "jane@example.com", "operator", false);
    for user in ["jane@example.com", "nobody@example.com"] {
        for _ in 0..5 {
            server
                .try_login(ROOT_NAME, user, "wrong password!!")
                .expect_error(401, "unauthenticated");
        }
    }
    let answers: Vec<(String, Option<String>)> = [
        (ROOT_NAME, "jane@example.com"),
        (ROOT_NAME, "nobody@example.com"),
        (&ROOT_NAME.to_uppercase(), "NOBODY@example.com"),
    ]
    .into_iter()
    .map(|(group, user)| {
        let reply = server
            .try_login(group, user, "wrong password!!")
            .expect_error(423, "locked");
        (
            reply.body["title"].as_str().unwrap().to_owned(),
            reply.header("content-type").map(str::to_owned),
        )
    })
    .collect();
    assert!(answers.windows(2).all(|w| w[0] == w[1]), "{answers:#?}");
    // Other pairs are not affected.
    server
        .try_login(ROOT_NAME, "someone@example.com", "wrong password!!")
        .expect_error(401, "unauthenticated");
}

#[test]
fn one_source_may_try_so_often_then_waits() {
    let server = TestServer::start_with(
        TestDatabase::fresh(),
        &[("TENANTRY__AUTH__LOGIN_ATTEMPTS_PER_MINUTE", "4")],
    );
    // start_with logged in once already: three more attempts, right or wrong, then 429.
    server.login(ROOT_NAME, ADMIN_EMAIL, ADMIN_PASSWORD);
    for _ in 0..2 {
        server
            .try_login(ROOT_NAME, "nobody@example.com", "wrong password!!")
            .expect_error(401, "unauthenticated");
    }
    for password in ["wrong password!!", ADMIN_PASSWORD] {
        let refused = server
            .try_login(ROOT_NAME, ADMIN_EMAIL, password)
            .expect_error(429, "too_many_requests");
        let wait: u64 = refused.header("retry-after").unwrap().parse().unwrap();
        // Four a minute: the next attempt is allowed within 15 s.
        assert!((1..=15).contains(&wait), "{wait}");
    }
    // Neither refused attempt counted against the account: its lockout is untouched, and the
    // session already made still works.
    server.get("/api/v1/me").expect(200);
}

#[test]
fn behind_a_trusted_proxy_each_client_has_its_own_allowance() {
    let server = TestServer::start_with(
        TestDatabase::fresh(),
        &[
            ("TENANTRY__AUTH__LOGIN_ATTEMPTS_PER_MINUTE", "2"),
            ("TENANTRY__SERVER__TRUSTED_PROXIES", "127.0.0.1/32"),
        ],
    );
    let attempt = |forwarded: &str| {
        server
            .request(
                "POST",
                "/api/v1/auth/login",
                Some(&json!({"group": ROOT_NAME, "username": "x@example.com", "password": "wrong password!!"})),
                &[("Authorization", ""), ("X-Forwarded-For", forwarded)],
            )
            .body["code"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    for _ in 0..2 {
        assert_eq!(attempt("198.51.100.7"), "unauthenticated");
    }
    assert_eq!(attempt("198.51.100.7"), "too_many_requests");
    // Another client behind the same proxy, and one that writes a fake address before its own
    // (only the hop the proxy added counts).
    assert_eq!(attempt("198.51.100.8"), "unauthenticated");
    assert_eq!(attempt("203.0.113.1, 198.51.100.8"), "unauthenticated");
    assert_eq!(attempt("203.0.113.2, 198.51.100.8"), "too_many_requests");
}

#[test]
fn an_administrator_above_lifts_a_lockout() {
    let server = TestServer::start();
    let (jane, _) = server.create_user(1, "jane@example.com", "operator", false);
    for _ in 0..6 {
        server.try_login(ROOT_NAME, "jane@example.com", "wrong password!!");
    }
    server
        .try_login(ROOT_NAME, "jane@example.com", USER_PASSWORD)
        .expect_error(423, "locked");
    let shown = server.get(&format!("/api/v1/users/{jane}")).expect(200);
    assert!(shown.body["locked_until"].is_string(), "{}", shown.body);

    // Jane cannot lift it herself (not that she could log in to try), nor can an operator.
    server.create_user(1, "bob@example.com", "operator", false);
    let bob_token = server.login(ROOT_NAME, "bob@example.com", USER_PASSWORD);
    server
        .with_token(&bob_token)
        .post(&format!("/api/v1/users/{jane}/unlock"), json!(null))
        .expect_error(403, "forbidden");

    let unlocked = server
        .post(&format!("/api/v1/users/{jane}/unlock"), json!(null))
        .expect(200);
    assert!(unlocked.body["locked_until"].is_null(), "{}", unlocked.body);
    server.login(ROOT_NAME, "jane@example.com", USER_PASSWORD);
    server
        .post("/api/v1/users/999999/unlock", json!(null))
        .expect_error(404, "not_found");
}

#[test]
fn failures_racing_each_other_all_count() {
    let server = Arc::new(TestServer::start());
    server.create_user(1, "jane@example.com", "operator", false);
    let barrier = Arc::new(Barrier::new(8));
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let (server, barrier) = (Arc::clone(&server), Arc::clone(&barrier));
            std::thread::spawn(move || {
                barrier.wait();
                server
                    .try_login(ROOT_NAME, "jane@example.com", "wrong password!!")
                    .status
            })
        })
        .collect();
    let statuses: Vec<u16> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert!(
        statuses.iter().all(|s| *s == 401 || *s == 423),
        "{statuses:?}"
    );
    // Each attempt counts before its password is checked: no more than five are ever checked,
    // however many arrive at once.
    assert!(
        statuses.iter().filter(|s| **s == 401).count() <= 5,
        "{statuses:?}"
    );
    server
        .try_login(ROOT_NAME, "jane@example.com", USER_PASSWORD)
        .expect_error(423, "locked");
}

#[test]
fn a_successful_login_resets_the_failure_count() {
    let server = TestServer::start();
    server.create_user(1, "jane@example.com", "operator", false);
    for _ in 0..4 {
        server
            .try_login(ROOT_NAME, "jane@example.com", "wrong password!!")
            .expect_error(401, "unauthenticated");
    }
    server.login(ROOT_NAME, "jane@example.com", USER_PASSWORD);
    for _ in 0..4 {
        server
            .try_login(ROOT_NAME, "jane@example.com", "wrong password!!")
            .expect_error(401, "unauthenticated");
    }
    server.login(ROOT_NAME, "jane@example.com", USER_PASSWORD);
}

#[test]
fn logout_ends_the_session_and_only_that_one() {
    let server = TestServer::start();
    let first = server.login(ROOT_NAME, ADMIN_EMAIL, ADMIN_PASSWORD);
    let second = server.login(ROOT_NAME, ADMIN_EMAIL, ADMIN_PASSWORD);
    server.with_token(&first).get("/api/v1/me").expect(200);
    server
        .with_token(&first)
        .request("POST", "/api/v1/auth/logout", None)
        .expect(204);
    server
        .with_token(&first)
        .get("/api/v1/me")
        .expect_error(401, "unauthenticated");
    server.with_token(&second).get("/api/v1/me").expect(200);
}

#[test]
fn after_a_rename_users_log_in_with_the_new_name_and_keep_their_sessions() {
    let server = TestServer::start();
    let acme = server.create_group("Acme", 1, "reseller");
    let (_, session) = server.create_user(acme, "jane@acme.example", "administrator", false);
    server
        .patch(
            &format!("/api/v1/groups/{acme}"),
            json!({"name": "Acme Backup"}),
        )
        .expect(200);
    server
        .try_login("Acme", "jane@acme.example", USER_PASSWORD)
        .expect_error(401, "unauthenticated");
    server.login("Acme Backup", "jane@acme.example", USER_PASSWORD);
    let me = server.with_token(&session).get("/api/v1/me").expect(200);
    assert_eq!(me.body["group"]["name"], "Acme Backup");
}

#[test]
fn a_moved_users_scope_moves_with_its_group() {
    let server = TestServer::start();
    let a = server.create_group("A", 1, "sub_distributor");
    let b = server.create_group("B", 1, "sub_distributor");
    let r = server.create_group("R", a, "reseller");
    let (_, token) = server.create_user(r, "jane@r.example", "superuser", false);
    let child = server.with_token(&token).post(
        "/api/v1/groups",
        json!({"name": "R child", "parent_id": r, "level": "site"}),
    );
    let child = child.expect(201).id();
    server
        .patch(&format!("/api/v1/groups/{r}"), json!({"parent_id": b}))
        .expect(200);
    let caller = server.with_token(&token);
    caller.get(&format!("/api/v1/groups/{child}")).expect(200);
    caller
        .get(&format!("/api/v1/groups/{a}"))
        .expect_error(404, "not_found");
}

#[test]
fn the_first_start_prints_a_generated_password_once() {
    let database = TestDatabase::fresh();
    let server =
        TestServer::start_unauthenticated(database, &[("TENANTRY__BOOTSTRAP__ADMIN_PASSWORD", "")]);
    let log = server.log();
    let password = log
        .split("password ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no generated password in the log:\n{log}"));
    assert_eq!(password.len(), 24);
    server.login(ROOT_NAME, ADMIN_EMAIL, password);
    let password = password.to_owned();
    let again = TestServer::start_unauthenticated(
        server.into_database(),
        &[("TENANTRY__BOOTSTRAP__ADMIN_PASSWORD", "")],
    );
    assert!(
        !again.log().contains(&password),
        "printed only on the first start"
    );
    again.login(ROOT_NAME, ADMIN_EMAIL, &password);
}

#[test]
fn a_configured_password_must_meet_the_policy() {
    let database = TestDatabase::fresh();
    let output = TestServer::run_to_exit(
        database,
        &[("TENANTRY__BOOTSTRAP__ADMIN_PASSWORD", "short")],
    );
    assert!(
        output.contains("bootstrap.admin_password"),
        "start-up must name the setting: {output}"
    );
}
