//! Tenant isolation, driven by the server's own route table (its OpenAPI document): for every
//! route and method, callers whose group is a sibling, a descendant or a cousin of the target's
//! group get exactly the answer a missing id gets (404 where the target is in the path), callers
//! without a token get 401, and afterwards the targeted data is unchanged.
//!
//! A route this file cannot aim at a target (an unknown path parameter, a body it has no sample
//! for, a route that is neither targeted nor listed as untargeted) fails the suite: a new
//! endpoint cannot slip past it.

use serde_json::{Value, json};
use tenantry_tests::{As, TestServer};

/// Routes that act on no group or user of someone else: the caller's own session and identity.
const UNTARGETED: &[&str] = &[
    "post /api/v1/auth/login",
    "post /api/v1/auth/logout",
    "get /api/v1/me",
    "get /api/v1/plugins",
];

/// Routes that answer without a token.
/// (Enrolment authenticates with a deployment token in its body, not a header.)
const PUBLIC: &[&str] = &[
    "post /api/v1/auth/login",
    "post /api/v1/enroll",
    "get /healthz",
    "get /metrics",
    "get /readyz",
];

/// An id no resource has.
const MISSING: i64 = 987_654_321;

/// What the attack aims at: a group with a user, an API user with a token, a company profile and
/// a child.
struct Target {
    group: i64,
    user: i64,
    api_user: i64,
    token: i64,
    contact: i64,
    activity: i64,
    device: i64,
    deployment_token: i64,
    profile: i64,
    policy: i64,
    report: i64,
    note: i64,
}

/// Profiles and policies are, by design, readable from below: a descendant of the owning group
/// uses them (locked). Its callers read them (200) and are refused changing them (403).
const INHERITED: [&str; 2] = ["/api/v1/profiles/{id}", "/api/v1/retention-policies/{id}"];

fn profile_body() -> Value {
    json!({"name": "Nightly", "settings": {"data_sources": ["files_and_folders"],
           "schedule": {"frequency": "daily", "at": "22:00"}}})
}

fn report_body() -> Value {
    json!({"title": "Usage", "kind": "usage", "recipients": {"emails": ["t@t.example"]},
           "schedule": {"frequency": "daily", "at": "07:00", "time_zone": "UTC"}})
}

fn policy_body() -> Value {
    json!({"name": "Keep", "settings": {"intra_daily": 0, "daily": 7, "weekly": 4,
           "monthly": 0, "yearly": 0}})
}

/// A request body.
enum Sample {
    Json(Value),
    Image(Vec<u8>),
    Csv(String),
}

/// A valid import file, aimed at `group` (named `name`).
fn import_file(name: &str) -> String {
    format!("name,parent,level\nIntruder import,{name},site\n")
}

/// The header of a 64 × 64 PNG: all an image check reads.
pub fn png() -> Vec<u8> {
    let mut bytes = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13];
    bytes.extend_from_slice(b"IHDR");
    bytes.extend_from_slice(&64u32.to_be_bytes());
    bytes.extend_from_slice(&64u32.to_be_bytes());
    bytes.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
    bytes
}

/// A valid body for each route that takes one, aimed at `group`; `None` for routes without.
fn sample_body(operation: &str, group: i64) -> Option<Value> {
    Some(match operation {
        "post /api/v1/groups" => {
            json!({"name": format!("Intruder {group}"), "parent_id": group, "level": "site"})
        }
        "patch /api/v1/groups/{id}" => json!({"name": "Taken over"}),
        "put /api/v1/groups/{id}/company" => json!({"legal_name": "Taken over Ltd"}),
        "post /api/v1/groups/{id}/users" => json!({
            "username": "intruder@example.com", "role": "superuser",
            "password": "crimson lantern harbour",
        }),
        "patch /api/v1/users/{id}" => json!({"role": "supporter", "name": "Taken over"}),
        "post /api/v1/users/{id}/tokens" => json!({"name": "stolen"}),
        "put /api/v1/groups/{id}/branding" => json!({"company_name": "Taken over"}),
        "patch /api/v1/groups/{id}/branding" => json!({"company_name": "Taken over"}),
        "patch /api/v1/groups/{id}/backup-defaults" => json!({"profile_id": null}),
        "post /api/v1/groups/{id}/contacts" => json!({"name": "Intruder"}),
        "post /api/v1/groups/{id}/notes" => json!({"text": "Intruder"}),
        "patch /api/v1/groups/{id}/contacts/{cid}" => json!({"name": "Intruder"}),
        "post /api/v1/groups/{id}/activities" => {
            json!({"kind": "note", "subject": "Intruder", "when": "2026-01-01T00:00:00Z"})
        }
        "patch /api/v1/groups/{id}/activities/{aid}" => json!({"subject": "Intruder"}),
        "post /api/v1/groups/{id}/devices" => json!({"name": "intruder-pc", "os": "Linux"}),
        // Replacing, the strongest thing it can ask.
        "post /api/v1/devices/{id}/passphrase" => json!({"replace": true}),
        "post /api/v1/groups/{id}/deployment-tokens" => json!({"name": "intruder"}),
        "post /api/v1/groups/{id}/profiles" => profile_body(),
        "post /api/v1/groups/{id}/retention-policies" => policy_body(),
        "post /api/v1/groups/{id}/scheduled-reports" => report_body(),
        "put /api/v1/groups/{id}/scheduled-reports/{rid}" => report_body(),
        "patch /api/v1/profiles/{id}" => json!({"name": "Taken over"}),
        "patch /api/v1/retention-policies/{id}" => json!({"name": "Taken over"}),
        "patch /api/v1/devices/{id}" => json!({"name": "taken-over"}),
        "post /api/v1/devices/{id}/sessions" => json!({
            "started_at": "2026-01-01T00:00:00Z", "ended_at": "2026-01-01T01:00:00Z",
            "status": "failed", "selected_bytes": 1, "used_bytes": 1,
        }),
        _ => return None,
    })
}

