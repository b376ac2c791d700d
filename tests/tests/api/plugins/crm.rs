//! The CRM plugin: contacts, activities past and upcoming, the summary, the hooks, the cleanup.

use serde_json::json;
use tenantry_tests::TestServer;

use super::records;

#[test]
fn contacts_are_added_listed_changed_and_removed() {
    let server = TestServer::start();
    let acme = server.create_group("Acme", 1, "reseller");
    let base = format!("/api/v1/groups/{acme}/contacts");
    let bob = server
        .post(
            &base,
            json!({"name": "Bob", "type": "technical", "email": "bob@acme.example"}),
        )
        .expect(201)
        .id();
    server
        .post(
            &base,
            json!({"name": "ann", "type": "billing", "mailing_opt_in": true}),
        )
        .expect(201);
    let page = server.get(&format!("{base}?limit=1")).expect(200);
    assert_eq!(
        page.body["items"][0]["name"], "ann",
        "by name, ignoring case"
    );
    assert_eq!(page.body["has_more"], true);
    let cursor = page.body["next_cursor"].as_str().unwrap();
    let rest = server
        .get(&format!("{base}?limit=1&cursor={cursor}"))
        .expect(200);
    assert_eq!(rest.body["items"][0]["name"], "Bob");
    assert_eq!(rest.body["has_more"], false);

    let changed = server
        .patch(
            &format!("{base}/{bob}"),
            json!({"phone": "+1 555 0100", "email": null}),
        )
        .expect(200);
    assert_eq!(changed.body["phone"], "+1 555 0100");
    assert_eq!(changed.body["email"], serde_json::Value::Null);
    assert_eq!(changed.body["type"], "technical");
    server
        .post(&base, json!({"name": "", "type": "sales"}))
        .expect_error(422, "validation_failed");
    server
        .post(&base, json!({"name": "X", "type": "friend"}))
        .expect_error(422, "validation_failed");
    server.delete(&format!("{base}/{bob}")).expect(204);
    server
        .get(&format!("{base}/{bob}"))
        .expect_error(404, "not_found");
}

#[test]
fn a_contacts_user_is_a_user_of_its_groups_subtree() {
    let server = TestServer::start();
    let acme = server.create_group("Acme", 1, "reseller");
    let site = server.create_group("Acme Site", acme, "end_customer");
    let other = server.create_group("Other", 1, "reseller");
    let (own, _) = server.create_user(acme, "own@acme.example", "operator", false);
    let (below, _) = server.create_user(site, "below@acme.example", "operator", false);
    let (sibling, _) = server.create_user(other, "sib@other.example", "operator", false);
    let base = format!("/api/v1/groups/{acme}/contacts");
    for user in [own, below] {
        server
            .post(
                &base,
                json!({"name": "Person", "type": "technical", "user_id": user}),
            )
            .expect(201);
    }
    // A user of a sibling, of the group above (the root's SuperUser is user 1), or of nobody.
    for user in [sibling, 1, 999_999] {
        let refused = server
            .post(
                &base,
                json!({"name": "Person", "type": "technical", "user_id": user}),
            )
            .expect_error(422, "validation_failed");
        assert!(refused.text.contains("user_id"), "{}", refused.text);
    }
    let bob = server
        .post(&base, json!({"name": "Bob", "type": "technical"}))
        .expect(201)
        .id();
    server
        .patch(&format!("{base}/{bob}"), json!({"user_id": sibling}))
        .expect_error(422, "validation_failed");
}

#[test]
fn activities_do_not_show_the_ids_of_users_above_the_reader() {
    let server = TestServer::start();
    let acme = server.create_group("Acme", 1, "reseller");
    let (_, customer) = server.create_user(acme, "own@acme.example", "manager", false);
    let base = format!("/api/v1/groups/{acme}/activities");
    // The root's SuperUser (user 1) records one, the customer's own manager another.
    server
        .post(
            &base,
            json!({"kind": "call", "subject": "From above", "when": "2026-01-02T10:00:00Z"}),
        )
        .expect(201);
    let own = server
        .with_token(&customer)
        .post(
            &base,
            json!({"kind": "note", "subject": "Own", "when": "2026-01-03T10:00:00Z"}),
        )
        .expect(201);
    let own_author = own.body["author"]["user_id"].clone();
    assert!(own_author.is_i64());
    let seen = server.with_token(&customer).get(&base).expect(200);
    let items = seen.body["items"].as_array().unwrap();
    let by =
        |subject: &str| items.iter().find(|i| i["subject"] == subject).unwrap()["author"].clone();
    assert_eq!(by("From above"), json!({"user_id": null, "system": false}));
    assert_eq!(by("Own")["user_id"], own_author);
    let one = seen.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["subject"] == "From above")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let single = server
        .with_token(&customer)
        .get(&format!("{base}/{one}"))
        .expect(200);
    assert_eq!(single.body["author"]["user_id"], serde_json::Value::Null);
    // The root sees both authors.
    let root_view = server.get(&base).expect(200);
    assert!(
        root_view.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["author"]["user_id"].is_i64())
    );
}

