//! The mail outbox at the storage layer, where time can be given: one server's claim keeps the
//! others off until its lease runs out, and a claim that ran out records nothing.
// Tests may unwrap and expect: a panic there is a failed assertion (server code may not:
// the workspace lints deny both).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Duration, Utc};
use tenantry_domain::GroupId;
use tenantry_storage::{Storage, outbox};
use tenantry_tests::TestDatabase;
use tenantry_tests::clock::{march, root_group};

/// Queues a message for `group` at `at`; answers its id.
fn enqueue(storage: &Storage, group: GroupId, at: DateTime<Utc>) -> i64 {
    let to = ["ops@example.com".to_owned()];
    let mail = outbox::NewMail {
        plugin: "reporting",
        group,
        source: "scheduled-report/1",
        recipients: &to,
        subject: "Usage",
        content: r#"{"html": "<p>hi</p>"}"#,
    };
    storage.write(|w| outbox::enqueue(w, &mail, at)).unwrap()
}

#[test]
fn a_claimed_message_is_one_servers_until_its_lease_runs_out() {
    let database = TestDatabase::fresh();
    let storage = database.storage();
    let t0 = march(1, 12);
    let root = root_group(&storage, t0);
    let id = enqueue(&storage, root.id, t0);
    let lease = Duration::minutes(5);

    let first = outbox::claim_next(&storage, t0, lease).unwrap().unwrap();
    assert_eq!(first.id, id);
    // Another server, during the lease: nothing to claim.
    assert!(
        outbox::claim_next(&storage, t0 + Duration::minutes(4), lease)
            .unwrap()
            .is_none()
    );
    // The first server hangs past its lease; another takes the message over.
    let second = outbox::claim_next(&storage, t0 + Duration::minutes(6), lease)
        .unwrap()
        .unwrap();
    assert_eq!(second.id, id);
    // The first server's outcome no longer counts; the second's does.
    assert!(!outbox::attempt_failed(&storage, &first, "timed out", Some(t0), None).unwrap());
    assert!(outbox::delivered(&storage, &second, t0 + Duration::minutes(7), None).unwrap());
    let mail = storage.read(|c| outbox::get(c, id)).unwrap().unwrap();
    assert_eq!((mail.status.as_str(), mail.attempts), (outbox::SENT, 1));
    assert!(
        outbox::claim_next(&storage, t0 + Duration::hours(1), lease)
            .unwrap()
            .is_none()
    );

    // A failed attempt waits for its back-off before anyone claims it again.
    let id = enqueue(&storage, root.id, t0);
    let claim = outbox::claim_next(&storage, t0, lease).unwrap().unwrap();
    let retry = t0 + Duration::minutes(2);
    assert!(outbox::attempt_failed(&storage, &claim, "451 later", Some(retry), None).unwrap());
    assert!(
        outbox::claim_next(&storage, t0 + Duration::minutes(1), lease)
            .unwrap()
            .is_none()
    );
    let again = outbox::claim_next(&storage, retry, lease).unwrap().unwrap();
    assert_eq!((again.id, again.attempts), (id, 1));
}