/// The path with its parameters pointed at the target (or at nothing, with `missing`).
fn aim(operation: &str, target: &Target, missing: bool) -> String {
    let (_, path) = operation.split_once(' ').unwrap();
    let pick = |id: i64| if missing { MISSING } else { id };
    let mut aimed = path.to_owned();
    if path.starts_with("/api/v1/groups/{id}") {
        aimed = aimed.replace("{id}", &pick(target.group).to_string());
    } else if path.starts_with("/api/v1/profiles/{id}") {
        aimed = aimed.replace("{id}", &pick(target.profile).to_string());
    } else if path.starts_with("/api/v1/retention-policies/{id}") {
        aimed = aimed.replace("{id}", &pick(target.policy).to_string());
    } else if path.starts_with("/api/v1/devices/{id}") {
        aimed = aimed.replace("{id}", &pick(target.device).to_string());
    } else if path.starts_with("/api/v1/users/{id}/tokens") {
        aimed = aimed.replace("{id}", &pick(target.api_user).to_string());
    } else if path.starts_with("/api/v1/users/{id}") {
        aimed = aimed.replace("{id}", &pick(target.user).to_string());
    }
    aimed = aimed.replace("{token_id}", &pick(target.token).to_string());
    aimed = aimed.replace("{cid}", &pick(target.contact).to_string());
    aimed = aimed.replace("{aid}", &pick(target.activity).to_string());
    aimed = aimed.replace("{tid}", &pick(target.deployment_token).to_string());
    aimed = aimed.replace("{rid}", &pick(target.report).to_string());
    aimed = aimed.replace("{nid}", &pick(target.note).to_string());
    // An installer every test server offers (tests/fixtures/downloads).
    aimed = aimed.replace("{os}/{file}", "linux/tenantry-2.4.1-x86_64");
    aimed = aimed.replace("{metric}", "used_bytes");
    assert!(
        !aimed.contains('{'),
        "{operation}: a path parameter the isolation suite does not know; teach `aim` about it"
    );
    aimed
}

/// What kind of body an operation takes, by the OpenAPI document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum BodyKind {
    None,
    Json,
    Image,
    Csv,
}

/// Every operation of the route table, as `method path`, with the body it takes and whether a
/// device (rather than a user) calls it.
fn operations(server: &TestServer) -> Vec<(String, BodyKind, bool)> {
    let doc = server
        .with_token("")
        .get("/api/v1/openapi.json")
        .expect(200);
    let mut found = Vec::new();
    for (path, item) in doc.body["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let body = match operation.get("requestBody") {
                None => BodyKind::None,
                Some(body) if body["content"].get("image/png").is_some() => BodyKind::Image,
                Some(body) if body["content"].get("text/csv").is_some() => BodyKind::Csv,
                Some(_) => BodyKind::Json,
            };
            // Routes a device calls with its own credential are attacked with other devices'.
            let by_device = operation["security"]
                .as_array()
                .is_some_and(|all| all.iter().any(|s| s.get("device").is_some()));
            found.push((format!("{method} {path}"), body, by_device));
        }
    }
    found.sort();
    assert!(found.len() > 10, "the route table looks empty: {found:?}");
    found
}

