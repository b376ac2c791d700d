//! Every migration runs up, down and up again on this run's backend, ending in the same schema.
// Tests may unwrap and expect: a panic there is a failed assertion (server code may not:
// the workspace lints deny both).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use tenantry_storage::{PoolSettings, Storage, migrations};
use tenantry_tests::TestDatabase;

/// The database, opened as the server opens it (which brings the schema up to date).
fn open(database: &TestDatabase) -> Storage {
    Storage::open(
        database.url(),
        PoolSettings {
            size: 1,
            connection_timeout: Duration::from_secs(10),
        },
    )
    .unwrap()
}

#[test]
fn migrations_run_up_down_and_up_again() {
    let database = TestDatabase::fresh();
    let storage = open(&database);
    let first = storage.read(migrations::describe_schema).unwrap();
    assert!(
        first.iter().any(|line| line.contains("groups")),
        "{first:#?}"
    );
    assert!(
        first.iter().any(|line| line.contains("devices")),
        "{first:#?}"
    );
    assert!(
        first.iter().any(|line| line.contains("REFERENCES")),
        "foreign keys are part of the comparison: {first:#?}"
    );

    storage.read(migrations::revert_all).unwrap();
    assert_eq!(
        storage.read(migrations::describe_schema).unwrap(),
        Vec::<String>::new(),
        "down leaves nothing behind"
    );

    storage.read(migrations::run_pending).unwrap();
    assert_eq!(
        storage.read(migrations::describe_schema).unwrap(),
        first,
        "up again builds the same schema"
    );
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// Two replicas started at the same moment on an empty database: one applies the migrations,
/// the other waits for it; both come up, and the history lists each migration once.
#[test]
fn replicas_starting_at_once_share_one_migration_history() {
    use std::sync::{Arc, Barrier};
    use tenantry_tests::{TestServer, repository_path};

    let migrations = std::fs::read_dir(repository_path("crates/storage/migrations/sqlite"))
        .unwrap()
        .count();
    for _ in 0..3 {
        let database = TestDatabase::fresh();
        let barrier = Arc::new(Barrier::new(2));
        let starting: Vec<_> = [database.share(), database.share()]
            .into_iter()
            .map(|db| {
                let barrier = Arc::clone(&barrier);
                std::thread::spawn(move || {
                    barrier.wait();
                    TestServer::start_with(db, &[])
                })
            })
            .collect();
        let servers: Vec<TestServer> = starting.into_iter().map(|s| s.join().unwrap()).collect();
        for server in &servers {
            server
                .request("GET", "/readyz", None, &[("Authorization", "")])
                .expect(200);
        }
        let migrated = servers
            .iter()
            .filter(|s| s.log().contains("database migration(s)"))
            .count();
        assert_eq!(migrated, 1, "exactly one of the two applied the migrations");
        let storage = open(&database);
        let history = storage
            .read(|c| {
                use diesel::RunQueryDsl;
                Ok(
                    diesel::sql_query("SELECT COUNT(*) AS n FROM __diesel_schema_migrations")
                        .get_result::<Count>(c)?,
                )
            })
            .unwrap();
        assert_eq!(
            history.n as usize, migrations,
            "each migration recorded once"
        );
    }
}

/// Names stored before keys were NFKC-normalised (only lower-cased then) get their keys again
/// at the next start: a group stored as `Ｗｉｄｅ Ｃｏ` is found by a login typed `Wide Co`.
/// A key that another row already holds stays as it was (both names kept, the clash logged).
#[test]
fn names_stored_before_normalisation_are_found_after_the_next_start() {
    use diesel::RunQueryDsl;
    use tenantry_tests::{TestServer, USER_PASSWORD};

    let server = TestServer::start();
    let wide = server.create_group("Wide Co", 1, "reseller");
    server.create_user(wide, "ann@wide.example", "administrator", false);
    let clash = server.create_group("Clash", 1, "reseller");
    let twin = server.create_group("Twin", 1, "reseller");
    let storage = server.share_database().storage();
    let sql = [
        format!(
            "UPDATE groups SET name = 'Ｗｉｄｅ Ｃｏ', name_key = 'ｗｉｄｅ ｃｏ' WHERE id = {wide}"
        ),
        format!("UPDATE groups SET name = 'ＣＬＡＳＨ', name_key = 'ｃｌａｓｈ' WHERE id = {twin}"),
        "UPDATE users SET username = 'ａｎｎ@wide.example', username_key = 'ａｎｎ@wide.example' \
         WHERE username = 'ann@wide.example'"
            .to_owned(),
        "DELETE FROM data_steps".to_owned(),
    ];
    storage
        .write(|w| {
            for statement in &sql {
                diesel::sql_query(statement).execute(w.conn())?;
            }
            Ok(())
        })
        .unwrap();
    assert_eq!(
        server
            .try_login("Wide Co", "ann@wide.example", USER_PASSWORD)
            .status,
        401,
        "the old keys are what is being mended"
    );
    drop(storage);
    let server = TestServer::start_with(server.into_database(), &[]);
    server.login("Wide Co", "ann@wide.example", USER_PASSWORD);
    server.login("Ｗｉｄｅ ｃｏ", "ANN@wide.example", USER_PASSWORD);
    // `Clash` and `ＣＬＡＳＨ` are one name now; the second keeps its old key.
    assert_eq!(
        server
            .get(&format!("/api/v1/groups/{twin}"))
            .expect(200)
            .body["name"],
        "ＣＬＡＳＨ"
    );
    assert_eq!(
        server
            .get(&format!("/api/v1/groups/{clash}"))
            .expect(200)
            .body["name"],
        "Clash"
    );
    assert!(
        server.log().contains("are one name now"),
        "the clash is logged: {}",
        server.log()
    );
}
