//! Rules that two concurrent requests could break, raced: each race starts its contenders
//! together behind a barrier and repeats, then checks that the rule held whoever won, and that
//! the loser got the error a client can act on (never a 500).

use std::sync::{Arc, Barrier};
use std::thread;

use serde_json::json;
use tenantry_tests::{Reply, TestServer};

use crate::groups::delete::{add_device, storage_of};

const ROUNDS: usize = 12;

pub type Contender<T> = Box<dyn FnOnce() -> T + Send>;

/// Runs `contenders` at the same moment and returns their results in order.
pub fn race<T: Send + 'static>(contenders: Vec<Contender<T>>) -> Vec<T> {
    let barrier = Arc::new(Barrier::new(contenders.len()));
    let handles: Vec<_> = contenders
        .into_iter()
        .map(|contender| {
            let barrier = Arc::clone(&barrier);
            thread::spawn(move || {
                barrier.wait();
                contender()
            })
        })
        .collect();
    handles.into_iter().map(|h| h.join().unwrap()).collect()
}

fn texts(replies: &[Reply]) -> Vec<&str> {
    replies.iter().map(|r| r.text.as_str()).collect()
}

/// Exactly one reply succeeded and every other one is a 4xx with one of `codes`.
#[track_caller]
fn one_winner(replies: &[Reply], codes: &[&str]) {
    let won = replies.iter().filter(|r| r.status < 300).count();
    assert_eq!(won, 1, "exactly one wins: {:?}", texts(replies));
    for loser in replies.iter().filter(|r| r.status >= 300) {
        assert!(
            codes.contains(&loser.code()),
            "the loser must get one of {codes:?}: {}",
            loser.text
        );
    }
}

/// Follows `parent_id` from `id` up to the root, through the API, and checks that the way up
/// is the one `ancestors` reports. A cycle would never reach the root.
#[track_caller]
fn reaches_root(server: &TestServer, id: i64) {
    let mut chain = Vec::new();
    let mut current = id;
    while current != server.root() {
        assert!(chain.len() < 10, "no way up from {id}: {chain:?}");
        current = server
            .get(&format!("/api/v1/groups/{current}"))
            .expect(200)
            .body["parent_id"]
            .as_i64()
            .unwrap();
        chain.push(current);
    }
    chain.reverse();
    let ancestors = server
        .get(&format!("/api/v1/groups/{id}/ancestors"))
        .expect(200);
    let listed: Vec<i64> = ancestors.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["id"].as_i64().unwrap())
        .collect();
    assert_eq!(listed, chain, "ancestors agree with the parent links");
}

#[test]
fn two_moves_that_together_would_make_a_cycle() {
    let server = Arc::new(TestServer::start());
    for round in 0..ROUNDS {
        let a = server.create_group(&format!("A{round}"), 1, "sub_distributor");
        let b = server.create_group(&format!("B{round}"), 1, "sub_distributor");
        // Each move is valid on its own; together they would put A under B under A.
        let (s1, s2) = (Arc::clone(&server), Arc::clone(&server));
        let replies = race::<Reply>(vec![
            Box::new(move || {
                s1.patch(
                    &format!("/api/v1/groups/{a}"),
                    json!({"parent_id": b, "level": "reseller"}),
                )
            }),
            Box::new(move || {
                s2.patch(
                    &format!("/api/v1/groups/{b}"),
                    json!({"parent_id": a, "level": "reseller"}),
                )
            }),
        ]);
        one_winner(&replies, &["invalid_parent", "level_violation"]);
        reaches_root(&server, a);
        reaches_root(&server, b);
    }
}

#[test]
fn a_move_against_a_create_inside_the_moved_subtree() {
    let server = Arc::new(TestServer::start());
    let north = server.create_group("North", 1, "sub_distributor");
    let south = server.create_group("South", 1, "sub_distributor");
    let reseller = server.create_group("R", north, "reseller");
    let customer = server.create_group("C", reseller, "end_customer");
    for round in 0..ROUNDS {
        let target = if round % 2 == 0 { south } else { north };
        let (s1, s2) = (Arc::clone(&server), Arc::clone(&server));
        let replies = race::<Reply>(vec![
            Box::new(move || {
                s1.patch(
                    &format!("/api/v1/groups/{reseller}"),
                    json!({"parent_id": target}),
                )
            }),
            Box::new(move || {
                s2.post("/api/v1/groups", json!({"name": format!("Site {round}"), "parent_id": customer, "level": "site"}))
            }),
        ]);
        let (moved, created) = (replies[0].status, replies[1].status);
        assert_eq!(
            (moved, created),
            (200, 201),
            "both succeed: {:?}",
            texts(&replies)
        );
        // The new site moved along: its way up runs through the reseller's new parent.
        let site = replies[1].id();
        reaches_root(&server, site);
        let ancestors = server
            .get(&format!("/api/v1/groups/{site}/ancestors"))
            .expect(200);
        assert_eq!(ancestors.body["items"][1]["id"], target, "round {round}");
    }
    let below = server
        .get(&format!("/api/v1/groups/{customer}/children?limit=500"))
        .expect(200)
        .ids();
    assert_eq!(below.len(), ROUNDS);
}

