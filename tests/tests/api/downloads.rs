//! Downloads: `GET /api/v1/groups/{id}/downloads` and each installer's file.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tenantry_tests::{TestDatabase, TestServer, downloads_dir};

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(downloads_dir().join(path)).unwrap()
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The deployment token inside an install command line.
fn token_in(command: &str) -> String {
    let start = command.find("tdp_").unwrap();
    command[start..start + 4 + 64].to_owned()
}

fn items(reply: &tenantry_tests::Reply) -> &Vec<Value> {
    reply.body["items"].as_array().unwrap()
}

#[test]
fn lists_every_installer_with_what_identifies_it() {
    let server = TestServer::start();
    let listed = server.get("/api/v1/groups/1/downloads").expect(200);
    let found: Vec<(&str, &str)> = items(&listed)
        .iter()
        .map(|i| (i["os"].as_str().unwrap(), i["name"].as_str().unwrap()))
        .collect();
    assert_eq!(
        found,
        [
            ("windows", "tenantry-2.4.1-x64.msi"),
            ("macos", "tenantry-2.4.1.pkg"),
            ("linux", "tenantry-2.4.1-x86_64"),
        ]
    );
    for item in items(&listed) {
        let path = format!(
            "{}/{}",
            item["os"].as_str().unwrap(),
            item["name"].as_str().unwrap()
        );
        let bytes = fixture(&path);
        assert_eq!(item["version"], "2.4.1");
        assert_eq!(item["size"], bytes.len());
        assert_eq!(item["sha256"], sha256_hex(&bytes));
        assert_eq!(item["url"], format!("/api/v1/groups/1/downloads/{path}"));
        // The root is a Distributor: no Quick Installation there, so no command line.
        assert_eq!(item["install_command"], Value::Null);
    }
    assert_eq!(listed.body["deployment_token_id"], Value::Null);
    assert_eq!(listed.header("cache-control"), Some("no-store"));
}

/// A reseller, and below it an end-customer where Quick Installation is on.
fn reseller_and_customer_with_quick_installation(server: &TestServer) -> (i64, i64) {
    let reseller = server.create_group("Reseller", 1, "reseller");
    let customer = server
        .post(
            "/api/v1/groups",
            json!({"name": "Customer", "parent_id": reseller, "level": "end_customer",
                   "automatic_deployment": true}),
        )
        .expect(201)
        .id();
    (reseller, customer)
}

