//! Every migration runs up, down and up again on this run's backend, ending in the same schema.

use std::time::Duration;

use tenantry_storage::{PoolSettings, Storage, migrations};
use tenantry_tests::TestDatabase;

#[test]
fn migrations_run_up_down_and_up_again() {
    let database = TestDatabase::fresh();
    let storage = Storage::open(
        database.url(),
        PoolSettings {
            size: 1,
            connection_timeout: Duration::from_secs(10),
        },
    )
    .unwrap();
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
