//! The admin agent, `tenantry`, run as a user runs it (the binary, its exit codes, its output)
//! against the real server on 127.0.0.1.
// Tests may unwrap and expect: a panic there is a failed assertion (server code may not:
// the workspace lints deny both).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::{Value, json};
use tenantry_tests::{ADMIN_EMAIL, ADMIN_PASSWORD, ROOT_NAME, Scratch, TestServer, agent_binary};

/// An agent with a home of its own (where it keeps its logins).
struct Agent {
    home: Scratch,
}

#[derive(Debug)]
struct Ran {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Ran {
    #[track_caller]
    fn ok(self) -> Ran {
        assert_eq!(self.code, 0, "{self:?}");
        self
    }

    #[track_caller]
    fn json(self) -> Value {
        serde_json::from_str(&self.ok().stdout).unwrap()
    }
}

impl Agent {
    fn new() -> Agent {
        Agent {
            home: Scratch::new("agent"),
        }
    }

    fn run_with_input(&self, args: &[&str], input: &str) -> Ran {
        let mut child = Command::new(agent_binary())
            .args(args)
            .env("TENANTRY_AGENT_HOME", self.home.path())
            .env_remove("TENANTRY_SERVER")
            .env_remove("TENANTRY_TOKEN")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // A command refused before it reads its input closes the pipe early: not a failure.
        let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
        let output = child.wait_with_output().unwrap();
        Ran {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    fn run(&self, args: &[&str]) -> Ran {
        self.run_with_input(args, "")
    }

    fn login(&self, server: &TestServer) {
        let url = server.url("");
        self.run_with_input(
            &[
                "login",
                "--server",
                &url,
                "--group",
                ROOT_NAME,
                "--user",
                ADMIN_EMAIL,
                "--password-stdin",
            ],
            &format!("{ADMIN_PASSWORD}\n"),
        )
        .ok();
    }

    /// `groups add … -o json`, answering the new group's id.
    fn add(&self, name: &str, parent: i64, level: &str) -> i64 {
        let parent = parent.to_string();
        self.run(&[
            "groups", "add", name, "--parent", &parent, "--level", level, "-o", "json",
        ])
        .json()["id"]
            .as_i64()
            .unwrap()
    }
}

#[test]
fn an_admin_builds_moves_and_prunes_a_customer_tree_with_the_agent() {
    let server = TestServer::start();
    let agent = Agent::new();

    // Not logged in yet: the authentication exit code, and what to do.
    let refused = agent.run(&["groups", "list"]);
    assert_eq!(refused.code, 5, "{refused:?}");
    assert!(refused.stderr.contains("tenantry login"), "{refused:?}");
    // A wrong password: the server's code, and the authentication exit code.
    let wrong = agent.run_with_input(
        &[
            "login",
            "--server",
            &server.url(""),
            "--group",
            ROOT_NAME,
            "--user",
            ADMIN_EMAIL,
            "--password-stdin",
        ],
        "not the password\n",
    );
    assert_eq!(wrong.code, 5, "{wrong:?}");
    assert!(wrong.stderr.contains("unauthenticated"), "{wrong:?}");

    agent.login(&server);
    let credentials = agent.home.path().join("credentials.json");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&credentials)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the token file is its owner's only");
    }

