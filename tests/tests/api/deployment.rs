//! Quick Installation: deployment tokens, enrolment, and what follows from it.

use std::sync::Arc;

use serde_json::json;
use tenantry_tests::{Reply, TestServer};

use crate::races::{Contender, race};

/// A group with automatic deployment on, and a deployment token for it.
fn deploying(
    server: &TestServer,
    parent: i64,
    name: &str,
    level: &str,
    max_uses: Option<i64>,
) -> (i64, String) {
    let group = server.post(
        "/api/v1/groups",
        json!({"name": name, "parent_id": parent, "level": level, "automatic_deployment": true}),
    );
    let group = group.expect(201).id();
    let token = server
        .post(
            &format!("/api/v1/groups/{group}/deployment-tokens"),
            json!({"max_uses": max_uses}),
        )
        .expect(201);
    (group, token.body["token"].as_str().unwrap().to_owned())
}

fn enroll(server: &TestServer, token: &str, name: &str) -> Reply {
    server.with_token("").post(
        "/api/v1/enroll",
        json!({"token": token, "name": name, "os": "Windows 11"}),
    )
}

#[test]
fn the_whole_quick_installation_path() {
    let server = TestServer::start();
    let reseller = server.create_group("Reseller", 1, "reseller");
    let (customer, token) = deploying(&server, reseller, "Customer", "end_customer", None);
    let enrolled = enroll(&server, &token, "laptop-ann").expect(201);
    let device = enrolled.id();
    assert_eq!(enrolled.body["group_id"], customer);
    assert_eq!(enrolled.body["enrolled"], true);
    let credential = enrolled.body["credential"].as_str().unwrap().to_owned();
    server
        .with_token(&credential)
        .post(
            &format!("/api/v1/devices/{device}/sessions"),
            json!({"started_at": "2026-05-01T01:00:00Z", "ended_at": "2026-05-01T02:00:00Z",
                   "status": "completed", "selected_bytes": 5000, "used_bytes": 2000}),
        )
        .expect(201);
    let (_, above) = server.create_user(reseller, "ops@reseller.example", "operator", false);
    let seen = server
        .with_token(&above)
        .get(&format!(
            "/api/v1/groups/{reseller}/devices?descendants=true"
        ))
        .expect(200);
    assert_eq!(seen.body["items"][0]["status"], "completed");
    assert_eq!(seen.body["items"][0]["used_bytes"], 2000);
    server
        .with_token(&above)
        .get(&format!("/api/v1/devices/{device}/history"))
        .expect(200);
    let sibling = server.create_group("Sibling", 1, "reseller");
    let (_, beside) = server.create_user(sibling, "ops@sibling.example", "superuser", false);
    server
        .with_token(&beside)
        .get(&format!("/api/v1/devices/{device}"))
        .expect_error(404, "not_found");
    let listed = server
        .get(&format!("/api/v1/groups/{customer}/deployment-tokens"))
        .expect(200);
    assert_eq!(listed.body["items"][0]["uses"], 1);
    assert!(!listed.text.contains(&token), "a token is shown only once");
}

#[test]
fn tokens_only_where_quick_installation_is_available_and_on() {
    let server = TestServer::start();
    let sub = server.create_group("Sub", 1, "sub_distributor");
    for group in [1, sub] {
        server
            .post(
                &format!("/api/v1/groups/{group}/deployment-tokens"),
                json!({}),
            )
            .expect_error(403, "module_unavailable");
    }
    let off = server.create_group("Off", sub, "reseller");
    server
        .post(
            &format!("/api/v1/groups/{off}/deployment-tokens"),
            json!({}),
        )
        .expect_error(409, "conflict");
    let (on, _) = deploying(&server, sub, "On", "reseller", None);
    let (_, operator) = server.create_user(on, "op@on.example", "operator", false);
    server
        .with_token(&operator)
        .post(&format!("/api/v1/groups/{on}/deployment-tokens"), json!({}))
        .expect_error(403, "forbidden");
    server
        .post(
            &format!("/api/v1/groups/{on}/deployment-tokens"),
            json!({"max_uses": 0}),
        )
        .expect_error(422, "validation_failed");
}

