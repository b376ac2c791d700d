//! Tenant isolation, driven by the server's own route table (its OpenAPI document): for every
//! route and method, callers whose group is a sibling, a descendant or a cousin of the target's
//! group get exactly the answer a missing id gets (404 where the target is in the path), callers
//! without a token get 401, and afterwards the targeted data is unchanged.
//!
//! A route this file cannot aim at a target (an unknown path parameter, a body it has no sample
//! for, a route that is neither targeted nor listed as untargeted) fails the suite: a new
//! endpoint cannot slip past it.
//!
//! Plugins' routes need no line here: their request bodies are the examples their OpenAPI
//! document gives, and a path parameter naming one of their records (`{nid}`) gets its value from
//! the creation route the document links to it (`Route::creates`), called on the target group.
//! Those records' routes are also aimed through the attacker's *own* group
//! (`/groups/{own}/notes/{target's note}`), which must look exactly like a missing record.

use std::collections::BTreeMap;

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
    device: i64,
    deployment_token: i64,
    profile: i64,
    policy: i64,
    /// The plugins' records, by the path parameter that names them (`cid`, `nid`, …), found
    /// through the OpenAPI document's links.
    records: BTreeMap<String, i64>,
    /// What reads those records: their listings, and each `GET` naming one.
    record_reads: Vec<String>,
    /// Path parameters that name one of a few values (`{field}` of a branding reset), by the
    /// first value their schema's `enum` lists.
    choices: BTreeMap<String, String>,
}

/// Profiles and policies are, by design, readable from below: a descendant of the owning group
/// uses them (locked). Its callers read them (200) and are refused changing them (403).
const INHERITED: [&str; 2] = ["/api/v1/profiles/{id}", "/api/v1/retention-policies/{id}"];

fn profile_body() -> Value {
    json!({"name": "Nightly", "settings": {"data_sources": ["files_and_folders"],
           "schedule": {"frequency": "daily", "at": "22:00"}}})
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

/// A valid body for each core route that takes one, aimed at `group`; `None` for routes without
/// (and for plugins' routes, whose bodies are their documented examples).
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
        "patch /api/v1/groups/{id}/backup-defaults" => json!({"profile_id": null}),
        "post /api/v1/groups/{id}/devices" => json!({"name": "intruder-pc", "os": "Linux"}),
        // Replacing, the strongest thing it can ask.
        "post /api/v1/devices/{id}/passphrase" => json!({"replace": true}),
        "post /api/v1/groups/{id}/deployment-tokens" => json!({"name": "intruder"}),
        "post /api/v1/groups/{id}/profiles" => profile_body(),
        "post /api/v1/groups/{id}/retention-policies" => policy_body(),
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
    aim_through(operation, target, None, missing)
}

