//! Rules that two concurrent requests could break, raced: each race starts its contenders
//! together behind a barrier and repeats, then checks that the rule held whoever won.

use std::sync::{Arc, Barrier};
use std::thread;

use serde_json::json;
use tenantry_tests::{Reply, TestServer};

use crate::groups::delete::{add_device, storage_of};

const ROUNDS: usize = 12;

/// Runs `contenders` at the same moment and returns their replies in order.
fn race<T: Send + 'static>(contenders: Vec<Box<dyn FnOnce() -> T + Send>>) -> Vec<T> {
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

fn statuses(replies: &[Reply]) -> Vec<u16> {
    replies.iter().map(|r| r.status).collect()
}

#[test]
fn two_moves_that_together_would_make_a_cycle() {
    let server = Arc::new(TestServer::start());
    for round in 0..ROUNDS {
        let a = server.create_group(&format!("A{round}"), 1, "sub_distributor");
        let b = server.create_group(&format!("B{round}"), 1, "sub_distributor");
        // Each move is valid on its own; together they would put A under B under A.
        let (s1, s2) = (Arc::clone(&server), Arc::clone(&server));
        let replies = race(vec![
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
        let won = replies.iter().filter(|r| r.status == 200).count();
        assert_eq!(
            won,
            1,
            "exactly one move wins: {:?}",
            replies.iter().map(|r| &r.text).collect::<Vec<_>>()
        );
        for loser in replies.iter().filter(|r| r.status != 200) {
            assert!(
                ["invalid_parent", "level_violation"].contains(&loser.code()),
                "{}",
                loser.text
            );
        }
        // Both are still reachable from the root, so neither is cut off in a loop.
        for id in [a, b] {
            let ancestors = server
                .get(&format!("/api/v1/groups/{id}/ancestors"))
                .expect(200);
            assert_eq!(ancestors.body["items"][0]["id"], 1);
        }
    }
}

#[test]
fn removal_against_adding_a_device() {
    let server = Arc::new(TestServer::start());
    let storage = storage_of(&server);
    let mut removed = 0;
    for round in 0..ROUNDS {
        let group = server.create_group(&format!("G{round}"), 1, "end_customer");
        let (s1, devices) = (Arc::clone(&server), storage.clone());
        let outcome = race::<(Option<u16>, Option<bool>)>(vec![
            Box::new(move || {
                (
                    Some(s1.delete(&format!("/api/v1/groups/{group}")).status),
                    None,
                )
            }),
            Box::new(move || (None, Some(add_device(&devices, group).is_ok()))),
        ]);
        let deleted = outcome[0].0 == Some(204);
        let device_added = outcome[1].1 == Some(true);
        assert!(
            deleted != device_added,
            "round {round}: exactly one wins (deleted {deleted}, device {device_added})"
        );
        let still_there = server.get(&format!("/api/v1/groups/{group}")).status == 200;
        assert_eq!(
            still_there, device_added,
            "a device never outlives its group"
        );
        removed += usize::from(deleted);
    }
    eprintln!("removal won {removed} of {ROUNDS} rounds");
}

#[test]
fn two_creates_with_one_name() {
    let server = Arc::new(TestServer::start());
    for round in 0..ROUNDS {
        let contenders: Vec<Box<dyn FnOnce() -> Reply + Send>> =
            ["Twin {}", "TWIN {}", "twin {}", "  Twin {}  "]
                .into_iter()
                .map(|pattern| {
                    let server = Arc::clone(&server);
                    let name = pattern.replace("{}", &round.to_string());
                    Box::new(move || {
                        server.post(
                            "/api/v1/groups",
                            json!({"name": name, "parent_id": 1, "level": "reseller"}),
                        )
                    }) as Box<dyn FnOnce() -> Reply + Send>
                })
                .collect();
        let replies = race(contenders);
        let mut got = statuses(&replies);
        got.sort();
        assert_eq!(
            got,
            [201, 409, 409, 409],
            "{:?}",
            replies.iter().map(|r| &r.text).collect::<Vec<_>>()
        );
        assert!(
            replies
                .iter()
                .filter(|r| r.status == 409)
                .all(|r| r.code() == "name_taken")
        );
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
        let replies = race(vec![
            Box::new(move || s1.patch(&format!("/api/v1/groups/{existing}"), json!({"name": n1}))),
            Box::new(move || {
                s2.post(
                    "/api/v1/groups",
                    json!({"name": n2, "parent_id": 1, "level": "reseller"}),
                )
            }),
        ]);
        let won = replies
            .iter()
            .filter(|r| r.status == 200 || r.status == 201)
            .count();
        assert_eq!(
            won,
            1,
            "{:?}",
            replies.iter().map(|r| &r.text).collect::<Vec<_>>()
        );
    }
}

#[test]
fn a_child_created_while_its_parent_becomes_a_site() {
    let server = Arc::new(TestServer::start());
    for round in 0..ROUNDS {
        let parent = server.create_group(&format!("P{round}"), 1, "end_customer");
        let (s1, s2) = (Arc::clone(&server), Arc::clone(&server));
        let replies = race(vec![
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
        let level = server
            .get(&format!("/api/v1/groups/{parent}"))
            .expect(200)
            .body["level"]
            .clone();
        let children = server
            .get(&format!("/api/v1/groups/{parent}/children"))
            .expect(200)
            .body["items"]
            .as_array()
            .unwrap()
            .len();
        assert!(
            !(level == "site" && children > 0),
            "a site with a child: {:?}",
            statuses(&replies)
        );
        assert_eq!(statuses(&replies).iter().filter(|s| **s < 300).count(), 1);
    }
}

#[test]
fn a_child_created_while_its_parent_is_removed() {
    let server = Arc::new(TestServer::start());
    for round in 0..ROUNDS {
        let parent = server.create_group(&format!("P{round}"), 1, "reseller");
        let (s1, s2) = (Arc::clone(&server), Arc::clone(&server));
        let replies = race(vec![
            Box::new(move || s1.delete(&format!("/api/v1/groups/{parent}"))),
            Box::new(move || {
                s2.post(
                    "/api/v1/groups",
                    json!({"name": format!("C{round}"), "parent_id": parent, "level": "site"}),
                )
            }),
        ]);
        let (deleted, created) = (replies[0].status == 204, replies[1].status == 201);
        assert!(
            deleted != created,
            "exactly one wins: {:?}",
            statuses(&replies)
        );
        if created {
            let child = replies[1].id();
            assert_eq!(
                server
                    .get(&format!("/api/v1/groups/{child}/ancestors"))
                    .expect(200)
                    .body["items"][1]["id"],
                parent
            );
        }
    }
}
