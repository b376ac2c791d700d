//! The web console over plain HTTP: the security it promises (cookie flags, CSRF, CSP, escaping)
//! and tenant isolation on every console route, driven by the server's own route table
//! (`tenantry-server routes`), so a new page cannot slip past. The flows a person clicks
//! through are in the browser suite (`tests/browser/`).
// Tests may unwrap and expect: a panic there is a failed assertion (server code may not:
// the workspace lints deny both).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};
use tenantry_tests::console::{Console, login_form, login_form_at, routes};
use tenantry_tests::{
    ADMIN_EMAIL, ADMIN_PASSWORD, ROOT_NAME, TestDatabase, TestServer, USER_PASSWORD,
};

fn admin(server: &TestServer) -> Console<'_> {
    Console::login(server, ROOT_NAME, ADMIN_EMAIL, ADMIN_PASSWORD)
}

#[test]
fn login_sets_a_strict_http_only_session_cookie() {
    let server = TestServer::start();
    let answer = login_form(&server, ROOT_NAME, ADMIN_EMAIL, ADMIN_PASSWORD);
    assert_eq!(answer.status, 303);
    assert_eq!(answer.header("location"), Some("/overview"));
    let cookie = answer.header("set-cookie").unwrap().to_owned();
    assert!(cookie.starts_with("tenantry_session=tnt_"), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Strict"), "{cookie}");
    assert!(cookie.contains("Path=/"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain http: {cookie}");

    let wrong = login_form(&server, ROOT_NAME, ADMIN_EMAIL, "not the password");
    assert_eq!(wrong.status, 401);
    assert!(wrong.header("set-cookie").is_none());
    assert!(
        wrong
            .text
            .contains("The group name, username or password is wrong")
    );
}

#[test]
fn behind_https_the_cookie_is_secure() {
    let server = TestServer::start_with(
        TestDatabase::fresh(),
        &[(
            "TENANTRY__SERVER__PUBLIC_URL",
            "https://backup.example.test",
        )],
    );
    let answer = login_form(&server, ROOT_NAME, ADMIN_EMAIL, ADMIN_PASSWORD);
    let cookie = answer.header("set-cookie").unwrap();
    assert!(cookie.contains("Secure"), "{cookie}");
}

#[test]
fn pages_forbid_inline_script_and_framing() {
    let server = TestServer::start();
    let console = admin(&server);
    for path in ["/login", "/overview", "/customers", "/api/v1/groups/1"] {
        let page = console.get(path);
        let csp = page.header("content-security-policy").unwrap_or_default();
        assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(
            !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
            "{csp}"
        );
        assert_eq!(page.header("x-frame-options"), Some("DENY"), "{path}");
    }
    let page = console.get("/customers");
    assert!(!page.text.contains("<script>"), "no inline script");
    assert!(!page.text.contains(" style="), "no inline style");
}

#[test]
fn a_change_without_the_csrf_token_changes_nothing() {
    let server = TestServer::start();
    let console = admin(&server);
    let fields = [("name", "Forged Reseller"), ("level", "reseller")];
    let none = console.post_with("/customers/new?parent=1", &fields, "");
    assert_eq!(none.status, 403, "{}", none.text);
    let wrong = console.post_with("/customers/new?parent=1", &fields, &"0".repeat(64));
    assert_eq!(wrong.status, 403);
    let children = server.get("/api/v1/groups/1/children").expect(200);
    assert_eq!(children.body["items"].as_array().unwrap().len(), 0);

    let made = console.post("/customers/new?parent=1", &fields);
    assert_eq!(made.status, 200, "{}", made.text);
    assert!(made.header("hx-redirect").unwrap().contains("notice=added"));
    let children = server.get("/api/v1/groups/1/children").expect(200);
    assert_eq!(children.body["items"][0]["name"], "Forged Reseller");
}

#[test]
fn without_a_session_pages_lead_to_the_login() {
    let server = TestServer::start();
    let console = admin(&server);
    let answer = console.post("/logout", &[]);
    assert_eq!(answer.header("hx-redirect"), Some("/login"));
    let after = console.get("/customers");
    assert_eq!(after.status, 303);
    assert_eq!(after.header("location"), Some("/login"));
}

#[test]
fn markup_in_names_is_shown_as_text() {
    let server = TestServer::start();
    let evil = "<script>alert(1)</script> & <b>Co</b>";
    let id = server.create_group(evil, 1, "reseller");
    let console = admin(&server);
    for path in [
        "/customers".to_owned(),
        format!("/customers?group={id}"),
        format!("/customers/{id}/edit"),
        "/overview".to_owned(),
        "/customers/search?q=script".to_owned(),
    ] {
        let page = console.get(&path);
        assert_eq!(page.status, 200, "{path}");
        assert!(
            !page.text.contains("<script>alert"),
            "{path} renders markup"
        );
        assert!(!page.text.contains("<b>Co</b>"), "{path} renders markup");
        assert!(
            page.text
                .contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
            "{path}"
        );
    }
}

#[test]
fn a_form_shows_the_apis_error_beside_its_field() {
    let server = TestServer::start();
    server.create_group("Acme", 1, "reseller");
    let console = admin(&server);
    let answer = console.post(
        "/customers/new?parent=1",
        &[("name", "ACME"), ("level", "reseller")],
    );
    assert_eq!(answer.status, 422);
    assert!(answer.text.contains("field-error"), "{}", answer.text);
    let children = server.get("/api/v1/groups/1/children").expect(200);
    assert_eq!(children.body["items"].as_array().unwrap().len(), 1);
}

/// Two sibling resellers, each with a user, a device, an API user with a token and a deployment
/// token: everything the console's routes can aim at.
struct Sibling {
    group: i64,
    user: i64,
    api_user: i64,
    api_token: i64,
    device: i64,
    deployment_token: i64,
    profile: i64,
    policy: i64,
    /// A note of the notes plugin (a test plugin from outside the core), for its panel's rows.
    note: i64,
}

fn sibling(server: &TestServer, name: &str) -> Sibling {
    let group = server
        .post(
            "/api/v1/groups",
            json!({"name": name, "parent_id": 1, "level": "reseller", "automatic_deployment": true}),
        )
        .expect(201)
        .id();
    let user = server
        .post(
            &format!("/api/v1/groups/{group}/users"),
            json!({"username": format!("admin@{}.test", name.to_lowercase()), "role": "superuser", "password": USER_PASSWORD}),
        )
        .expect(201)
        .id();
    let api_user = server
        .post(
            &format!("/api/v1/groups/{group}/users"),
            json!({"username": format!("robot@{}.test", name.to_lowercase()), "role": "administrator", "kind": "api"}),
        )
        .expect(201)
        .id();
    let api_token = server
        .post(&format!("/api/v1/users/{api_user}/tokens"), json!({}))
        .expect(201)
        .id();
    let device = server
        .post(
            &format!("/api/v1/groups/{group}/devices"),
            json!({"name": "pc-1", "os": "windows"}),
        )
        .expect(201)
        .id();
    let deployment_token = server
        .post(
            &format!("/api/v1/groups/{group}/deployment-tokens"),
            json!({}),
        )
        .expect(201)
        .id();
    let profile = server
        .post(
            &format!("/api/v1/groups/{group}/profiles"),
            json!({"name": format!("{name} files"), "settings": {"data_sources": ["files_and_folders"], "schedule": {"frequency": "daily", "at": "22:00"}}}),
        )
        .expect(201)
        .id();
    let policy = server
        .post(
            &format!("/api/v1/groups/{group}/retention-policies"),
            json!({"name": format!("{name} keep"), "settings": {"intra_daily": 0, "daily": 7, "weekly": 4, "monthly": 0, "yearly": 0}}),
        )
        .expect(201)
        .id();
    let note = server
        .post(
            &format!("/api/v1/groups/{group}/notes"),
            json!({"text": format!("{name}'s secret")}),
        )
        .expect(201)
        .id();
    Sibling {
        note,
        profile,
        policy,
        group,
        user,
        api_user,
        api_token,
        device,
        deployment_token,
    }
}

/// Routes that aim at nothing of anyone's: assets, the login and the caller's own session.
/// (Search is checked on its own: it takes a name, not an id.)
const UNTARGETED: &[&str] = &[
    "GET /",
    "GET /assets/{name}",
    // The theme of the caller's own group (the root's for nobody): they take no group.
    "GET /theme.css",
    "GET /theme/{image}",
    "GET /login",
    "POST /login",
    "POST /logout",
    // A group's white-label login page: public, in that group's look, and nothing more.
    "GET /login/{address}",
    "POST /login/{address}",
    "GET /customers/search",
];

/// The console route with its parameters aimed at `target`, or `None` for an untargeted one.
fn aimed(method: &str, path: &str, target: &Sibling) -> Option<String> {
    if UNTARGETED.contains(&format!("{method} {path}").as_str()) {
        return None;
    }
    let id = if path.starts_with("/profiles/") {
        target.profile
    } else if path.starts_with("/retention-policies/") {
        target.policy
    } else if path.starts_with("/users/") && path.contains("/tokens/") {
        target.api_user
    } else if path.starts_with("/users/") {
        target.user
    } else if path.starts_with("/devices/") {
        target.device
    } else {
        target.group
    };
    let token = if path.starts_with("/users/") {
        target.api_token
    } else {
        target.deployment_token
    };
    // A plugin's panel: the notes plugin's, its first row action on the target's note.
    let aimed = path
        .replace("{id}", &id.to_string())
        .replace("{token}", &token.to_string())
        .replace("{plugin}/{panel}", "notes/notes")
        .replace("{row}", &target.note.to_string())
        .replace("{action}", "0")
        .replace("{index}", "0");
    assert!(
        !aimed.contains('{'),
        "the isolation test cannot aim {method} {path}: add it here"
    );
    // Every page that takes its group from the query is aimed there too.
    let g = target.group;
    Some(format!("{aimed}?group={g}&parent={g}"))
}

#[test]
fn no_console_route_reaches_outside_the_callers_subtree() {
    let server = TestServer::start();
    let mine = sibling(&server, "Alpha");
    let theirs = sibling(&server, "Beta");
    let _ = mine;
    let attacker = Console::login(&server, "Alpha", "admin@alpha.test", USER_PASSWORD);
    let before = server
        .get(&format!("/api/v1/groups/{}/export", theirs.group))
        .text;
    let table = routes();
    assert!(table.len() > 30, "the route table: {table:?}");
    let mut probed = 0;
    for (method, path) in &table {
        let Some(url) = aimed(method, path, &theirs) else {
            continue;
        };
        let fields = [
            ("name", "Hijacked"),
            ("level", "end_customer"),
            ("parent", "Alpha"),
            ("csv", "name,parent,level\nX,Beta,site\n"),
            ("action", "import"),
            ("password", "a brand new long password"),
            ("role", "supporter"),
        ];
        let answer = match method.as_str() {
            "GET" => attacker.get(&url),
            _ => attacker.post(&url, &fields),
        };
        assert_eq!(
            answer.status, 404,
            "{method} {url} answered {}: {}",
            answer.status, answer.text
        );
        assert!(
            !answer.text.contains("Beta"),
            "{method} {url} shows the other tenant's name"
        );
        probed += 1;
    }
    assert!(probed > 25, "probed {probed} routes");
    // Search across the subtree finds nothing of the sibling's.
    let found = attacker.get("/customers/search?q=Beta");
    assert_eq!(found.status, 200);
    assert!(!found.text.contains("/customers?group="), "{}", found.text);
    // And nothing of theirs changed.
    let after = server
        .get(&format!("/api/v1/groups/{}/export", theirs.group))
        .text;
    assert_eq!(before, after);
    server
        .get(&format!("/api/v1/groups/{}", theirs.group))
        .expect(200);
    let beta = server
        .get(&format!("/api/v1/users/{}", theirs.user))
        .expect(200);
    assert_eq!(beta.body["role"], "superuser");
    server
        .get(&format!("/api/v1/users/{}/tokens", theirs.api_user))
        .expect(200);
    let profile = server
        .get(&format!("/api/v1/profiles/{}", theirs.profile))
        .expect(200);
    assert_eq!(profile.body["name"], "Beta files");
    let policy = server
        .get(&format!("/api/v1/retention-policies/{}", theirs.policy))
        .expect(200);
    assert_eq!(policy.body["settings"]["daily"], 7);
}

/// A small SVG logo, as the branding plugin takes it.
const LOGO: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" width="96" height="32" viewBox="0 0 96 32"><rect width="96" height="32" fill="#8b0000"/></svg>"##;

/// The address a page links for `what` (`/theme.css?v=…`, `/theme/logo?v=…`), if it links one.
fn linked(page: &str, what: &str) -> Option<String> {
    let start = page.find(what)?;
    page[start..].split('"').next().map(str::to_owned)
}

#[test]
fn every_page_is_drawn_with_the_theme_of_the_group_whose_console_it_is() {
    let server = TestServer::start();
    //   root ── Ruby (reseller, themed) ── Emerald (end customer, inherits)
    //        └─ Sapphire (reseller, no theme of its own: the installation's look)
    let ruby = server.create_group("Ruby", 1, "reseller");
    let emerald = server.create_group("Emerald", ruby, "end_customer");
    let sapphire = server.create_group("Sapphire", 1, "reseller");
    server
        .put(
            &format!("/api/v1/groups/{ruby}/branding"),
            json!({"product_name": "Ruby <b>Backup</b>", "company_name": "Ruby Ltd",
                   "main_color": "#8b0000", "accent_color": "#aa3300",
                   "support_email": "help@ruby.test", "support_url": "https://ruby.test/help"}),
        )
        .expect(200);
    server
        .with_token(&server.token)
        .raw(
            "PUT",
            &format!("/api/v1/groups/{ruby}/branding/logo"),
            "image/svg+xml",
            LOGO.as_bytes(),
        )
        .expect(200);
    server.create_user(emerald, "boss@emerald.test", "superuser", false);
    server.create_user(sapphire, "boss@sapphire.test", "superuser", false);

    // Emerald's user sees Ruby's theme: name (escaped), colours, logo, support contact.
    let emerald_user = Console::login(&server, "Emerald", "boss@emerald.test", USER_PASSWORD);
    let page = emerald_user.get("/customers").expect(200);
    assert!(
        page.text.contains("Ruby &#60;b&#62;Backup") && !page.text.contains("<b>Backup"),
        "the product's name, escaped: {}",
        page.text
    );
    assert!(page.text.contains("mailto:help@ruby.test"), "{}", page.text);
    assert!(page.text.contains("href=\"https://ruby.test/help\""));
    let css_url = linked(&page.text, "/theme.css?v=").expect("a theme stylesheet");
    let css = emerald_user.get(&css_url).expect(200);
    assert!(css.header("content-type").unwrap().starts_with("text/css"));
    assert!(css.text.contains("--brand: #8b0000;"), "{}", css.text);
    assert!(css.text.contains("--accent: #aa3300;"), "{}", css.text);
    // Cached by its ETag: unchanged, a 304 without a body.
    let etag = css.header("etag").unwrap().to_owned();
    let again = emerald_user.get_with(&css_url, &[("If-None-Match", &etag)]);
    assert_eq!(again.status, 304);
    assert!(again.text.is_empty());
    let logo_url = linked(&page.text, "/theme/logo?v=").expect("a logo");
    let logo = emerald_user.get(&logo_url).expect(200);
    assert_eq!(logo.header("content-type"), Some("image/svg+xml"));
    assert_eq!(logo.text, LOGO);
    assert!(
        logo.header("content-security-policy")
            .unwrap()
            .contains("sandbox")
    );

    // Sapphire's user: the installation's look, whatever group the address names.
    let sapphire_user = Console::login(&server, "Sapphire", "boss@sapphire.test", USER_PASSWORD);
    let page = sapphire_user.get("/customers").expect(200);
    assert!(!page.text.contains("Ruby"), "{}", page.text);
    assert!(page.text.contains("· Tenantry</title>"));
    assert_eq!(linked(&page.text, "/theme.css?v="), None);
    assert_eq!(sapphire_user.get(&css_url).text, ":root {}\n");
    assert_eq!(
        sapphire_user
            .get(&format!("{logo_url}&group={ruby}"))
            .status,
        404
    );

    // A change shows at once, under a new address; Ruby's other values stay.
    server
        .patch(
            &format!("/api/v1/groups/{emerald}/branding"),
            json!({"main_color": "#006400"}),
        )
        .expect(200);
    let page = emerald_user.get("/overview").expect(200);
    let changed = linked(&page.text, "/theme.css?v=").unwrap();
    assert_ne!(changed, css_url);
    let css = emerald_user.get(&changed).expect(200);
    assert!(css.text.contains("--brand: #006400;"), "{}", css.text);
    assert!(css.text.contains("--accent: #aa3300;"), "{}", css.text);
    let fresh = emerald_user.get_with(&changed, &[("If-None-Match", &etag)]);
    assert_eq!(fresh.status, 200, "the old ETag no longer matches");

    // The plain login page shows the root's look (none set here: the installation's).
    let login = server.with_token("").get("/login");
    assert!(login.text.contains("Log in to Tenantry"), "{}", login.text);
    server
        .put(
            "/api/v1/groups/1/branding",
            json!({"product_name": "Root Cloud", "main_color": "#123456"}),
        )
        .expect(200);
    let login = server.with_token("").get("/login");
    assert!(
        login.text.contains("Log in to Root Cloud"),
        "{}",
        login.text
    );
    let css_url = linked(&login.text, "/theme.css?v=").expect("the root's stylesheet");
    let css = server.with_token("").get(&css_url);
    assert!(css.text.contains("--brand: #123456;"), "{}", css.text);
}

#[test]
fn a_plugins_panel_lists_adds_and_removes_through_its_routes() {
    let server = TestServer::start();
    let group = server.create_group("Panelled", 1, "reseller");
    let console = admin(&server);
    let here = format!("/customers/{group}/panels/notes/notes");

    // Every plugin's tab is offered on the customer's screen.
    let customer = console
        .get(&format!("/customers?group={group}"))
        .expect(200);
    for tab in [
        here.as_str(),
        &format!("/customers/{group}/panels/crm/contacts"),
        &format!("/customers/{group}/panels/crm/upcoming_activities"),
        &format!("/customers/{group}/panels/crm/past_activities"),
    ] {
        assert!(customer.text.contains(tab), "{tab}: {}", customer.text);
        console.get(tab).expect(200);
    }
    let empty = console.get(&here).expect(200);
    assert!(empty.text.contains("No notes yet."), "{}", empty.text);

    // The plugin's own validation, beside its field; nothing written.
    let refused = console.post(&here, &[("text", "  ")]);
    assert_eq!(refused.status, 422, "{}", refused.text);
    assert!(refused.text.contains("field-error"), "{}", refused.text);
    let stored = server
        .get(&format!("/api/v1/groups/{group}/notes"))
        .expect(200);
    assert_eq!(stored.body["items"], json!([]), "{}", stored.text);

    // Added through the form: markup is text, the checkbox a boolean.
    let added = console.post(&here, &[("text", "Call <b>back</b>"), ("pinned", "yes")]);
    assert_eq!(added.status, 200, "{}", added.text);
    assert_eq!(
        added.header("hx-redirect"),
        Some(format!("{here}?notice=panel-saved").as_str())
    );
    let note = &server
        .get(&format!("/api/v1/groups/{group}/notes"))
        .expect(200)
        .body["items"][0];
    assert_eq!(note["pinned"], true);
    let listed = console.get(&here).expect(200);
    assert!(
        listed.text.contains("Call &#60;b&#62;back"),
        "{}",
        listed.text
    );
    assert!(!listed.text.contains("<b>back"));

    // Removed through its row's action; a second time, it is gone.
    let row = format!("{here}/rows/{}/0", note["id"]);
    assert!(listed.text.contains(&row), "{}", listed.text);
    let removed = console.post(&row, &[]);
    assert_eq!(
        removed.header("hx-redirect"),
        Some(format!("{here}?notice=panel-done").as_str()),
        "{}",
        removed.text
    );
    assert!(console.get(&here).text.contains("No notes yet."));
    let again = console.post(&row, &[]);
    assert_eq!(again.status, 404, "a row that is gone: {}", again.text);

    // A Supporter may read notes, not write them: the table, no form, no row actions.
    server.create_user(group, "sam@panelled.test", "supporter", false);
    server
        .post(
            &format!("/api/v1/groups/{group}/notes"),
            json!({"text": "Read me"}),
        )
        .expect(201);
    let supporter = Console::login(&server, "Panelled", "sam@panelled.test", USER_PASSWORD);
    let page = supporter.get(&here).expect(200);
    assert!(page.text.contains("Read me"));
    assert!(!page.text.contains("Add note"), "{}", page.text);
    assert!(!page.text.contains("/rows/"), "{}", page.text);
    let written = supporter.post(&here, &[("text", "Sneaky")]);
    assert_eq!(written.status, 403, "{}", written.text);

    // A panel no plugin declares, or another tenant's group: not found.
    assert_eq!(
        console
            .get(&format!("/customers/{group}/panels/notes/nope"))
            .status,
        404
    );
    assert_eq!(
        console
            .get(&format!("/customers/{group}/panels/nope/notes"))
            .status,
        404
    );
}

#[test]
fn the_branding_tab_shows_where_each_value_comes_from_and_resets_one() {
    let server = TestServer::start();
    let ruby = server.create_group("Ruby", 1, "reseller");
    let emerald = server.create_group("Emerald", ruby, "end_customer");
    server
        .put(
            &format!("/api/v1/groups/{ruby}/branding"),
            json!({"product_name": "Ruby Backup", "main_color": "#8b0000"}),
        )
        .expect(200);
    let console = admin(&server);
    let tab = |group: i64| format!("/customers/{group}/panels/branding/branding");

    // Ruby's own values: shown with a swatch, as its own, resettable; its form filled with them.
    let page = console.get(&tab(ruby)).expect(200);
    assert!(page.text.contains("fill=\"#8b0000\""), "{}", page.text);
    assert!(page.text.contains("This customer"), "{}", page.text);
    assert!(
        page.text
            .contains(&format!("{}/rows/main_color/0", tab(ruby)))
    );
    assert!(page.text.contains("value=\"Ruby Backup\""), "{}", page.text);

    // Emerald inherits them: named, not resettable there.
    let page = console.get(&tab(emerald)).expect(200);
    assert!(page.text.contains("Inherited from Ruby"), "{}", page.text);
    assert!(!page.text.contains("/rows/main_color/"), "{}", page.text);

    // Emerald sets its own colour through the form; a wrong one is refused beside its field.
    let wrong = console.post(&tab(emerald), &[("main_color", "crimson")]);
    assert_eq!(wrong.status, 422, "{}", wrong.text);
    assert!(
        wrong.text.contains("panel-main_color-problem"),
        "{}",
        wrong.text
    );
    let saved = console.post(&tab(emerald), &[("main_color", "#112233")]);
    assert_eq!(saved.status, 200, "{}", saved.text);
    let own = server
        .get(&format!("/api/v1/groups/{emerald}/branding"))
        .expect(200);
    assert_eq!(own.body["values"]["main_color"], "#112233");
    assert_eq!(
        own.body["values"]["product_name"],
        Value::Null,
        "blank fields stay unset"
    );

    // Reset: the colour is Ruby's again.
    let reset = console.post(&format!("{}/rows/main_color/0", tab(emerald)), &[]);
    assert_eq!(
        reset.header("hx-redirect"),
        Some(format!("{}?notice=panel-done", tab(emerald)).as_str()),
        "{}",
        reset.text
    );
    let effective = server
        .get(&format!("/api/v1/groups/{emerald}/branding/effective"))
        .expect(200);
    assert_eq!(effective.body["fields"]["main_color"]["value"], "#8b0000");
    // A key that is no field's: not found, nothing changed.
    let nonsense = console.post(&format!("{}/rows/nonsense/0", tab(emerald)), &[]);
    assert_eq!(nonsense.status, 404, "{}", nonsense.text);
}

#[test]
fn a_white_label_login_address_shows_its_groups_look_before_anyone_logs_in() {
    let server = TestServer::start();
    let ruby = server.create_group("Ruby", 1, "reseller");
    let emerald = server.create_group("Emerald", ruby, "end_customer");
    let sapphire = server.create_group("Sapphire", 1, "reseller");
    server.create_user(emerald, "boss@emerald.test", "superuser", false);
    let set = server.patch(
        &format!("/api/v1/groups/{ruby}/branding"),
        json!({"product_name": "Ruby Backup", "main_color": "#8b0000",
               "login_address": " Ruby-Backup "}),
    );
    assert_eq!(set.status, 200, "{}", set.text);
    assert_eq!(set.body["values"]["login_address"], "ruby-backup");
    // Another customer's already; and words an address cannot be.
    let taken = server.patch(
        &format!("/api/v1/groups/{sapphire}/branding"),
        json!({"login_address": "ruby-backup"}),
    );
    assert_eq!(taken.status, 422, "{}", taken.text);
    assert_eq!(taken.body["errors"][0]["field"], "login_address");
    let wrong = server.patch(
        &format!("/api/v1/groups/{sapphire}/branding"),
        json!({"login_address": "ruby backup!"}),
    );
    assert_eq!(wrong.status, 422, "{}", wrong.text);

    // Nobody signed in: the address's page, stylesheet and all, in Ruby's look.
    let nobody = server.with_token("");
    let page = nobody.get("/login/ruby-backup");
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(page.text.contains("Log in to Ruby Backup"), "{}", page.text);
    assert!(
        page.text.contains("action=\"/login/ruby-backup\""),
        "{}",
        page.text
    );
    let css_url = linked(&page.text, "/theme.css?v=").expect("the address's stylesheet");
    assert!(css_url.ends_with("&#38;login=ruby-backup"), "{css_url}");
    let css = nobody.get(&css_url.replace("&#38;", "&"));
    assert!(css.text.contains("--brand: #8b0000;"), "{}", css.text);
    for unknown in ["/login/nobody-here", "/login/Not_An_Address", "/login/ab"] {
        assert_eq!(nobody.get(unknown).status, 404, "{unknown}");
    }

    // An end-customer's user logs in there; a refusal shows the same page again.
    let at = "/login/ruby-backup";
    let refused = login_form_at(&server, at, "Emerald", "boss@emerald.test", "wrong");
    assert_eq!(refused.status, 401);
    assert!(
        refused.text.contains("Log in to Ruby Backup"),
        "{}",
        refused.text
    );
    let signed_in = login_form_at(&server, at, "Emerald", "boss@emerald.test", USER_PASSWORD);
    assert_eq!(signed_in.status, 303, "{}", signed_in.text);
    assert_eq!(signed_in.header("location"), Some("/overview"));

    // Reset, the address leads nowhere.
    server
        .delete(&format!(
            "/api/v1/groups/{ruby}/branding/values/login_address"
        ))
        .expect(204);
    assert_eq!(nobody.get("/login/ruby-backup").status, 404);
}

#[test]
fn charts_scheduled_reports_and_a_logo_upload_work_through_their_panels() {
    use base64::Engine;
    let server = TestServer::start();
    let group = server.create_group("Charted", 1, "reseller");
    let console = admin(&server);
    let panel = |name: &str| format!("/customers/{group}/panels/reporting/{name}");

    // Both are entries of the left menu on the customer's pages, marked there when open.
    let customer = console
        .get(&format!("/customers?group={group}"))
        .expect(200);
    for entry in ["charts", "scheduled_reports"] {
        assert!(
            customer.text.contains(&panel(entry)),
            "{entry}: {}",
            customer.text
        );
    }
    // Charts: the plugin's SVG from the console's own address, by the choices; the CSV too.
    let page = console.get(&panel("charts")).expect(200);
    assert!(
        page.text.contains(&format!(
            "<a href=\"{}\" class=\"active\" aria-current=\"page\">Historical charts",
            panel("charts")
        )),
        "{}",
        page.text
    );
    let marker = "<img src=\"";
    let at = page.text.find(marker).expect("a chart") + marker.len();
    let src = page.text[at..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_owned();
    assert!(
        src.contains("metric=devices") && src.contains("days=30"),
        "{src}"
    );
    let svg = console.get(&src.replace("&#38;", "&")).expect(200);
    assert_eq!(svg.header("content-type"), Some("image/svg+xml"));
    assert!(
        svg.header("content-security-policy")
            .unwrap()
            .contains("sandbox")
    );
    assert!(
        svg.text.starts_with("<svg") || svg.text.starts_with("<?xml"),
        "{}",
        svg.text
    );
    let week = console.get(&format!(
        "{}/chart?metric=used_bytes&days=7&as=0",
        panel("charts")
    ));
    assert_eq!(week.status, 200, "{}", week.text);
    assert!(week.header("content-type").unwrap().starts_with("text/csv"));
    assert!(
        week.header("content-disposition")
            .unwrap()
            .starts_with("attachment")
    );
    assert_eq!(
        week.text.lines().count(),
        8,
        "a heading and seven days: {}",
        week.text
    );
    // A choice that is no option falls back to the first; a download that is none is 404.
    console
        .get(&format!("{}/chart?metric=secrets", panel("charts")))
        .expect(200);
    assert_eq!(
        console
            .get(&format!("{}/chart?as=9", panel("charts")))
            .status,
        404
    );

    // Scheduled reports: added through the form, listed with the schedule in words.
    let added = console.post(
        &panel("scheduled_reports"),
        &[
            ("title", "Weekly usage"),
            ("kind", "usage"),
            ("schedule.frequency", "weekly"),
            ("schedule.weekday", "monday"),
            ("schedule.at", "08:00"),
            ("schedule.time_zone", "Europe/Amsterdam"),
            ("recipients.emails", "ops@charted.test"),
            ("format", "csv"),
        ],
    );
    assert_eq!(added.status, 200, "{}", added.text);
    let listed = console.get(&panel("scheduled_reports")).expect(200);
    assert!(
        listed
            .text
            .contains("every Monday at 08:00 (Europe/Amsterdam)"),
        "{}",
        listed.text
    );
    let report = server
        .get(&format!("/api/v1/groups/{group}/scheduled-reports"))
        .expect(200)
        .body["items"][0]["id"]
        .as_i64()
        .unwrap();
    // Disabled, then enabled again, by the row's actions (only the one that applies is shown).
    let disable = format!("{}/rows/{report}/2", panel("scheduled_reports"));
    let enable = format!("{}/rows/{report}/1", panel("scheduled_reports"));
    assert!(listed.text.contains(&disable) && !listed.text.contains(&enable));
    console.post(&disable, &[]).expect(200);
    let stored = server
        .get(&format!(
            "/api/v1/groups/{group}/scheduled-reports/{report}"
        ))
        .expect(200);
    assert_eq!(stored.body["enabled"], false);
    assert!(
        console
            .get(&panel("scheduled_reports"))
            .text
            .contains(&enable)
    );
    console.post(&enable, &[]).expect(200);
    // Its runs, from its row: none yet; one after "Run now".
    let runs = format!("{}?row={report}", panel("report_runs"));
    assert!(listed.text.contains(&runs.replace('&', "&#38;")) || listed.text.contains(&runs));
    assert!(
        console
            .get(&runs)
            .text
            .contains("This report has not run yet.")
    );
    console
        .post(
            &format!("{}/rows/{report}/0", panel("scheduled_reports")),
            &[],
        )
        .expect(200);
    let ran = console.get(&runs).expect(200);
    assert!(ran.text.contains("ops@charted.test"), "{}", ran.text);
    // The list says what came of the last run (no mail server here: not sent).
    let listed = console.get(&panel("scheduled_reports")).expect(200);
    assert!(
        listed.text.contains("Pending (attempt") || listed.text.contains("Failed: "),
        "{}",
        listed.text
    );
    // Without a row, or with a report of nobody's, the runs page shows nothing.
    assert_eq!(console.get(&panel("report_runs")).status, 404);
    assert_eq!(
        console
            .get(&format!("{}?row=987654321", panel("report_runs")))
            .status,
        404
    );

    // A logo, uploaded on the Branding tab as the browser sends it (a data: URL).
    let upload = format!("/customers/{group}/panels/branding/branding/uploads/0");
    let svg = r##"<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect width="40" height="20" fill="#123456"/></svg>"##;
    let data = format!(
        "data:image/svg+xml;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(svg)
    );
    let uploaded = console.post(&upload, &[("image", &data)]);
    assert_eq!(uploaded.status, 200, "{}", uploaded.text);
    let logo = server.get(&format!("/api/v1/groups/{group}/branding/logo"));
    assert_eq!(logo.text, svg);
    let refused = console.post(&upload, &[("image", "data:text/html;base64,PGI+")]);
    assert_eq!(refused.status, 422, "{}", refused.text);
    assert!(
        refused.text.contains("Choose a PNG or SVG file."),
        "{}",
        refused.text
    );
}

#[test]
fn a_rows_edit_form_is_filled_with_it_and_saves_it() {
    let server = TestServer::start();
    let group = server.create_group("Edited", 1, "reseller");
    let other = server.create_group("Elsewhere", 1, "reseller");
    let console = admin(&server);
    let contact = server
        .post(
            &format!("/api/v1/groups/{group}/contacts"),
            json!({"name": "Ada", "type": "billing", "email": "ada@edited.test"}),
        )
        .expect(201)
        .id();
    let elsewhere = server
        .post(
            &format!("/api/v1/groups/{other}/contacts"),
            json!({"name": "Not yours"}),
        )
        .expect(201)
        .id();
    let edit = format!("/customers/{group}/panels/crm/contact?row={contact}");
    let list = console
        .get(&format!("/customers/{group}/panels/crm/contacts"))
        .expect(200);
    assert!(list.text.contains(&edit), "{}", list.text);
    let form = console.get(&edit).expect(200);
    assert!(form.text.contains("value=\"Ada\""), "{}", form.text);
    assert!(
        form.text.contains("value=\"ada@edited.test\""),
        "{}",
        form.text
    );
    let saved = console.post(
        &edit,
        &[
            ("name", "Ada Lovelace"),
            ("type", "technical"),
            ("email", "ada@edited.test"),
        ],
    );
    assert_eq!(
        saved.header("hx-redirect"),
        Some(format!("{edit}&notice=panel-saved").as_str()),
        "{}",
        saved.text
    );
    let stored = server
        .get(&format!("/api/v1/groups/{group}/contacts/{contact}"))
        .expect(200);
    assert_eq!(stored.body["name"], "Ada Lovelace");
    assert_eq!(stored.body["type"], "technical");
    // Another customer's contact through this one, or no row at all: not found.
    let stolen = format!("/customers/{group}/panels/crm/contact?row={elsewhere}");
    assert_eq!(console.get(&stolen).status, 404);
    assert_eq!(console.post(&stolen, &[("name", "Mine now")]).status, 404);
    assert_eq!(
        console
            .get(&format!("/customers/{group}/panels/crm/contact"))
            .status,
        404
    );

    // An activity's moment fills the date-time field as the browser takes it.
    let activity = server
        .post(
            &format!("/api/v1/groups/{group}/activities"),
            json!({"kind": "call", "subject": "Renewal", "when": "2030-01-02T09:30:00Z"}),
        )
        .expect(201)
        .id();
    let form = console
        .get(&format!(
            "/customers/{group}/panels/crm/activity?row={activity}"
        ))
        .expect(200);
    assert!(
        form.text.contains("value=\"2030-01-02T09:30\""),
        "{}",
        form.text
    );

    // A disabled report's form says so, and saving it whole keeps it disabled.
    let report = server
        .post(
            &format!("/api/v1/groups/{group}/scheduled-reports"),
            json!({"title": "Usage", "kind": "usage", "enabled": false,
                   "recipients": {"emails": ["a@edited.test", "b@edited.test"]},
                   "schedule": {"frequency": "daily", "at": "07:00", "time_zone": "UTC"}}),
        )
        .expect(201)
        .id();
    let edit = format!("/customers/{group}/panels/reporting/report?row={report}");
    let form = console.get(&edit).expect(200);
    assert!(form.text.contains("value=\"07:00\""), "{}", form.text);
    assert!(
        form.text.contains("a@edited.test\nb@edited.test"),
        "{}",
        form.text
    );
    assert!(
        !form.text.contains("name=\"enabled\" value=\"yes\" checked"),
        "{}",
        form.text
    );
    let saved = console.post(
        &edit,
        &[
            ("title", "Usage, daily"),
            ("kind", "usage"),
            ("schedule.frequency", "daily"),
            ("schedule.at", "07:30"),
            ("schedule.time_zone", "UTC"),
            ("recipients.emails", "a@edited.test\nb@edited.test"),
            ("format", "csv"),
        ],
    );
    assert_eq!(saved.status, 200, "{}", saved.text);
    let stored = server
        .get(&format!(
            "/api/v1/groups/{group}/scheduled-reports/{report}"
        ))
        .expect(200);
    assert_eq!(stored.body["title"], "Usage, daily");
    assert_eq!(stored.body["schedule"]["at"], "07:30");
    assert_eq!(stored.body["enabled"], false);
}