#[test]
fn removal_against_adding_a_device() {
    let server = Arc::new(TestServer::start());
    let storage = storage_of(&server);
    for round in 0..ROUNDS {
        let group = server.create_group(&format!("G{round}"), 1, "end_customer");
        let (s1, devices) = (Arc::clone(&server), storage.clone());
        let outcome = race::<(Option<Reply>, Option<bool>)>(vec![
            Box::new(move || (Some(s1.delete(&format!("/api/v1/groups/{group}"))), None)),
            Box::new(move || (None, Some(add_device(&devices, group).is_ok()))),
        ]);
        let delete = outcome[0].0.as_ref().unwrap();
        let device_added = outcome[1].1 == Some(true);
        match delete.status {
            204 => assert!(
                !device_added,
                "round {round}: removed, yet a device was added"
            ),
            409 => {
                assert_eq!(delete.code(), "group_not_empty");
                assert!(
                    device_added,
                    "round {round}: refused as not empty, yet no device"
                );
            }
            _ => panic!("round {round}: {}", delete.text),
        }
        let still_there = server.get(&format!("/api/v1/groups/{group}")).status == 200;
        assert_eq!(
            still_there, device_added,
            "a device never outlives its group"
        );
    }
}

#[test]
fn two_creates_with_one_name() {
    let server = Arc::new(TestServer::start());
    for round in 0..ROUNDS {
        let contenders: Vec<Contender<Reply>> = ["Twin {}", "TWIN {}", "twin {}", "  Twin {}  "]
            .into_iter()
            .map(|pattern| {
                let server = Arc::clone(&server);
                let name = pattern.replace("{}", &round.to_string());
                Box::new(move || {
                    server.post(
                        "/api/v1/groups",
                        json!({"name": name, "parent_id": 1, "level": "reseller"}),
                    )
                }) as Contender<Reply>
            })
            .collect();
        one_winner(&race(contenders), &["name_taken"]);
    }
}

#[test]
fn a_rename_against_a_create_with_the_same_name() {
    let server = Arc::new(TestServer::start());
    for round in 0..ROUNDS {
        let existing = server.create_group(&format!("Existing {round}"), 1, "reseller");
        let name = format!("Wanted {round}");
        let (s1, s2, n1, n2) = (
            Arc::clone(&server),
            Arc::clone(&server),
            name.clone(),
            name.to_uppercase(),
        );
        let replies = race::<Reply>(vec![
            Box::new(move || s1.patch(&format!("/api/v1/groups/{existing}"), json!({"name": n1}))),
            Box::new(move || {
                s2.post(
                    "/api/v1/groups",
                    json!({"name": n2, "parent_id": 1, "level": "reseller"}),
                )
            }),
        ]);
        one_winner(&replies, &["name_taken"]);
    }
}

#[test]
fn a_child_created_while_its_parent_becomes_a_site() {
    let server = Arc::new(TestServer::start());
    for round in 0..ROUNDS {
        let parent = server.create_group(&format!("P{round}"), 1, "end_customer");
        let (s1, s2) = (Arc::clone(&server), Arc::clone(&server));
        let replies = race::<Reply>(vec![
            Box::new(move || {
                s1.patch(
                    &format!("/api/v1/groups/{parent}"),
                    json!({"level": "site"}),
                )
            }),
            Box::new(move || {
                s2.post(
                    "/api/v1/groups",
                    json!({"name": format!("C{round}"), "parent_id": parent, "level": "site"}),
                )
            }),
        ]);
        // The create loses with level_violation, or module_unavailable once the parent is a Site.
        one_winner(&replies, &["level_violation", "module_unavailable"]);
        let level = server
            .get(&format!("/api/v1/groups/{parent}"))
            .expect(200)
            .body["level"]
            .clone();
        // (A Site's children cannot be listed: it has no Customers module. Its child, if any,
        // is the one this round's create made.)
        let child_created = replies[1].status == 201;
        assert!(
            !(level == "site" && child_created),
            "a site with a child: {:?}",
            texts(&replies)
        );
    }
}