#[test]
fn where_quick_installation_is_on_each_installer_comes_with_a_working_command() {
    let server = TestServer::start();
    let (reseller, customer) = reseller_and_customer_with_quick_installation(&server);
    let listed = server
        .get(&format!("/api/v1/groups/{customer}/downloads"))
        .expect(200);
    let linux = items(&listed).iter().find(|i| i["os"] == "linux").unwrap();
    let command = linux["install_command"].as_str().unwrap();
    let address = server.url("");
    assert_eq!(
        command,
        format!(
            "chmod +x ./tenantry-2.4.1-x86_64 && sudo ./tenantry-2.4.1-x86_64 device enroll \
             --server '{address}' --token '{}'",
            token_in(command)
        )
    );
    let msi = items(&listed)[0]["install_command"].as_str().unwrap();
    assert!(
        msi.starts_with("msiexec /i tenantry-2.4.1-x64.msi /qn "),
        "{msi}"
    );
    // One token for the whole answer, listed among the group's tokens, and it enrols.
    assert!(
        items(&listed)
            .iter()
            .all(|i| token_in(i["install_command"].as_str().unwrap()) == token_in(command))
    );
    let tokens = server
        .get(&format!("/api/v1/groups/{customer}/deployment-tokens"))
        .expect(200);
    assert_eq!(
        tokens.body["items"][0]["id"],
        listed.body["deployment_token_id"]
    );
    assert_eq!(tokens.body["items"][0]["name"], "Downloads");
    assert_eq!(
        tokens.body["items"][0]["expires_at"],
        listed.body["deployment_token_expires_at"]
    );
    let enrolled = server
        .with_token("")
        .post(
            "/api/v1/enroll",
            json!({"token": token_in(command), "name": "from-downloads", "os": "Linux"}),
        )
        .expect(201);
    assert_eq!(enrolled.body["group_id"], customer);
    // Listing again shows the same token: seven views leave one live token, not seven.
    for _ in 0..6 {
        let again = server
            .get(&format!("/api/v1/groups/{customer}/downloads"))
            .expect(200);
        assert_eq!(
            token_in(items(&again)[0]["install_command"].as_str().unwrap()),
            token_in(command)
        );
        assert_eq!(
            again.body["deployment_token_id"],
            listed.body["deployment_token_id"]
        );
    }
    assert_eq!(tokens_of(&server, customer), 1);
    // Another caller gets a token of their own (whose creator the list names).
    let (_, manager) = server.create_user(customer, "boss@customer.example", "manager", false);
    let theirs = server
        .with_token(&manager)
        .get(&format!("/api/v1/groups/{customer}/downloads"))
        .expect(200);
    assert_ne!(
        theirs.body["deployment_token_id"],
        listed.body["deployment_token_id"]
    );
    // A revoked one is never shown again.
    let revoked = listed.body["deployment_token_id"].as_i64().unwrap();
    server
        .delete(&format!(
            "/api/v1/groups/{customer}/deployment-tokens/{revoked}"
        ))
        .expect(204);
    let after_revoking = server
        .get(&format!("/api/v1/groups/{customer}/downloads"))
        .expect(200);
    assert_ne!(after_revoking.body["deployment_token_id"], revoked);
    assert_ne!(
        token_in(
            items(&after_revoking)[0]["install_command"]
                .as_str()
                .unwrap()
        ),
        token_in(command)
    );

    // Quick Installation available but switched off: no command, no token.
    let off = server
        .get(&format!("/api/v1/groups/{reseller}/downloads"))
        .expect(200);
    assert!(items(&off).iter().all(|i| i["install_command"].is_null()));
    assert!(
        server
            .get(&format!("/api/v1/groups/{reseller}/deployment-tokens"))
            .expect(200)
            .body["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // A caller who may not issue deployment tokens sees the installers, without commands.
    let (_, supporter) = server.create_user(customer, "help@customer.example", "supporter", false);
    let before = tokens_of(&server, customer);
    let seen = server
        .with_token(&supporter)
        .get(&format!("/api/v1/groups/{customer}/downloads"))
        .expect(200);
    assert_eq!(items(&seen).len(), 3);
    assert!(items(&seen).iter().all(|i| i["install_command"].is_null()));
    assert_eq!(seen.body["deployment_token_id"], Value::Null);
    assert_eq!(tokens_of(&server, customer), before);
}

fn tokens_of(server: &TestServer, group: i64) -> usize {
    server
        .get(&format!("/api/v1/groups/{group}/deployment-tokens"))
        .expect(200)
        .body["items"]
        .as_array()
        .unwrap()
        .len()
}

#[test]
fn the_configured_public_address_goes_into_the_commands() {
    let server = TestServer::start_with(
        TestDatabase::fresh(),
        &[(
            "TENANTRY__SERVER__PUBLIC_URL",
            "https://backup.example.com/",
        )],
    );
    let reseller = server.create_group("Reseller", 1, "reseller");
    server
        .patch(
            &format!("/api/v1/groups/{reseller}"),
            json!({"automatic_deployment": true}),
        )
        .expect(200);
    let listed = server
        .get(&format!("/api/v1/groups/{reseller}/downloads"))
        .expect(200);
    let command = items(&listed)[0]["install_command"].as_str().unwrap();
    assert!(
        command.contains("TENANTRY_SERVER=\"https://backup.example.com\""),
        "{command}"
    );
}

#[test]
fn a_file_downloads_whole_or_by_range() {
    let server = TestServer::start();
    let path = "linux/tenantry-2.4.1-x86_64";
    let bytes = fixture(path);
    let url = format!("/api/v1/groups/1/downloads/{path}");
    let whole = server.get(&url).expect(200);
    assert_eq!(whole.text.as_bytes(), bytes.as_slice());
    assert_eq!(
        whole.header("content-type"),
        Some("application/octet-stream")
    );
    assert_eq!(whole.header("x-content-type-options"), Some("nosniff"));
    assert!(
        whole
            .header("content-disposition")
            .unwrap()
            .starts_with("attachment"),
        "{:?}",
        whole.headers
    );
    assert_eq!(whole.header("accept-ranges"), Some("bytes"));

    let part = server.request("GET", &url, None, &[("Range", "bytes=100-199")]);
    let part = part.expect(206);
    assert_eq!(part.text.as_bytes(), &bytes[100..200]);
    assert_eq!(
        part.header("content-range"),
        Some(format!("bytes 100-199/{}", bytes.len()).as_str())
    );
    let tail = server
        .request("GET", &url, None, &[("Range", "bytes=-10")])
        .expect(206);
    assert_eq!(tail.text.as_bytes(), &bytes[bytes.len() - 10..]);
    server
        .request("GET", &url, None, &[("Range", "bytes=999999-")])
        .expect(416);

    // A browser or download manager revalidating its copy.
    let etag = whole.header("etag").unwrap().to_owned();
    server
        .request("GET", &url, None, &[("If-None-Match", &etag)])
        .expect(304);
}

#[test]
fn only_listed_files_can_be_fetched() {
    let server = TestServer::start();
    for path in [
        "linux/nothing-here",
        "freebsd/tenantry-2.4.1-x86_64",
        "linux/..%2F..%2FREADME.md",
        "linux/%2E%2E",
        "windows/tenantry-2.4.1-x86_64",
        "linux/.",
    ] {
        server
            .get(&format!("/api/v1/groups/1/downloads/{path}"))
            .expect_error(404, "not_found");
    }
    // And not without a caller.
    server
        .with_token("")
        .get("/api/v1/groups/1/downloads/linux/tenantry-2.4.1-x86_64")
        .expect_error(401, "unauthenticated");
}

#[test]
fn every_account_type_sees_the_downloads() {
    let server = TestServer::start();
    let site = server.create_group("Site", 1, "site");
    for role in [
        "superuser",
        "administrator",
        "manager",
        "operator",
        "supporter",
    ] {
        let (_, token) = server.create_user(site, &format!("{role}@site.example"), role, false);
        let listed = server
            .with_token(&token)
            .get(&format!("/api/v1/groups/{site}/downloads"))
            .expect(200);
        assert_eq!(items(&listed).len(), 3, "{role}");
        server
            .with_token(&token)
            .get(&format!(
                "/api/v1/groups/{site}/downloads/macos/tenantry-2.4.1.pkg"
            ))
            .expect(200);
    }
}

/// The address in the install command, asked with forwarding headers the client made up.
fn address_in_command(server: &TestServer) -> String {
    let (_, customer) = reseller_and_customer_with_quick_installation(server);
    let listed = server
        .request(
            "GET",
            &format!("/api/v1/groups/{customer}/downloads"),
            None,
            &[
                ("X-Forwarded-Host", "evil.example"),
                ("X-Forwarded-Proto", "https"),
                ("Forwarded", "host=evil.example;proto=https"),
            ],
        )
        .expect(200);
    let linux = items(&listed).iter().find(|i| i["os"] == "linux").unwrap();
    let command = linux["install_command"].as_str().unwrap();
    let start = command.find("--server '").unwrap() + "--server '".len();
    command[start..start + command[start..].find('\'').unwrap()].to_owned()
}

#[test]
fn forwarding_headers_count_only_from_trusted_proxies() {
    // Anyone's: ignored, the command names the address the request came to.
    let server = TestServer::start();
    assert_eq!(address_in_command(&server), server.url(""));
    // A configured proxy's (the tests reach the server from 127.0.0.1): believed.
    let behind_proxy = TestServer::start_with(
        TestDatabase::fresh(),
        &[(
            "TENANTRY__SERVER__TRUSTED_PROXIES",
            "10.1.2.3, 127.0.0.1/32",
        )],
    );
    assert_eq!(address_in_command(&behind_proxy), "https://evil.example");
}