/// Everything about the target an attack could change, read by the root's SuperUser.
fn snapshot(server: &TestServer, target: &Target) -> Vec<String> {
    let group = target.group;
    [
        format!("/api/v1/groups/{group}"),
        format!("/api/v1/groups/{group}/company"),
        format!("/api/v1/groups/{group}/children"),
        format!("/api/v1/groups/{group}/users"),
        format!("/api/v1/users/{}", target.user),
        format!("/api/v1/users/{}/tokens", target.api_user),
        format!("/api/v1/groups/{group}/branding"),
        format!("/api/v1/groups/{group}/branding/effective"),
        format!("/api/v1/groups/{group}/contacts"),
        format!("/api/v1/groups/{group}/activities"),
        format!("/api/v1/groups/{group}/notes"),
        format!("/api/v1/groups/{group}/scheduled-reports"),
        format!("/api/v1/groups/{group}/devices"),
        format!("/api/v1/groups/{group}/deployment-tokens"),
        format!("/api/v1/groups/{group}/profiles"),
        format!("/api/v1/groups/{group}/retention-policies"),
        format!("/api/v1/profiles/{}", target.profile),
        format!("/api/v1/retention-policies/{}", target.policy),
        format!("/api/v1/devices/{}", target.device),
        format!("/api/v1/devices/{}/history", target.device),
        "/api/v1/groups/1/descendants?limit=500".to_owned(),
    ]
    .iter()
    .map(|path| server.get(path).expect(200).text)
    .collect()
}

