//! Backup profiles and retention policies: visibility down the tree, locks, in-use protection,
//! the default policy, and what devices may use.

use serde_json::{Value, json};
use tenantry_tests::TestServer;

fn profile(name: &str) -> Value {
    json!({"name": name, "settings": {"data_sources": ["files_and_folders", "system_state"],
           "include": ["C:\\Users"], "exclude": ["*.tmp"],
           "schedule": {"frequency": "weekly", "days": ["mon", "thu"], "at": "23:30"}}})
}

fn policy(name: &str, daily: u32) -> Value {
    json!({"name": name, "settings": {"intra_daily": 0, "daily": daily, "weekly": 4,
           "monthly": 12, "yearly": 1}})
}

fn listed(server: &TestServer, token: &str, path: &str) -> Vec<(String, bool)> {
    server.with_token(token).get(path).expect(200).body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_owned(),
                s["locked"].as_bool().unwrap(),
            )
        })
        .collect()
}

#[test]
fn settings_are_used_down_the_tree_and_changed_only_from_the_owner_up() {
    let server = TestServer::start();
    let reseller = server.create_group("Reseller", 1, "reseller");
    let customer = server.create_group("Customer", reseller, "end_customer");
    let sibling = server.create_group("Sibling", 1, "reseller");
    let root_profile = server
        .post("/api/v1/groups/1/profiles", profile("Root nightly"))
        .expect(201)
        .id();
    let reseller_profile = server
        .post(
            &format!("/api/v1/groups/{reseller}/profiles"),
            profile("Reseller weekly"),
        )
        .expect(201)
        .id();
    let (_, customer_admin) =
        server.create_user(customer, "boss@customer.example", "administrator", false);
    let (_, sibling_admin) =
        server.create_user(sibling, "boss@sibling.example", "administrator", false);

    // Three levels: the customer uses both, locked; the reseller its own unlocked.
    assert_eq!(
        listed(
            &server,
            &customer_admin,
            &format!("/api/v1/groups/{customer}/profiles")
        ),
        [
            ("Root nightly".to_owned(), true),
            ("Reseller weekly".to_owned(), true)
        ]
    );
    assert_eq!(
        listed(
            &server,
            &server.token,
            &format!("/api/v1/groups/{reseller}/profiles")
        ),
        [
            ("Root nightly".to_owned(), true),
            ("Reseller weekly".to_owned(), false)
        ]
    );
    // Read from below: locked, without naming the owner above the caller.
    let seen = server
        .with_token(&customer_admin)
        .get(&format!("/api/v1/profiles/{root_profile}"))
        .expect(200);
    assert_eq!(seen.body["locked"], true);
    assert_eq!(seen.body["group_id"], Value::Null);
    server
        .with_token(&customer_admin)
        .patch(
            &format!("/api/v1/profiles/{reseller_profile}"),
            json!({"name": "Mine now"}),
        )
        .expect_error(403, "forbidden");
    // Never by siblings.
    server
        .with_token(&sibling_admin)
        .get(&format!("/api/v1/profiles/{reseller_profile}"))
        .expect_error(404, "not_found");
    assert_eq!(
        listed(
            &server,
            &sibling_admin,
            &format!("/api/v1/groups/{sibling}/profiles")
        ),
        [("Root nightly".to_owned(), true)]
    );
    // The owner (or above) changes it.
    let changed = server
        .patch(
            &format!("/api/v1/profiles/{reseller_profile}"),
            json!({"settings": {"data_sources": ["ms_sql"], "schedule": {"frequency": "hourly", "every_hours": 4}}}),
        )
        .expect(200);
    assert_eq!(changed.body["settings"]["schedule"]["every_hours"], 4);
    assert_eq!(changed.body["name"], "Reseller weekly");
}

