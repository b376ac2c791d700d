//! The daily clean-up, which also runs at start-up: deployment tokens and sessions that ended
//! more than 30 days ago and mail older than `mail.keep_days` are deleted; the rest is kept.

use diesel::RunQueryDsl;
use diesel::sql_types::BigInt;
use serde_json::json;
use tenantry_domain::GroupId;
use tenantry_storage::{Storage, outbox};
use tenantry_tests::{ROOT_NAME, TestServer};

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn count(storage: &Storage, sql: &str) -> i64 {
    storage
        .write(|w| {
            Ok(diesel::sql_query(sql)
                .get_result::<Count>(w.conn())
                .map_err(tenantry_storage::StoreError::from)?
                .n)
        })
        .unwrap()
}

fn run(storage: &Storage, sql: &str) {
    storage
        .write(|w| {
            diesel::sql_query(sql)
                .execute(w.conn())
                .map_err(tenantry_storage::StoreError::from)?;
            Ok(())
        })
        .unwrap();
}

fn queue_mail(storage: &Storage) -> i64 {
    let to = ["ops@example.com".to_owned()];
    let mail = outbox::NewMail {
        plugin: "reporting",
        group: GroupId(1),
        source: "scheduled-report/1",
        recipients: &to,
        subject: "Usage",
        content: r#"{"html": "<p>hi</p>"}"#,
    };
    storage
        .write(|w| outbox::enqueue(w, &mail, tenantry_storage::now()))
        .unwrap()
}

#[test]
fn ended_tokens_sessions_and_old_mail_are_deleted_the_rest_kept() {
    let server = TestServer::start();
    let customer = server
        .post(
            "/api/v1/groups",
            json!({"name": "Customer", "parent_id": 1, "level": "reseller", "automatic_deployment": true}),
        )
        .expect(201)
        .id();
    let token = |name: &str| {
        server
            .post(
                &format!("/api/v1/groups/{customer}/deployment-tokens"),
                json!({"name": name}),
            )
            .expect(201)
            .id()
    };
    let (long_expired, recently_expired, revoked_long_ago, live) =
        (token("a"), token("b"), token("c"), token("d"));
    let storage = server.share_database().storage();
    let (old_sent, old_failed, old_pending, new_sent) = (
        queue_mail(&storage),
        queue_mail(&storage),
        queue_mail(&storage),
        queue_mail(&storage),
    );
    let sessions_before = count(&storage, "SELECT COUNT(*) AS n FROM sessions");
    let database = server.into_database();

    let long_ago = "'2020-01-01 00:00:00'";
    let recently = (chrono::Utc::now() - chrono::Duration::days(3))
        .format("'%Y-%m-%d %H:%M:%S'")
        .to_string();
    run(
        &storage,
        &format!("UPDATE deployment_tokens SET expires_at = {long_ago} WHERE id = {long_expired}"),
    );
    run(
        &storage,
        &format!(
            "UPDATE deployment_tokens SET expires_at = {recently} WHERE id = {recently_expired}"
        ),
    );
    run(
        &storage,
        &format!(
            "UPDATE deployment_tokens SET revoked_at = {long_ago} WHERE id = {revoked_long_ago}"
        ),
    );
    // A session that ended long ago, beside the live ones (the SuperUser's).
    run(
        &storage,
        &format!(
            "INSERT INTO sessions (user_id, token_hash, kind, created_at, expires_at) \
             VALUES (1, 'gone', 'session', {long_ago}, {long_ago})"
        ),
    );
    run(
        &storage,
        &format!(
            "UPDATE mail_outbox SET status = 'sent', created_at = {long_ago} WHERE id = {old_sent}"
        ),
    );
    run(
        &storage,
        &format!(
            "UPDATE mail_outbox SET status = 'failed', created_at = {long_ago} WHERE id = {old_failed}"
        ),
    );
    run(
        &storage,
        &format!("UPDATE mail_outbox SET created_at = {long_ago} WHERE id = {old_pending}"),
    );
    run(
        &storage,
        &format!("UPDATE mail_outbox SET status = 'sent' WHERE id = {new_sent}"),
    );

    let _again = TestServer::start_logged_in(database, &[], ROOT_NAME);
    let started = std::time::Instant::now();
    while count(&storage, "SELECT COUNT(*) AS n FROM mail_outbox") > 2 {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "the clean-up did not run at start-up"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let ids = |sql: &str| -> Vec<i64> {
        #[derive(diesel::QueryableByName)]
        struct Id {
            #[diesel(sql_type = BigInt)]
            id: i64,
        }
        storage
            .write(|w| {
                Ok(diesel::sql_query(sql)
                    .load::<Id>(w.conn())
                    .map_err(tenantry_storage::StoreError::from)?
                    .into_iter()
                    .map(|i| i.id)
                    .collect())
            })
            .unwrap()
    };
    assert_eq!(
        ids("SELECT id FROM deployment_tokens ORDER BY id"),
        vec![recently_expired, live]
    );
    assert_eq!(
        ids("SELECT id FROM mail_outbox ORDER BY id"),
        vec![old_pending, new_sent],
        "pending mail is kept however old"
    );
    assert_eq!(
        count(
            &storage,
            "SELECT COUNT(*) AS n FROM sessions WHERE token_hash = 'gone'"
        ),
        0
    );
    // The live sessions stay (and the restarted server's login added one).
    assert!(count(&storage, "SELECT COUNT(*) AS n FROM sessions") > sessions_before - 1);
}