    // Five levels: the root distributor and four below it.
    let sub = agent.add("Agent Sub", 1, "sub_distributor");
    let reseller = agent.add("Agent Reseller", sub, "reseller");
    let customer = agent.add("Agent Customer", reseller, "end_customer");
    let site = agent.add("Agent Site", customer, "site");
    let tree = agent
        .run(&["groups", "tree", &sub.to_string(), "-o", "json"])
        .json();
    let chain: Vec<(i64, i64)> = tree["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["id"].as_i64().unwrap(), g["depth"].as_i64().unwrap()))
        .collect();
    assert_eq!(chain, [(sub, 0), (reseller, 1), (customer, 2), (site, 3)]);
    let table = agent.run(&["groups", "tree"]).ok().stdout;
    assert!(
        table.contains("\n        Agent Site  (site, 0 devices)"),
        "{table}"
    );
    let shallow = agent
        .run(&[
            "groups",
            "tree",
            &sub.to_string(),
            "--depth",
            "1",
            "-o",
            "json",
        ])
        .json();
    assert_eq!(shallow["items"].as_array().unwrap().len(), 2);

    // Move the customer (and its site) to another reseller.
    let other = agent.add("Agent Reseller 2", sub, "reseller");
    agent
        .run(&[
            "groups",
            "mv",
            &customer.to_string(),
            "--to",
            &other.to_string(),
        ])
        .ok();
    let moved = agent
        .run(&["groups", "get", &customer.to_string(), "-o", "json"])
        .json();
    assert_eq!(moved["parent_id"], other);
    assert_eq!(
        server
            .get(&format!("/api/v1/groups/{site}/ancestors"))
            .expect(200)
            .ids(),
        [1, sub, other, customer]
    );

    // A group with customers cannot go: the server's code and message, exit code 4.
    let refused = agent.run(&["groups", "rm", &other.to_string()]);
    assert_eq!(refused.code, 4, "{refused:?}");
    assert!(refused.stderr.contains("group_not_empty"), "{refused:?}");
    let missing = agent.run(&["groups", "rm", "987654321"]);
    assert_eq!(missing.code, 3, "{missing:?}");
    let invalid = agent.run(&["groups", "add", "Bad", "--parent", "1", "--level", "galaxy"]);
    assert_eq!(invalid.code, 4, "{invalid:?}");
    agent.run(&["groups", "rm", &reseller.to_string()]).ok();

    // Lists: every page, as CSV or as the API's JSON.
    let csv = agent
        .run(&["groups", "list", &sub.to_string(), "-o", "csv"])
        .ok()
        .stdout;
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("ID,PARENT,NAME,LEVEL,STATE,SERVICE"));
    assert_eq!(lines.count(), 3, "{csv}");
    let listed = agent
        .run(&[
            "groups", "list", "--level", "site", "--limit", "1", "-o", "json",
        ])
        .json();
    assert_eq!(listed["items"][0]["id"], site);

    // The company profile: the fields given change, the others stay, an empty one clears.
    let sub_id = sub.to_string();
    agent
        .run(&[
            "groups",
            "company",
            "set",
            &sub_id,
            "--legal-name",
            "Agent Sub Ltd",
            "--city",
            "Utrecht",
        ])
        .ok();
    let profile = agent
        .run(&[
            "groups",
            "company",
            "set",
            &sub_id,
            "--city",
            "",
            "--vat-number",
            "NL1",
            "-o",
            "json",
        ])
        .json();
    assert_eq!(
        (
            &profile["legal_name"],
            &profile["city"],
            &profile["vat_number"]
        ),
        (&json!("Agent Sub Ltd"), &Value::Null, &json!("NL1"))
    );
    let shown = agent
        .run(&["groups", "company", "get", &sub_id, "-o", "csv"])
        .ok()
        .stdout;
    assert!(shown.contains("legal_name,Agent Sub Ltd"), "{shown}");
    let nothing = agent.run(&["groups", "company", "set", &sub_id]);
    assert_eq!(nothing.code, 2, "{nothing:?}");

    // Completions come from the same definitions.
    let bash = agent.run(&["completions", "bash"]).ok().stdout;
    assert!(
        bash.contains("tenantry") && bash.contains("complete"),
        "{bash}"
    );

    // `tenantry me` alone shows the caller.
    let me = agent.run(&["me", "-o", "json"]).json();
    assert_eq!(me["user"]["username"], ADMIN_EMAIL);