#[test]
fn devices_use_only_available_settings_and_keep_them_in_use() {
    let server = TestServer::start();
    let reseller = server.create_group("Reseller", 1, "reseller");
    let customer = server.create_group("Customer", reseller, "end_customer");
    let sibling = server.create_group("Sibling", 1, "reseller");
    let weekly = server
        .post(
            &format!("/api/v1/groups/{reseller}/profiles"),
            profile("Reseller weekly"),
        )
        .expect(201)
        .id();
    let keep = server
        .post(
            &format!("/api/v1/groups/{reseller}/retention-policies"),
            policy("Keep long", 60),
        )
        .expect(201)
        .id();
    // A device without a policy uses the installation's default.
    let plain = server
        .post(
            &format!("/api/v1/groups/{customer}/devices"),
            json!({"name": "plain", "os": "Linux"}),
        )
        .expect(201);
    let default = plain.body["retention_policy_id"].as_i64().unwrap();
    let default_policy = server
        .get(&format!("/api/v1/retention-policies/{default}"))
        .expect(200);
    assert_eq!(default_policy.body["default"], true);
    let device = server
        .post(
            &format!("/api/v1/groups/{customer}/devices"),
            json!({"name": "pc", "os": "Linux", "profile_id": weekly, "retention_policy_id": keep}),
        )
        .expect(201)
        .id();
    // Not from a sibling's tree, and not moved to where it is not available.
    server
        .post(
            &format!("/api/v1/groups/{sibling}/devices"),
            json!({"name": "x", "os": "Linux", "profile_id": weekly}),
        )
        .expect_error(409, "not_available");
    server
        .patch(
            &format!("/api/v1/devices/{device}"),
            json!({"group_id": sibling}),
        )
        .expect_error(409, "not_available");
    // In use: kept, with the count.
    let refused = server
        .delete(&format!("/api/v1/profiles/{weekly}"))
        .expect_error(409, "in_use");
    assert_eq!(refused.body["devices"], 1);
    server
        .delete(&format!("/api/v1/retention-policies/{keep}"))
        .expect_error(409, "in_use");
    // Once the device lets go, it may move and the profile may go.
    server
        .patch(
            &format!("/api/v1/devices/{device}"),
            json!({"profile_id": null, "retention_policy_id": default, "group_id": sibling}),
        )
        .expect(200);
    server
        .delete(&format!("/api/v1/profiles/{weekly}"))
        .expect(204);
    server
        .delete(&format!("/api/v1/retention-policies/{keep}"))
        .expect(204);
    // The default policy is nobody's to change.
    server
        .patch(
            &format!("/api/v1/retention-policies/{default}"),
            json!({"name": "Mine"}),
        )
        .expect_error(403, "forbidden");
    server
        .delete(&format!("/api/v1/retention-policies/{default}"))
        .expect_error(403, "forbidden");
}

#[test]
fn who_may_manage_profiles_and_policies_and_bad_ones() {
    let server = TestServer::start();
    let acme = server.create_group("Acme", 1, "reseller");
    for (role, profiles, policies) in [
        ("manager", 201, 403),
        ("operator", 403, 403),
        ("administrator", 201, 201),
    ] {
        let (_, token) = server.create_user(1, &format!("{role}@example.com"), role, false);
        let caller = server.with_token(&token);
        let made = caller.post(
            &format!("/api/v1/groups/{acme}/profiles"),
            profile(&format!("{role} p")),
        );
        assert_eq!(made.status, profiles, "{role}: {}", made.text);
        let made = caller.post(
            &format!("/api/v1/groups/{acme}/retention-policies"),
            policy(&format!("{role} r"), 7),
        );
        assert_eq!(made.status, policies, "{role}: {}", made.text);
    }
    server
        .post(
            &format!("/api/v1/groups/{acme}/retention-policies"),
            json!({"name": "nothing kept", "settings": {"intra_daily": 0, "daily": 0, "weekly": 0,
                   "monthly": 0, "yearly": 0}}),
        )
        .expect_error(422, "validation_failed");
    server
        .post(
            &format!("/api/v1/groups/{acme}/profiles"),
            json!({"name": "bad", "settings": {"data_sources": ["floppies"], "schedule": {"frequency": "daily", "at": "22:00"}}}),
        )
        .expect_error(422, "validation_failed");
}