#[test]
fn bad_tokens_all_get_the_same_answer() {
    let server = TestServer::start();
    let (group, one_use) = deploying(&server, 1, "Acme", "reseller", Some(1));
    enroll(&server, &one_use, "first").expect(201);
    let used_up = enroll(&server, &one_use, "second").expect_error(401, "unauthenticated");
    let unknown = enroll(&server, "tdp_nonsense", "third").expect_error(401, "unauthenticated");
    let revocable = server
        .post(
            &format!("/api/v1/groups/{group}/deployment-tokens"),
            json!({}),
        )
        .expect(201);
    server
        .delete(&format!(
            "/api/v1/groups/{group}/deployment-tokens/{}",
            revocable.id()
        ))
        .expect(204);
    let revoked = enroll(&server, revocable.body["token"].as_str().unwrap(), "fourth")
        .expect_error(401, "unauthenticated");
    // Switching automatic deployment off stops every token of the group.
    let live = server
        .post(
            &format!("/api/v1/groups/{group}/deployment-tokens"),
            json!({}),
        )
        .expect(201);
    server
        .patch(
            &format!("/api/v1/groups/{group}"),
            json!({"automatic_deployment": false}),
        )
        .expect(200);
    let off = enroll(&server, live.body["token"].as_str().unwrap(), "fifth")
        .expect_error(401, "unauthenticated");
    for reply in [&unknown, &revoked, &off] {
        assert_eq!(reply.text, used_up.text);
    }
    let devices = server
        .get(&format!("/api/v1/groups/{group}/devices"))
        .expect(200);
    assert_eq!(devices.body["items"].as_array().unwrap().len(), 1);
}

#[test]
fn a_one_use_token_enrols_exactly_one_of_many_machines_at_once() {
    let server = Arc::new(TestServer::start());
    for round in 0..6 {
        let (group, token) = deploying(&server, 1, &format!("Acme {round}"), "reseller", Some(1));
        let contenders: Vec<Contender<Reply>> = (0..6)
            .map(|i| {
                let (server, token) = (Arc::clone(&server), token.clone());
                Box::new(move || enroll(&server, &token, &format!("pc-{i}"))) as Contender<Reply>
            })
            .collect();
        let replies = race(contenders);
        let won = replies.iter().filter(|r| r.status == 201).count();
        assert_eq!(won, 1, "round {round}");
        assert!(
            replies
                .iter()
                .all(|r| r.status == 201 || r.code() == "unauthenticated")
        );
        let devices = server
            .get(&format!("/api/v1/groups/{group}/devices"))
            .expect(200);
        assert_eq!(devices.body["items"].as_array().unwrap().len(), 1);
    }
}

#[test]
fn a_removal_racing_an_enrolment_never_leaves_an_orphan() {
    let server = Arc::new(TestServer::start());
    for round in 0..8 {
        let (group, token) = deploying(&server, 1, &format!("Acme {round}"), "reseller", None);
        let (s1, s2) = (Arc::clone(&server), Arc::clone(&server));
        let replies = race::<Reply>(vec![
            Box::new(move || s1.delete(&format!("/api/v1/groups/{group}"))),
            Box::new(move || enroll(&s2, &token, "pc")),
        ]);
        let (removal, enrolment) = (&replies[0], &replies[1]);
        match (removal.status, enrolment.status) {
            // The enrolment came first: the group keeps its device.
            (409, 201) => assert_eq!(removal.code(), "group_not_empty"),
            // The removal came first: the token went with the group.
            (204, 401) => {}
            other => panic!(
                "round {round}: {other:?}: {} / {}",
                removal.text, enrolment.text
            ),
        }
    }
}

fn enroll_machine(server: &TestServer, token: &str, name: &str, machine: &str) -> Reply {
    server.with_token("").post(
        "/api/v1/enroll",
        json!({"token": token, "name": name, "os": "Windows 11", "machine_id": machine}),
    )
}

fn report(server: &TestServer, device: i64, credential: &str) -> Reply {
    server.with_token(credential).post(
        &format!("/api/v1/devices/{device}/sessions"),
        json!({"started_at": "2026-05-01T01:00:00Z", "ended_at": "2026-05-01T02:00:00Z",
               "status": "completed", "selected_bytes": 5000, "used_bytes": 2000}),
    )
}

