use chrono::Utc;
use tenantry_domain::GroupId;
use tenantry_storage::{PoolSettings, Storage, StoreError, devices, groups};
use tenantry_tests::TestServer;

/// The server's own database, opened beside it: devices are added the way the device API will
/// add them, through storage.
pub fn storage_of(server: &TestServer) -> Storage {
    let settings = PoolSettings {
        size: 2,
        connection_timeout: std::time::Duration::from_secs(10),
    };
    Storage::open(server.database_url(), settings).unwrap()
}

pub fn add_device(storage: &Storage, group: i64) -> Result<i64, StoreError> {
    let scope = storage.read(groups::root).unwrap().unwrap().path;
    storage.write(|w| {
        devices::add(
            w,
            &scope,
            GroupId(group),
            "laptop-01",
            "windows",
            Utc::now(),
        )
    })
}

#[test]
fn an_empty_group_is_removed_for_good() {
    let server = TestServer::start();
    let id = server.create_group("Gone", 1, "reseller");
    let reply = server.delete(&format!("/api/v1/groups/{id}")).expect(204);
    assert!(reply.text.is_empty());
    server
        .get(&format!("/api/v1/groups/{id}"))
        .expect_error(404, "not_found");
    server
        .delete(&format!("/api/v1/groups/{id}"))
        .expect_error(404, "not_found");
    // Its name is free again; its id is never handed out again.
    let again = server.create_group("Gone", 1, "reseller");
    assert!(again > id);
}

#[test]
fn a_group_with_children_or_devices_stays() {
    let server = TestServer::start();
    let parent = server.create_group("Parent", 1, "reseller");
    let child = server.create_group("Child", parent, "end_customer");
    let refused = server
        .delete(&format!("/api/v1/groups/{parent}"))
        .expect_error(409, "group_not_empty");
    assert_eq!(
        (
            refused.body["children"].as_i64(),
            refused.body["devices"].as_i64()
        ),
        (Some(1), Some(0))
    );

    add_device(&storage_of(&server), child).unwrap();
    let refused = server
        .delete(&format!("/api/v1/groups/{child}"))
        .expect_error(409, "group_not_empty");
    assert_eq!(
        (
            refused.body["children"].as_i64(),
            refused.body["devices"].as_i64()
        ),
        (Some(0), Some(1))
    );
    server.get(&format!("/api/v1/groups/{child}")).expect(200);
}

#[test]
fn the_root_cannot_be_removed() {
    let server = TestServer::start();
    server
        .delete("/api/v1/groups/1")
        .expect_error(403, "forbidden");
}

#[test]
fn removal_honours_if_match() {
    let server = TestServer::start();
    let id = server.create_group("Acme", 1, "reseller");
    let path = format!("/api/v1/groups/{id}");
    let etag = server
        .get(&path)
        .expect(200)
        .header("etag")
        .unwrap()
        .to_owned();
    server
        .patch(&path, serde_json::json!({"name": "Acme 2"}))
        .expect(200);
    server
        .request("DELETE", &path, None, &[("If-Match", &etag)])
        .expect_error(412, "precondition_failed");
    let fresh = server
        .get(&path)
        .expect(200)
        .header("etag")
        .unwrap()
        .to_owned();
    server
        .request("DELETE", &path, None, &[("If-Match", &fresh)])
        .expect(204);
}