    // Logged out: the session ends on the server too.
    agent.run(&["logout"]).ok();
    assert_eq!(agent.run(&["groups", "list"]).code, 5);
}

#[test]
fn a_login_that_ended_on_the_server_says_to_log_in_again() {
    let server = TestServer::start();
    let (jane, _) = server.create_user(1, "jane@example.com", "manager", false);
    let agent = Agent::new();
    agent
        .run_with_input(
            &[
                "login",
                "--server",
                &server.url(""),
                "--group",
                ROOT_NAME,
                "--user",
                "jane@example.com",
                "--password-stdin",
            ],
            tenantry_tests::USER_PASSWORD,
        )
        .ok();
    agent.run(&["groups", "list"]).ok();
    // An administrator sets a new password: every session of hers ends.
    server
        .patch(
            &format!("/api/v1/users/{jane}"),
            json!({"password": "orchid lantern seventy"}),
        )
        .expect(200);
    for command in [&["groups", "list"][..], &["me"][..]] {
        let ended = agent.run(command);
        assert_eq!(ended.code, 5, "{ended:?}");
        assert!(
            ended.stderr.contains("no longer valid") && ended.stderr.contains("tenantry login"),
            "{ended:?}"
        );
    }
}

#[test]
fn a_machine_enrols_and_reports_with_the_agent() {
    let server = TestServer::start();
    let reseller = server.create_group("Enrol Reseller", 1, "reseller");
    let customer = server.create_group("Enrol Customer", reseller, "end_customer");
    server
        .patch(
            &format!("/api/v1/groups/{customer}"),
            json!({"automatic_deployment": true}),
        )
        .expect(200);
    let token = server.deployment_token(customer);
    let machine = Agent::new();
    let enrolled = machine
        .run(&[
            "device",
            "enroll",
            "--server",
            &server.url(""),
            "--token",
            &token,
            "--name",
            "web-01",
            "--os",
            "Linux",
            "-o",
            "json",
        ])
        .json();
    assert_eq!(enrolled["name"], "web-01");
    assert!(enrolled.get("credential").is_none(), "kept, never printed");
    let device = enrolled["id"].as_i64().unwrap();

    machine
        .run(&[
            "device",
            "report",
            "--status",
            "completed",
            "--selected-size",
            "2000000",
            "--used-storage",
            "850000",
        ])
        .ok();
    let shown = server.get(&format!("/api/v1/devices/{device}")).expect(200);
    assert_eq!(shown.body["used_bytes"], 850_000);
    assert_eq!(shown.body["status"], "completed");

    // Bad input is the server's validation error, exit code 4; another machine is not enrolled.
    let bad = machine.run(&[
        "device",
        "report",
        "--status",
        "exploded",
        "--selected-size",
        "1",
        "--used-storage",
        "1",
    ]);
    assert_eq!(bad.code, 4, "{bad:?}");
    let stranger = Agent::new().run(&[
        "device",
        "report",
        "--status",
        "completed",
        "--selected-size",
        "1",
        "--used-storage",
        "1",
    ]);
    assert_eq!(stranger.code, 2, "{stranger:?}");

    // The admin's tree counts it.
    let admin = Agent::new();
    admin.login(&server);
    let tree = admin
        .run(&["groups", "tree", &reseller.to_string(), "-o", "json"])
        .json();
    let devices: Vec<i64> = tree["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["devices"].as_i64().unwrap())
        .collect();
    assert_eq!(devices, [1, 1], "the reseller's subtree and the customer");

    // A table for people: sizes in kB/MB/GB, the group's name beside its id, times relative,
    // nested values in columns of their own; CSV keeps the API's values for scripts.
    let table = admin
        .run(&["devices", "get", &device.to_string()])
        .ok()
        .stdout;
    assert!(table.contains("850 kB"), "{table}");
    assert!(table.contains("2.00 MB"), "{table}");
    assert!(
        table.contains(&format!("{customer} (Enrol Customer)")),
        "{table}"
    );
    assert!(
        table.contains(" ago") || table.contains("just now"),
        "{table}"
    );
    assert!(!table.contains('{'), "no JSON in a cell: {table}");
    let csv = admin
        .run(&["devices", "get", &device.to_string(), "-o", "csv"])
        .ok()
        .stdout;
    assert!(csv.contains("used_bytes,850000"), "{csv}");
}

#[test]
fn every_operation_of_the_api_has_a_command_and_every_command_an_operation() {
    // The agent ships commands for the host and the first-party plugins (a plugin from
    // elsewhere is reached through the API itself).
    let server = TestServer::start_with(
        tenantry_tests::TestDatabase::fresh(),
        &[("TENANTRY__PLUGINS__ENABLED", "branding,crm,reporting")],
    );
    let document = server.get("/api/v1/openapi.json").expect(200).body;
    let mut api: Vec<String> = Vec::new();
    for (path, operations) in document["paths"].as_object().unwrap() {
        for method in operations.as_object().unwrap().keys() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                api.push(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    api.sort();
    api.dedup();
    let listed = Agent::new().run(&["operations"]).ok().stdout;
    let mut agent: Vec<String> = listed
        .lines()
        .map(|line| line.splitn(3, ' ').take(2).collect::<Vec<_>>().join(" "))
        .collect();
    agent.sort();
    agent.dedup();
    let missing: Vec<&String> = api.iter().filter(|op| !agent.contains(op)).collect();
    let stale: Vec<&String> = agent.iter().filter(|op| !api.contains(op)).collect();
    assert!(
        missing.is_empty(),
        "operations without an agent command: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "agent commands for operations the server lacks: {stale:?}"
    );
}

#[test]
fn the_api_command_reaches_a_plugin_the_agent_was_not_built_with() {
    // The notes plugin lives in tests/plugins: no table row, no command; `tenantry api` reaches it.
    let server = TestServer::start();
    let agent = Agent::new();
    agent.login(&server);
    let group = agent.add("Notes MSP", 1, "reseller");
    let notes = format!("/groups/{group}/notes");
    let note = agent
        .run(&[
            "api",
            "post",
            &notes,
            "--set",
            "text=Call back",
            "--set",
            "pinned=true",
            "-o",
            "json",
        ])
        .json();
    assert_eq!(note["text"], "Call back");
    assert_eq!(note["pinned"], true);
    // With the /api/v1 prefix too, shown as a table of the page's items.
    let listed = agent
        .run(&[
            "api",
            "GET",
            &format!("/api/v1{notes}"),
            "--query",
            "limit=5",
        ])
        .ok()
        .stdout;
    assert!(listed.contains("Call back"), "{listed}");
    // The plugin's refusal (a pinned note keeps its group), its code and exit code 4.
    let refused = agent.run(&["groups", "rm", &group.to_string()]);
    assert_eq!(refused.code, 4, "{refused:?}");
    assert!(refused.stderr.contains("plugin_refused"), "{refused:?}");
    let removed = agent
        .run(&["api", "DELETE", &format!("{notes}/{}", note["id"])])
        .ok();
    assert!(removed.stderr.contains("done"), "{removed:?}");
    // What the server refuses is the server's error; what is not a path is a usage error.
    let missing = agent.run(&["api", "GET", "/groups/987654321/notes"]);
    assert_eq!(missing.code, 3, "{missing:?}");
    let usage = agent.run(&["api", "GET", "groups?x=1"]);
    assert_eq!(usage.code, 2, "{usage:?}");
    let wrong = agent.run(&["api", "FETCH", &notes]);
    assert_eq!(wrong.code, 2, "{wrong:?}");
}

#[test]
fn table_driven_commands_reach_every_kind_of_endpoint() {
    let server = TestServer::start();
    let agent = Agent::new();
    agent.login(&server);
    let group = agent.add("Table MSP", 1, "reseller").to_string();

    // A body from --set, nested and typed.
    let report = agent
        .run(&[
            "reports",
            "add",
            &group,
            "--set",
            "title=Weekly usage",
            "--set",
            "kind=usage",
            "--set",
            "schedule.frequency=weekly",
            "--set",
            "schedule.weekday=friday",
            "--set",
            "schedule.at=07:30",
            "--set",
            "schedule.time_zone=Europe/Paris",
            "--set",
            r#"recipients.emails=["ops@table.example"]"#,
            "--set",
            "enabled=false",
            "-o",
            "json",
        ])
        .json();
    assert_eq!(report["schedule"]["weekday"], "friday");
    assert_eq!(report["enabled"], false);
    let listed = agent
        .run(&["reports", "list", &group, "-o", "csv"])
        .ok()
        .stdout;
    assert!(listed.contains("Weekly usage"), "{listed}");
    // The server's validation error, its field, and exit code 4.
    let invalid = agent.run(&["contacts", "add", &group, "--set", "type=billing"]);
    assert_eq!(invalid.code, 4, "{invalid:?}");
    assert!(invalid.stderr.contains("validation_failed"), "{invalid:?}");
    let contact = agent
        .run(&[
            "contacts",
            "add",
            &group,
            "--set",
            "name=Bill",
            "--set",
            "type=billing",
            "-o",
            "json",
        ])
        .json();
    let cid = contact["id"].to_string();
    agent.run(&["contacts", "rm", &group, &cid]).ok();
    assert_eq!(agent.run(&["contacts", "get", &group, &cid]).code, 3);

    // Branding: `set` changes the fields given and keeps the others; what `get -o json` shows
    // can be fed back with a change on top; `replace` replaces.
    agent
        .run(&[
            "branding",
            "set",
            &group,
            "--set",
            "company_name=Acme",
            "--set",
            "main_color=#112233",
        ])
        .ok();
    agent
        .run(&["branding", "set", &group, "--set", "main_color=#445566"])
        .ok();
    let shown = agent.run(&["branding", "get", &group, "-o", "json"]).json();
    assert_eq!(shown["values"]["company_name"], "Acme", "kept");
    assert_eq!(shown["values"]["main_color"], "#445566");
    let saved_view = agent.home.path().join("branding.json");
    std::fs::write(&saved_view, shown.to_string()).unwrap();
    agent.run(&["branding", "reset", &group]).ok();
    agent
        .run(&[
            "branding",
            "set",
            &group,
            "--file",
            saved_view.to_str().unwrap(),
            "--set",
            "support_email=help@acme.example",
        ])
        .ok();
    let restored = agent.run(&["branding", "get", &group, "-o", "json"]).json();
    assert_eq!(restored["values"]["company_name"], "Acme");
    assert_eq!(restored["values"]["main_color"], "#445566");
    assert_eq!(restored["values"]["support_email"], "help@acme.example");
    agent
        .run(&["branding", "replace", &group, "--set", "product_name=Vault"])
        .ok();
    let replaced = agent.run(&["branding", "get", &group, "-o", "json"]).json();
    assert_eq!(replaced["values"]["company_name"], serde_json::Value::Null);
    assert_eq!(replaced["values"]["product_name"], "Vault");

    // Bytes both ways: a logo up, a chart and an installer down.
    let png = agent.home.path().join("logo.png");
    let mut bytes = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13];
    bytes.extend_from_slice(b"IHDR");
    bytes.extend_from_slice(&64u32.to_be_bytes());
    bytes.extend_from_slice(&64u32.to_be_bytes());
    bytes.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
    std::fs::write(&png, &bytes).unwrap();
    agent
        .run(&[
            "branding",
            "set-logo",
            &group,
            "--image",
            png.to_str().unwrap(),
        ])
        .ok();
    let saved = agent.home.path().join("saved.png");
    agent
        .run(&[
            "branding",
            "get-logo",
            &group,
            "--out",
            saved.to_str().unwrap(),
        ])
        .ok();
    assert_eq!(std::fs::read(&saved).unwrap(), bytes);
    let svg = agent.home.path().join("chart.svg");
    agent
        .run(&[
            "charts",
            "svg",
            &group,
            // The metric as the help names it: SVG is asked for, not left to a suffix (this once
            // saved the chart's JSON into chart.svg).
            "used_bytes",
            "--out",
            svg.to_str().unwrap(),
        ])
        .ok();
    assert!(std::fs::read_to_string(&svg).unwrap().contains("<svg"));
    let installer = agent.home.path().join("installer");
    agent
        .run(&[
            "downloads",
            "get",
            &group,
            "linux",
            "tenantry-2.4.1-x86_64",
            "--out",
            installer.to_str().unwrap(),
        ])
        .ok();
    assert!(!std::fs::read(&installer).unwrap().is_empty());

    // Outside /api/v1, and the caller.
    assert_eq!(
        agent.run(&["server", "health", "-o", "json"]).json()["status"],
        "ok"
    );
    let me = agent.run(&["me", "show", "-o", "json"]).json();
    assert_eq!(me["user"]["username"], ADMIN_EMAIL);
}

/// A 1,000-row customer tree in the export's own format (every column, tree order): 10
/// resellers, each with 9 end-customers of 10 sites.
fn thousand_row_file(top: &str) -> String {
    let mut file = String::from(
        "name,parent,level,service_type,state,trial_expires_at,customer_reference,\
         automatic_deployment,company.legal_name,company.website,company.phone,company.fax,\
         company.vat_number,company.chamber_of_commerce_number,company.bank_account,\
         company.street,company.city,company.district,company.state,company.zip,\
         company.country,company.billing_contact\n",
    );
    let empty_company = ",".repeat(13);
    for r in 0..10 {
        let reseller = format!("Reseller {r:02}");
        file.push_str(&format!(
            "{reseller},{top},reseller,all_inclusive,production,,R-{r:02},false,\
             \"{reseller}, Ltd.\",https://r{r}.example,'+31 20 555 01{r:02},,NL{r:04},,,,Utrecht,,,,NL,\n"
        ));
        for c in 0..9 {
            let customer = format!("Customer {r:02}-{c}");
            file.push_str(&format!(
                "{customer},{reseller},end_customer,software_only,trial,2027-03-01T00:00:00Z,,\
                 true,{empty_company}\n"
            ));
            for s in 0..10 {
                file.push_str(&format!(
                    "Site {r:02}-{c}-{s},{customer},site,all_inclusive,not_active,,,false,\
                     {empty_company}\n"
                ));
            }
        }
    }
    assert_eq!(file.lines().count(), 1_001, "a header and 1,000 rows");
    file
}

#[test]
fn an_admin_imports_a_thousand_customers_and_exports_them_back() {
    let server = TestServer::start();
    let agent = Agent::new();
    agent.login(&server);
    let top = agent.add("Import Top", 1, "sub_distributor");
    let top_arg = top.to_string();
    let good = thousand_row_file("Import Top");

    // Three broken lines: a misspelt level, an unknown parent, a name used twice.
    let mut lines: Vec<String> = good.lines().map(str::to_owned).collect();
    lines[4] = lines[4].replacen(",site,", ",sitee,", 1);
    lines[299] = lines[299].replacen("Customer", "Nobody", 1);
    lines[799] = lines[799].replacen(&lines[799][..13], &lines[798][..13], 1);
    let broken = lines.join("\n") + "\n";
    let dir = agent.home.path().join("files");
    std::fs::create_dir_all(&dir).unwrap();
    let (broken_path, good_path) = (dir.join("broken.csv"), dir.join("good.csv"));
    std::fs::write(&broken_path, &broken).unwrap();
    std::fs::write(&good_path, &good).unwrap();
    let import = |path: &PathBuf, extra: &[&str]| {
        let mut args = vec![
            "groups",
            "import",
            path.to_str().unwrap(),
            "--into",
            &top_arg,
        ];
        args.extend_from_slice(extra);
        agent.run(&args)
    };

    let refused = import(&broken_path, &["--dry-run"]);
    assert_eq!(refused.code, 4, "{refused:?}");
    assert!(refused.stderr.contains("validation_failed"), "{refused:?}");
    let named: Vec<&str> = refused
        .stderr
        .lines()
        .filter(|l| l.trim_start().starts_with("line "))
        .collect();
    assert_eq!(named.len(), 3, "{named:?}");
    assert!(named[0].contains("line 5: level"), "{named:?}");
    assert!(named[1].contains("line 300: parent"), "{named:?}");
    assert!(named[2].contains("line 800: name"), "{named:?}");
    // The real run of the broken file is refused the same way, and writes nothing.
    assert_eq!(import(&broken_path, &[]).code, 4);
    let empty = agent.run(&["groups", "export", &top_arg]).ok();
    assert_eq!(
        empty.stdout.lines().count(),
        1,
        "only the header: {empty:?}"
    );

    let rehearsed = import(&good_path, &["--dry-run"]).ok();
    assert!(
        rehearsed.stderr.contains("1000 groups would be created"),
        "{rehearsed:?}"
    );
    let report =
        serde_json::from_str::<Value>(&import(&good_path, &["-o", "json"]).ok().stdout).unwrap();
    assert_eq!(report["created"], 1000);
    assert_eq!(report["groups"][999]["line"], 1001);

    // The export is the file imported, byte for byte, to a file and to stdout alike.
    let exported = dir.join("exported.csv");
    agent
        .run(&[
            "groups",
            "export",
            &top_arg,
            "--out",
            exported.to_str().unwrap(),
        ])
        .ok();
    assert_eq!(std::fs::read_to_string(&exported).unwrap(), good);
    assert_eq!(agent.run(&["groups", "export", &top_arg]).ok().stdout, good);
    let tree = agent
        .run(&["groups", "tree", &top_arg, "--depth", "1", "-o", "json"])
        .json();
    assert_eq!(
        tree["items"].as_array().unwrap().len(),
        11,
        "the top and 10 resellers"
    );
}

#[test]
fn a_profile_logs_in_again_alone_after_its_group_is_renamed() {
    let server = TestServer::start();
    let acme = server.create_group("Acme", server.root(), "reseller");
    server.create_user(acme, "ann@acme.example", "administrator", false);
    let agent = Agent::new();
    let password = format!("{}\n", tenantry_tests::USER_PASSWORD);
    let first = agent.run_with_input(&["login", "--password-stdin"], &password);
    assert_eq!(first.code, 2, "nothing to log in with yet: {first:?}");
    assert!(first.stderr.contains("--server"), "{first:?}");
    agent
        .run_with_input(
            &[
                "login",
                "--server",
                &server.url(""),
                "--group",
                "Acme",
                "--user",
                "ann@acme.example",
                "--password-stdin",
            ],
            &password,
        )
        .ok();
    // Renamed from above (a group is managed by its parent's administrators): the group's
    // new name is part of the credentials now. Shown the group, the profile learns it.
    server
        .patch(
            &format!("/api/v1/groups/{acme}"),
            json!({"name": "Acme Backup"}),
        )
        .expect(200);
    agent.run(&["groups", "get", &acme.to_string()]).ok();
    agent.run(&["logout"]).ok();
    agent
        .run_with_input(&["login", "--password-stdin"], &password)
        .ok();
    assert_eq!(
        agent.run(&["me", "-o", "json"]).json()["group"]["name"],
        "Acme Backup"
    );
    // Renamed again: `me` shows it, and the profile follows.
    server
        .patch(
            &format!("/api/v1/groups/{acme}"),
            json!({"name": "Acme Cloud"}),
        )
        .expect(200);
    agent.run(&["me"]).ok();
    agent.run(&["logout"]).ok();
    let again = agent.run_with_input(&["login", "--password-stdin"], &password);
    assert!(again.stderr.contains("Acme Cloud"), "{again:?}");
}

#[test]
fn a_profile_logged_out_is_not_logged_in_and_says_so() {
    let server = TestServer::start();
    let agent = Agent::new();
    agent.login(&server);
    agent.run(&["logout"]).ok();
    let refused = agent.run(&["groups", "list"]);
    assert_eq!(refused.code, 5, "{refused:?}");
    assert!(refused.stderr.contains("tenantry login"), "{refused:?}");
    let again = agent.run(&["logout"]);
    assert_eq!(again.code, 2, "{again:?}");
}