fn devices_of(server: &TestServer, group: i64) -> Vec<serde_json::Value> {
    server
        .get(&format!("/api/v1/groups/{group}/devices?descendants=true"))
        .expect(200)
        .body["items"]
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn enrolling_a_machine_again_takes_over_its_device() {
    let server = TestServer::start();
    let reseller = server.create_group("Reseller", 1, "reseller");
    let (customer, token) = deploying(&server, reseller, "Customer", "end_customer", None);
    let machine = "3D1219C7-C4C5-404A-AADF-DA48ADFDA4B1";
    let first = enroll_machine(&server, &token, "laptop-ann", machine).expect(201);
    assert_eq!(first.body["taken_over"], false);
    let device = first.id();
    let old_credential = first.body["credential"].as_str().unwrap().to_owned();
    report(&server, device, &old_credential).expect(201);
    server
        .patch(
            &format!("/api/v1/devices/{device}"),
            json!({"name": "Ann's laptop"}),
        )
        .expect(200);

    // Reinstalled: the same machine (its id in another case), another host name and OS.
    let again = enroll_machine(&server, &token, "DESKTOP-X1", &machine.to_lowercase()).expect(200);
    assert_eq!(again.body["taken_over"], true);
    assert_eq!(again.id(), device, "the same device");
    assert_eq!(
        again.body["name"], "Ann's laptop",
        "the name given it is kept"
    );
    assert_eq!(again.body["machine_id"], machine.to_lowercase());
    assert_eq!(devices_of(&server, customer).len(), 1, "no second device");
    let new_credential = again.body["credential"].as_str().unwrap().to_owned();
    report(&server, device, &old_credential).expect_error(401, "unauthenticated");
    report(&server, device, &new_credential).expect(201);
    let history = server
        .get(&format!("/api/v1/devices/{device}/history"))
        .expect(200);
    assert!(
        !history.body["days"].as_array().unwrap().is_empty(),
        "its history is kept"
    );

    // From a token of a group above the device's, the device is in that token's subtree.
    let (_, reseller_token) = {
        server
            .patch(
                &format!("/api/v1/groups/{reseller}"),
                json!({"automatic_deployment": true}),
            )
            .expect(200);
        let token = server
            .post(
                &format!("/api/v1/groups/{reseller}/deployment-tokens"),
                json!({}),
            )
            .expect(201);
        (reseller, token.body["token"].as_str().unwrap().to_owned())
    };
    let from_above = enroll_machine(&server, &reseller_token, "pc", machine).expect(200);
    assert_eq!(from_above.id(), device);
    assert_eq!(
        from_above.body["group_id"], customer,
        "it stays where it is"
    );

    // Another customer's token may not take it: 409, and nothing changes.
    let (other, other_token) = deploying(&server, 1, "Other Reseller", "reseller", None);
    let uses_before = server
        .get(&format!("/api/v1/groups/{other}/deployment-tokens"))
        .expect(200)
        .body["items"][0]["uses"]
        .clone();
    enroll_machine(&server, &other_token, "pc", machine).expect_error(409, "conflict");
    assert!(devices_of(&server, other).is_empty());
    assert_eq!(
        server
            .get(&format!("/api/v1/groups/{other}/deployment-tokens"))
            .expect(200)
            .body["items"][0]["uses"],
        uses_before,
        "a refused enrolment does not count as a use"
    );

    // Without a machine id (older installers), every enrolment is a new device; a malformed
    // one is refused.
    enroll(&server, &token, "laptop-ann").expect(201);
    assert_eq!(devices_of(&server, customer).len(), 2);
    enroll_machine(&server, &token, "pc", "not an id").expect_error(422, "validation_failed");
}

#[test]
fn two_enrolments_of_one_machine_at_once_make_one_device() {
    let server = Arc::new(TestServer::start());
    for round in 0..4 {
        let (group, token) = deploying(&server, 1, &format!("Race {round}"), "reseller", None);
        let machine = format!("machine-{round}");
        let contenders: Vec<Contender<Reply>> = (0..4)
            .map(|i| {
                let (server, token, machine) =
                    (Arc::clone(&server), token.clone(), machine.clone());
                Box::new(move || enroll_machine(&server, &token, &format!("pc-{i}"), &machine))
                    as Contender<Reply>
            })
            .collect();
        let replies = race(contenders);
        assert!(
            replies.iter().all(|r| r.status == 201 || r.status == 200),
            "round {round}: {:?}",
            replies
                .iter()
                .map(|r| (r.status, &r.text))
                .collect::<Vec<_>>()
        );
        assert_eq!(replies.iter().filter(|r| r.status == 201).count(), 1);
        assert_eq!(devices_of(&server, group).len(), 1, "round {round}");
        // Only the last credential handed out works: the one of the device as it is now.
        let device = replies[0].id();
        let working = replies
            .iter()
            .filter(|r| {
                report(&server, device, r.body["credential"].as_str().unwrap()).status == 201
            })
            .count();
        assert_eq!(working, 1, "round {round}");
    }
}