/// The same, with `{id}` of a group route pointed at the caller's `own` group if given (and
/// only the other parameters at nothing, with `missing`).
fn aim_through(operation: &str, target: &Target, own: Option<i64>, missing: bool) -> String {
    let (_, path) = operation.split_once(' ').unwrap();
    let pick = |id: i64| if missing { MISSING } else { id };
    let mut aimed = path.to_owned();
    if path.starts_with("/api/v1/groups/{id}") {
        let group = own.unwrap_or_else(|| pick(target.group));
        aimed = aimed.replace("{id}", &group.to_string());
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
    aimed = aimed.replace("{tid}", &pick(target.deployment_token).to_string());
    for (param, id) in &target.records {
        aimed = aimed.replace(&format!("{{{param}}}"), &pick(*id).to_string());
    }
    for (param, value) in &target.choices {
        aimed = aimed.replace(&format!("{{{param}}}"), value);
    }
    // An installer every test server offers (tests/fixtures/downloads).
    aimed = aimed.replace("{os}/{file}", "linux/tenantry-2.4.1-x86_64");
    aimed = aimed.replace("{metric}", "used_bytes");
    assert!(
        !aimed.contains('{'),
        "{operation}: a path parameter the isolation suite does not know; a plugin's route that \
         creates what it names says so (`Route::creates`), a core one is taught to `aim`"
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

/// One operation of the route table.
struct Operation {
    /// `method path`, as `post /api/v1/groups/{id}/notes`.
    name: String,
    body: BodyKind,
    /// A device (rather than a user) calls it, with its own credential.
    by_device: bool,
    /// The request body the document shows.
    example: Option<Value>,
    /// The path parameters its success's `id` fills, by the document's links.
    creates: Vec<String>,
}

/// The server's OpenAPI document.
fn document(server: &TestServer) -> Value {
    server
        .with_token("")
        .get("/api/v1/openapi.json")
        .expect(200)
        .body
}

/// Every operation of the route table.
fn operations(doc: &Value) -> Vec<Operation> {
    let mut found = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let body = match operation.get("requestBody") {
                None => BodyKind::None,
                Some(body) if body["content"].get("image/png").is_some() => BodyKind::Image,
                Some(body) if body["content"].get("text/csv").is_some() => BodyKind::Csv,
                Some(_) => BodyKind::Json,
            };
            let by_device = operation["security"]
                .as_array()
                .is_some_and(|all| all.iter().any(|s| s.get("device").is_some()));
            let example = operation
                .pointer("/requestBody/content/application~1json/example")
                .cloned();
            let mut creates: Vec<String> = operation["responses"]
                .as_object()
                .into_iter()
                .flat_map(|responses| responses.values())
                .filter_map(|answer| answer["links"].as_object())
                .flat_map(|links| links.values())
                .filter_map(|link| link["parameters"].as_object())
                .flat_map(|parameters| parameters.iter())
                .filter(|(_, value)| *value == "$response.body#/id")
                .map(|(name, _)| name.clone())
                .collect();
            creates.sort();
            creates.dedup();
            found.push(Operation {
                name: format!("{method} {path}"),
                body,
                by_device,
                example,
                creates,
            });
        }
    }
    found.sort_by(|a, b| a.name.cmp(&b.name));
    assert!(found.len() > 10, "the route table looks empty");
    found
}

/// The first value of each path parameter whose schema is an `enum`.
fn path_choices(doc: &Value) -> BTreeMap<String, String> {
    let mut choices = BTreeMap::new();
    for item in doc["paths"].as_object().unwrap().values() {
        for operation in item.as_object().unwrap().values() {
            for parameter in operation["parameters"].as_array().into_iter().flatten() {
                if parameter["in"] == "path"
                    && let Some(first) = parameter["schema"]["enum"][0].as_str()
                {
                    let name = parameter["name"].as_str().unwrap().to_owned();
                    choices.entry(name).or_insert_with(|| first.to_owned());
                }
            }
        }
    }
    choices
}

/// The plugins' records in the target group: each creation route the document links to a path
/// parameter, called by the root's SuperUser with its example body. Also the paths that read
/// them, for the snapshot: the creation's listing and every `GET` that names the record.
fn create_records(
    server: &TestServer,
    operations: &[Operation],
    group: i64,
) -> (BTreeMap<String, i64>, Vec<String>) {
    let mut records = BTreeMap::new();
    let mut reads = Vec::new();
    for creation in operations.iter().filter(|o| !o.creates.is_empty()) {
        let (method, path) = creation.name.split_once(' ').unwrap();
        assert_eq!(method, "post", "{}: only a POST creates", creation.name);
        assert!(
            !path.replace("{id}", "").contains('{'),
            "{}: a creation addressed by another record is not aimed yet",
            creation.name
        );
        let path = path.replace("{id}", &group.to_string());
        let body = creation.example.clone().unwrap_or_else(|| json!({}));
        let id = server.post(&path, body).expect(201).id();
        if operations
            .iter()
            .any(|o| o.name == format!("get {}", &creation.name[5..]))
        {
            reads.push(path);
        }
        for param in &creation.creates {
            records.insert(param.clone(), id);
        }
    }
    (records, reads)
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
    .chain(&target.record_reads)
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
    let doc = document(&server);
    let operations = operations(&doc);
    let (records, mut record_reads) = create_records(&server, &operations, t);
    let mut target = Target {
        group: t,
        user,
        api_user,
        token,
        device,
        deployment_token,
        profile,
        policy,
        records,
        record_reads: Vec::new(),
        choices: path_choices(&doc),
    };
    // And each GET that names one of those records and nothing else unknown.
    for operation in &operations {
        let (method, path) = operation.name.split_once(' ').unwrap();
        let names_record = target
            .records
            .keys()
            .any(|p| path.contains(&format!("{{{p}}}")));
        if method == "get" && names_record {
            let aimed = aim(&operation.name, &target, false);
            record_reads.push(aimed);
        }
    }
    target.record_reads = record_reads;
    // The strongest callers there are, so that nothing but scope can stop them.
    // The strongest callers there are, so that nothing but scope can stop them.
    let callers: Vec<Attacker> = [("sibling", s), ("descendant", d), ("cousin", c)]
        .into_iter()
        .map(|(who, group)| {
            let email = format!("boss@{who}.example");
            let token = server.create_user(group, &email, "superuser", true).1;
            Attacker { who, group, token }
        })
        .collect();
    // And a device in each of those groups, with its own credential.
    let devices: Vec<Attacker> = [("sibling", s), ("descendant", d), ("cousin", c)]
        .into_iter()
        .map(|(who, group)| {
            let created = server
                .post(
                    &format!("/api/v1/groups/{group}/devices"),
                    json!({"name": format!("{who}-pc"), "os": "Linux"}),
                )
                .expect(201);
            let token = created.body["credential"].as_str().unwrap().to_owned();
            Attacker { who, group, token }
        })
        .collect();

    let before = snapshot(&server, &target);
    let (mut covered, mut through_own) = (0, 0);
    for operation in &operations {
        let name = operation.name.as_str();
        let method = name.split_once(' ').unwrap().0.to_uppercase();
        if !PUBLIC.contains(&name) {
            let reply = server
                .with_token("")
                .request(&method, &aim(name, &target, false), None);
            assert_eq!(
                (reply.status, reply.code()),
                (401, "unauthenticated"),
                "{name} without a token: {}",
                reply.text
            );
        }
        if UNTARGETED.contains(&name) || PUBLIC.contains(&name) {
            continue;
        }
        let sample = |group: i64| match operation.body {
            BodyKind::None => None,
            BodyKind::Image => Some(Sample::Image(png())),
            // The parent named is the target itself: the caller's own subtree is no way in.
            BodyKind::Csv => Some(Sample::Csv(import_file("T"))),
            BodyKind::Json => Some(Sample::Json(
                sample_body(name, group)
                    .or_else(|| operation.example.clone())
                    .unwrap_or_else(|| {
                        panic!(
                            "{name}: give it a sample body in `sample_body` (a core route) or \
                             an example (a plugin's: `Route::example`)"
                        )
                    }),
            )),
        };
        if operation.body != BodyKind::Json {
            assert!(
                sample_body(name, target.group).is_none(),
                "{name}: takes no JSON body; remove its stale sample"
            );
        }
        // A record of a plugin's, named beside the group: also aimed through the attacker's own.
        let names_record = name.contains("/api/v1/groups/{id}/")
            && target
                .records
                .keys()
                .any(|param| name.contains(&format!("{{{param}}}")));
        let attackers = if operation.by_device {
            &devices
        } else {
            &callers
        };
        for attacker in attackers {
            let who = attacker.who;
            let caller: As<'_> = server.with_token(&attacker.token);
            let send = |path: String, body: Option<Sample>| match body {
                None => caller.request(&method, &path, None),
                Some(Sample::Json(json)) => caller.request(&method, &path, Some(&json)),
                Some(Sample::Image(bytes)) => caller.raw(&method, &path, "image/png", &bytes),
                Some(Sample::Csv(text)) => caller.raw(&method, &path, "text/csv", text.as_bytes()),
            };
            let reply = send(aim(name, &target, false), sample(target.group));
            let inherited = INHERITED.iter().any(|p| name.ends_with(p));
            if who == "descendant" && inherited {
                let expected = if method == "GET" { 200 } else { 403 };
                assert_eq!(
                    reply.status, expected,
                    "{name} by the descendant: {}",
                    reply.text
                );
                continue;
            }
            let missing = send(aim(name, &target, true), sample(MISSING));
            assert_looks_missing(name, who, &target, &reply, &missing);
            if name.contains("{id}") {
                assert_eq!(reply.status, 404, "{name} by the {who}: {}", reply.text);
            }
            if names_record {
                let own = Some(attacker.group);
                let reply = send(
                    aim_through(name, &target, own, false),
                    sample(attacker.group),
                );
                let missing = send(
                    aim_through(name, &target, own, true),
                    sample(attacker.group),
                );
                let through = format!("{who}, through its own group");
                assert_looks_missing(name, &through, &target, &reply, &missing);
                through_own += 1;
            }
        }
        covered += 1;
    }
    assert!(covered >= 15, "only {covered} targeted routes were tried");
    // CRM's contacts and activities (3 routes each), scheduled reports (5) and notes (1), by
    // 3 attackers.
    assert!(
        through_own >= 36,
        "only {through_own} attacks through the attacker's own group"
    );
    assert!(
        target.records.len() >= 4,
        "the plugins' records were not found through the document's links: {:?}",
        target.records
    );
    assert_eq!(
        snapshot(&server, &target),
        before,
        "an attack changed the target"
    );
}

/// A caller in a group outside the target's subtree (or below it).
struct Attacker {
    who: &'static str,
    group: i64,
    token: String,
}

/// An attack is refused exactly as the same request for a missing target is: same status, same
/// code, same detail but for the ids the caller itself gave.
fn assert_looks_missing(
    name: &str,
    who: &str,
    target: &Target,
    reply: &tenantry_tests::Reply,
    missing: &tenantry_tests::Reply,
) {
    assert!(
        reply.status >= 400,
        "{name} by the {who}: {} {}",
        reply.status,
        reply.text
    );
    assert_eq!(
        (reply.status, reply.code()),
        (missing.status, missing.code()),
        "{name} by the {who} must look exactly like a missing target: {} vs {}",
        reply.text,
        missing.text
    );
    // The detail may echo the caller's own input (an id in the path or body); nothing else.
    let given: Vec<String> = std::iter::once(&target.group)
        .chain(target.records.values())
        .map(i64::to_string)
        .collect();
    let detail = reply.body["detail"].as_str().unwrap_or_default();
    // Whole numbers only: a record's id 2 is no part of 987654321.
    let mut masked = String::new();
    let mut number = String::new();
    for c in detail.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        if given.contains(&number) {
            number = MISSING.to_string();
        }
        masked.push_str(&number);
        masked.push(c);
        number.clear();
    }
    masked.pop();
    let detail = masked;
    assert_eq!(
        detail,
        missing.body["detail"].as_str().unwrap_or_default(),
        "{name} by the {who}"
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