#[test]
fn no_caller_reaches_outside_its_subtree_on_any_route() {
    let server = TestServer::start();
    //        root (distributor)
    //        ├── A (sub-distributor)
    //        │   ├── T (reseller)  ← the target: users, an API user with a token, a company
    //        │   │   └── D (end-customer)  ← a descendant's caller
    //        │   └── S (reseller)  ← a sibling's caller
    //        └── B (sub-distributor)
    //            └── C (reseller)  ← a cousin's caller
    let a = server.create_group("A", 1, "sub_distributor");
    let t = server.create_group("T", a, "reseller");
    let d = server.create_group("D", t, "end_customer");
    let s = server.create_group("S", a, "reseller");
    let b = server.create_group("B", 1, "sub_distributor");
    let c = server.create_group("C", b, "reseller");
    server
        .put(
            &format!("/api/v1/groups/{t}/company"),
            json!({"legal_name": "T Ltd"}),
        )
        .expect(200);
    let (user, _) = server.create_user(t, "user@t.example", "operator", false);
    let api_user = server
        .post(
            &format!("/api/v1/groups/{t}/users"),
            json!({"username": "robot@t.example", "role": "manager", "kind": "api"}),
        )
        .expect(201)
        .id();
    let token = server
        .post(&format!("/api/v1/users/{api_user}/tokens"), json!({}))
        .expect(201)
        .id();
    server
        .put(
            &format!("/api/v1/groups/{t}/branding"),
            json!({"company_name": "T"}),
        )
        .expect(200);
    server
        .with_token(&server.token)
        .raw(
            "PUT",
            &format!("/api/v1/groups/{t}/branding/logo"),
            "image/png",
            &png(),
        )
        .expect(200);
    let contact = server
        .post(
            &format!("/api/v1/groups/{t}/contacts"),
            json!({"name": "Tess"}),
        )
        .expect(201)
        .id();
    let activity = server
        .post(
            &format!("/api/v1/groups/{t}/activities"),
            json!({"kind": "call", "subject": "Hello", "when": "2026-01-01T00:00:00Z"}),
        )
        .expect(201)
        .id();
    let device = server
        .post(
            &format!("/api/v1/groups/{t}/devices"),
            json!({"name": "t-pc", "os": "Windows 11"}),
        )
        .expect(201)
        .id();
    server
        .patch(
            &format!("/api/v1/groups/{t}"),
            json!({"automatic_deployment": true}),
        )
        .expect(200);
    let deployment_token = server
        .post(&format!("/api/v1/groups/{t}/deployment-tokens"), json!({}))
        .expect(201)
        .id();
    let profile = server
        .post(&format!("/api/v1/groups/{t}/profiles"), profile_body())
        .expect(201)
        .id();
    let policy = server
        .post(
            &format!("/api/v1/groups/{t}/retention-policies"),
            policy_body(),
        )
        .expect(201)
        .id();
    let report = server
        .post(
            &format!("/api/v1/groups/{t}/scheduled-reports"),
            report_body(),
        )
        .expect(201)
        .id();
    let note = server
        .post(
            &format!("/api/v1/groups/{t}/notes"),
            json!({"text": "T's note"}),
        )
        .expect(201)
        .id();
    let target = Target {
        group: t,
        user,
        api_user,
        token,
        contact,
        activity,
        device,
        deployment_token,
        profile,
        policy,
        report,
        note,
    };
    // The strongest callers there are, so that nothing but scope can stop them.
    let callers: Vec<(&str, String)> = [("sibling", s), ("descendant", d), ("cousin", c)]
        .into_iter()
        .map(|(who, group)| {
            let email = format!("boss@{who}.example");
            (who, server.create_user(group, &email, "superuser", true).1)
        })
        .collect();
    // And a device in each of those groups, with its own credential.
    let devices: Vec<(&str, String)> = [("sibling", s), ("descendant", d), ("cousin", c)]
        .into_iter()
        .map(|(who, group)| {
            let created = server
                .post(
                    &format!("/api/v1/groups/{group}/devices"),
                    json!({"name": format!("{who}-pc"), "os": "Linux"}),
                )
                .expect(201);
            (who, created.body["credential"].as_str().unwrap().to_owned())
        })
        .collect();

    let before = snapshot(&server, &target);
    let mut covered = 0;
    for (operation, body_kind, by_device) in operations(&server) {
        let method = operation.split_once(' ').unwrap().0.to_uppercase();
        if !PUBLIC.contains(&operation.as_str()) {
            let reply =
                server
                    .with_token("")
                    .request(&method, &aim(&operation, &target, false), None);
            assert_eq!(
                (reply.status, reply.code()),
                (401, "unauthenticated"),
                "{operation} without a token: {}",
                reply.text
            );
        }
        if UNTARGETED.contains(&operation.as_str()) || PUBLIC.contains(&operation.as_str()) {
            continue;
        }
        let sample = |group: i64| match body_kind {
            BodyKind::None => None,
            BodyKind::Image => Some(Sample::Image(png())),
            // The parent named is the target itself: the caller's own subtree is no way in.
            BodyKind::Csv => Some(Sample::Csv(import_file("T"))),
            BodyKind::Json => Some(Sample::Json(sample_body(&operation, group).unwrap_or_else(
                || panic!("{operation}: give it a sample body in `sample_body`"),
            ))),
        };
        if body_kind != BodyKind::Json {
            assert!(
                sample_body(&operation, target.group).is_none(),
                "{operation}: takes no JSON body; remove its stale sample"
            );
        }
        let attackers = if by_device { &devices } else { &callers };
        for (who, token) in attackers {
            let caller: As<'_> = server.with_token(token);
            let send = |path: String, body: Option<Sample>| match body {
                None => caller.request(&method, &path, None),
                Some(Sample::Json(json)) => caller.request(&method, &path, Some(&json)),
                Some(Sample::Image(bytes)) => caller.raw(&method, &path, "image/png", &bytes),
                Some(Sample::Csv(text)) => caller.raw(&method, &path, "text/csv", text.as_bytes()),
            };
            let reply = send(aim(&operation, &target, false), sample(target.group));
            let inherited = INHERITED.iter().any(|p| operation.ends_with(p));
            if *who == "descendant" && inherited {
                let expected = if method == "GET" { 200 } else { 403 };
                assert_eq!(
                    reply.status, expected,
                    "{operation} by the descendant: {}",
                    reply.text
                );
                continue;
            }
            let missing = send(aim(&operation, &target, true), sample(MISSING));
            assert!(
                reply.status >= 400,
                "{operation} by the {who}: {} {}",
                reply.status,
                reply.text
            );
            assert_eq!(
                (reply.status, reply.code()),
                (missing.status, missing.code()),
                "{operation} by the {who} must look exactly like a missing target: {} vs {}",
                reply.text,
                missing.text
            );
            // The detail may echo the caller's own input (an id in the body); nothing else.
            let detail = reply.body["detail"]
                .as_str()
                .unwrap_or_default()
                .replace(&target.group.to_string(), &MISSING.to_string());
            assert_eq!(
                detail,
                missing.body["detail"].as_str().unwrap_or_default(),
                "{operation}"
            );
            if operation.contains("{id}") {
                assert_eq!(
                    reply.status, 404,
                    "{operation} by the {who}: {}",
                    reply.text
                );
            }
        }
        covered += 1;
    }
    assert!(covered >= 15, "only {covered} targeted routes were tried");
    assert_eq!(
        snapshot(&server, &target),
        before,
        "an attack changed the target"
    );
}

#[test]
fn the_descendant_can_still_reach_its_own_subtree() {
    // The suite above proves refusals; this proves the same callers are not refused everything.
    let server = TestServer::start();
    let t = server.create_group("T", 1, "reseller");
    let d = server.create_group("D", t, "end_customer");
    let site = server.create_group("D site", d, "site");
    let (_, token) = server.create_user(d, "boss@d.example", "superuser", true);
    let caller = server.with_token(&token);
    caller.get(&format!("/api/v1/groups/{d}")).expect(200);
    caller.get(&format!("/api/v1/groups/{site}")).expect(200);
    let ancestors = caller
        .get(&format!("/api/v1/groups/{site}/ancestors"))
        .expect(200);
    let ids: Vec<i64> = ancestors.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [d], "the way up stops at the caller's own group");
    let own = caller.get(&format!("/api/v1/groups/{d}")).expect(200);
    assert_eq!(own.body["parent_id"], Value::Null, "nothing above is shown");
}