#[test]
fn activities_filter_past_and_upcoming_newest_first() {
    let server = TestServer::start();
    let acme = server.create_group("Acme", 1, "reseller");
    let base = format!("/api/v1/groups/{acme}/activities");
    let contact = server
        .post(
            &format!("/api/v1/groups/{acme}/contacts"),
            json!({"name": "Ann"}),
        )
        .expect(201)
        .id();
    for (subject, when) in [
        ("old call", "2020-01-01T10:00:00Z"),
        ("recent mail", "2025-06-01T10:00:00Z"),
        ("next meeting", "2099-01-01T10:00:00Z"),
        ("later meeting", "2099-06-01T10:00:00Z"),
    ] {
        server
            .post(
                &base,
                json!({"kind": "meeting", "subject": subject, "when": when, "contact_id": contact}),
            )
            .expect(201);
    }
    let subjects = |path: &str| -> Vec<String> {
        server.get(path).expect(200).body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["subject"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        subjects(&format!("{base}?when=past")),
        ["recent mail", "old call"]
    );
    assert_eq!(
        subjects(&format!("{base}?when=upcoming")),
        ["later meeting", "next meeting"]
    );
    assert_eq!(subjects(&base).len(), 4);
    let summary = server
        .get(&format!("/api/v1/groups/{acme}/crm"))
        .expect(200);
    assert_eq!(summary.body["last_activity"]["subject"], "recent mail");
    assert_eq!(summary.body["next_activity"]["subject"], "next meeting");
    server
        .get(&format!("{base}?when=someday"))
        .expect_error(422, "validation_failed");
    server
        .post(&base, json!({"kind": "call", "subject": "x", "when": "2026-01-01T00:00:00Z", "contact_id": 999}))
        .expect_error(422, "validation_failed");
    // Managers record activities; only SuperUsers and Administrators edit contacts.
    let (_, manager) = server.create_user(1, "m@example.com", "manager", false);
    let manager = server.with_token(&manager);
    manager
        .post(
            &base,
            json!({"kind": "note", "subject": "by a manager", "when": "2026-01-01T00:00:00Z"}),
        )
        .expect(201);
    manager
        .post(
            &format!("/api/v1/groups/{acme}/contacts"),
            json!({"name": "Zed"}),
        )
        .expect_error(403, "forbidden");
}

#[test]
fn renames_and_moves_record_themselves_and_removal_takes_everything() {
    let server = TestServer::start();
    let a = server.create_group("A", 1, "sub_distributor");
    let b = server.create_group("B", 1, "sub_distributor");
    let acme = server.create_group("Acme", a, "reseller");
    server
        .patch(
            &format!("/api/v1/groups/{acme}"),
            json!({"name": "Acme Backup"}),
        )
        .expect(200);
    server
        .patch(&format!("/api/v1/groups/{acme}"), json!({"parent_id": b}))
        .expect(200);
    let log = server
        .get(&format!("/api/v1/groups/{acme}/activities"))
        .expect(200);
    let items = log.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{}", log.text);
    assert_eq!(items[0]["subject"], "Moved to another parent group");
    assert_eq!(items[0]["author"]["user_id"], serde_json::Value::Null);
    assert_eq!(items[1]["subject"], "Renamed from Acme to Acme Backup");
    assert_eq!(items[1]["author"]["system"], true);

    server
        .post(
            &format!("/api/v1/groups/{acme}/contacts"),
            json!({"name": "Ann"}),
        )
        .expect(201);
    assert_eq!(records(&server, "crm", acme, "contacts"), 1);
    server.delete(&format!("/api/v1/groups/{acme}")).expect(204);
    assert_eq!(records(&server, "crm", acme, "contacts"), 0);
    assert_eq!(records(&server, "crm", acme, "activities"), 0);
}