#[test]
fn a_child_created_while_its_parent_is_removed() {
    let server = Arc::new(TestServer::start());
    for round in 0..ROUNDS {
        let parent = server.create_group(&format!("P{round}"), 1, "reseller");
        let (s1, s2) = (Arc::clone(&server), Arc::clone(&server));
        let replies = race::<Reply>(vec![
            Box::new(move || s1.delete(&format!("/api/v1/groups/{parent}"))),
            Box::new(move || {
                s2.post(
                    "/api/v1/groups",
                    json!({"name": format!("C{round}"), "parent_id": parent, "level": "site"}),
                )
            }),
        ]);
        one_winner(&replies, &["group_not_empty", "invalid_parent"]);
        if replies[1].status == 201 {
            reaches_root(&server, replies[1].id());
        }
    }
}

#[test]
fn two_imports_with_a_name_in_common() {
    let server = Arc::new(TestServer::start());
    for round in 0..ROUNDS {
        let top = server.create_group(&format!("Top {round}"), 1, "sub_distributor");
        // Each file is valid on its own; together they would create two names twice, which
        // they meet in opposite orders (on PostgreSQL, a deadlock one of them must lose).
        let contenders: Vec<Contender<Reply>> = [("left", ["P", "Q"]), ("right", ["Q", "P"])]
            .into_iter()
            .map(|(side, shared)| {
                let server = Arc::clone(&server);
                let file = format!(
                    "name,parent,level\n\
                     {side} {round},Top {round},reseller\n\
                     {side} {round} customer,{side} {round},end_customer\n\
                     Shared {round} {},Top {round},reseller\n\
                     Shared {round} {},Top {round},reseller\n",
                    shared[0], shared[1]
                );
                Box::new(move || {
                    server.with_token(&server.token).raw(
                        "POST",
                        &format!("/api/v1/groups/{top}/import"),
                        "text/csv",
                        file.as_bytes(),
                    )
                }) as Contender<Reply>
            })
            .collect();
        let replies = race(contenders);
        one_winner(&replies, &["validation_failed", "unavailable"]);
        // All or nothing: the loser's own groups are not there either.
        let winner = replies.iter().position(|r| r.status < 300).unwrap();
        let names: Vec<String> = server
            .get(&format!("/api/v1/groups/{top}/descendants?limit=500"))
            .expect(200)
            .body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["name"].as_str().unwrap().to_owned())
            .collect();
        let (side, shared) = [("left", ["P", "Q"]), ("right", ["Q", "P"])][winner];
        assert_eq!(
            names,
            [
                format!("{side} {round}"),
                format!("{side} {round} customer"),
                format!("Shared {round} {}", shared[0]),
                format!("Shared {round} {}", shared[1]),
            ],
            "round {round}: {:?}",
            texts(&replies)
        );
    }
}

#[test]
fn two_first_passphrases_for_one_device() {
    let server = Arc::new(TestServer::start());
    let reseller = server.create_group("Reseller", 1, "reseller");
    for round in 0..ROUNDS {
        let device = server
            .post(
                &format!("/api/v1/groups/{reseller}/devices"),
                json!({"name": format!("pc-{round}"), "os": "Linux"}),
            )
            .expect(201)
            .body["id"]
            .as_i64()
            .unwrap();
        let contenders: Vec<Contender<Reply>> = (0..2)
            .map(|_| {
                let server = Arc::clone(&server);
                Box::new(move || {
                    server.post(&format!("/api/v1/devices/{device}/passphrase"), json!({}))
                }) as Contender<Reply>
            })
            .collect();
        // Neither asked to replace one: the second must not silently replace the first's.
        one_winner(&race(contenders), &["conflict"]);
    }
}

#[test]
fn two_customers_claiming_one_login_address() {
    // The branding plugin keeps a login address unique through the host's record keys.
    let server = Arc::new(TestServer::start());
    let groups: Vec<i64> = (0..3)
        .map(|n| server.create_group(&format!("Claimant {n}"), 1, "reseller"))
        .collect();
    for round in 0..ROUNDS {
        let address = format!("claimed-{round}");
        let contenders: Vec<Contender<Reply>> = groups
            .iter()
            .map(|&group| {
                let server = Arc::clone(&server);
                let address = address.clone();
                Box::new(move || {
                    server.patch(
                        &format!("/api/v1/groups/{group}/branding"),
                        json!({"login_address": address}),
                    )
                }) as Contender<Reply>
            })
            .collect();
        let replies = race(contenders);
        one_winner(&replies, &["validation_failed"]);
        let winner = groups[replies.iter().position(|r| r.status < 300).unwrap()];
        for &group in &groups {
            let own = server
                .get(&format!("/api/v1/groups/{group}/branding"))
                .expect(200);
            let holds = own.body["values"]["login_address"] == address.as_str();
            assert_eq!(holds, group == winner, "round {round}, group {group}");
        }
    }
}