/// A group's default profile and policy: set where the group may use them, inherited by the
/// groups below (the nearest wins), given to devices that name none — enrolled or added by hand
/// — and kept from removal while they are someone's default.
#[test]
fn a_customers_defaults_are_inherited_and_applied_at_enrolment() {
    let server = TestServer::start();
    let reseller = server.create_group("Defaults Reseller", 1, "reseller");
    let customer = server
        .post(
            "/api/v1/groups",
            json!({"name": "Defaults Customer", "parent_id": reseller, "level": "end_customer",
                   "automatic_deployment": true}),
        )
        .expect(201)
        .id();
    let sibling = server.create_group("Defaults Sibling", 1, "reseller");
    let weekly = server
        .post(
            &format!("/api/v1/groups/{reseller}/profiles"),
            profile("Weekly"),
        )
        .expect(201)
        .id();
    let keep = server
        .post(
            &format!("/api/v1/groups/{reseller}/retention-policies"),
            policy("Keep long", 60),
        )
        .expect(201)
        .id();
    let foreign = server
        .post(
            &format!("/api/v1/groups/{sibling}/profiles"),
            profile("Theirs"),
        )
        .expect(201)
        .id();
    let path = |group: i64| format!("/api/v1/groups/{group}/backup-defaults");

    // Nothing set: no profile, the installation's default policy.
    let before = server.get(&path(customer)).expect(200);
    assert_eq!(before.body["profile_id"], Value::Null);
    assert!(before.body["retention_policy_id"].is_i64());

    // Set on the reseller, one field at a time; the customer inherits both.
    server
        .patch(&path(reseller), json!({"profile_id": weekly}))
        .expect(200);
    let set = server
        .patch(&path(reseller), json!({"retention_policy_id": keep}))
        .expect(200);
    assert_eq!(
        set.body["own"],
        json!({"profile_id": weekly, "retention_policy_id": keep})
    );
    let inherited = server.get(&path(customer)).expect(200);
    assert_eq!(inherited.body["own"]["profile_id"], Value::Null);
    assert_eq!(inherited.body["profile_id"], weekly);
    assert_eq!(inherited.body["profile_from"], reseller);
    assert_eq!(inherited.body["retention_policy_id"], keep);

    // A setting the group may not use is refused by field; an unknown field too.
    server
        .patch(&path(customer), json!({"profile_id": foreign}))
        .expect_error(422, "validation_failed");
    server
        .patch(&path(customer), json!({"profile": weekly}))
        .expect_error(422, "validation_failed");

    // Enrolment and a device added by hand, naming nothing, get the defaults.
    let token = server.deployment_token(customer);
    let enrolled = server
        .with_token("")
        .post(
            "/api/v1/enroll",
            json!({"token": token, "name": "pc", "os": "Windows 11"}),
        )
        .expect(201);
    assert_eq!(enrolled.body["profile_id"], weekly);
    assert_eq!(enrolled.body["retention_policy_id"], keep);
    let added = server
        .post(
            &format!("/api/v1/groups/{customer}/devices"),
            json!({"name": "added", "os": "Linux"}),
        )
        .expect(201);
    assert_eq!(added.body["profile_id"], weekly);

    // A default cannot be removed from under the groups that use it.
    let removable = server
        .post(
            &format!("/api/v1/groups/{reseller}/profiles"),
            profile("Spare"),
        )
        .expect(201)
        .id();
    server
        .patch(&path(customer), json!({"profile_id": removable}))
        .expect(200);
    server
        .delete(&format!("/api/v1/profiles/{removable}"))
        .expect_error(409, "conflict");
    // Null inherits again, and then it can go.
    server
        .patch(&path(customer), json!({"profile_id": null}))
        .expect(200);
    server
        .delete(&format!("/api/v1/profiles/{removable}"))
        .expect(204);
    assert_eq!(
        server.get(&path(customer)).expect(200).body["profile_id"],
        weekly
    );
}
