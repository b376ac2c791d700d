//! Session lifetimes at the storage layer, where time can be given rather than waited for: a
//! session ends after its idle time unless used, never outlives its absolute lifetime, and a
//! locked account cannot start one.
// Tests may unwrap and expect: a panic there is a failed assertion (server code may not:
// the workspace lints deny both).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Utc};
use tenantry_domain::{
    Authority, DomainError, GroupName, Level, LockoutPolicy, NewUser, Role, SessionPolicy,
    UserKind, Username,
};
use tenantry_storage::users::{self, AuthSession};
use tenantry_storage::{Storage, StoreError, groups};
use tenantry_tests::TestDatabase;

fn minutes(n: i64) -> chrono::Duration {
    chrono::Duration::minutes(n)
}

struct Fixture {
    storage: Storage,
    user: tenantry_domain::UserId,
    start: DateTime<Utc>,
    // Dropped after the storage (fields drop in order): the database goes once nothing uses it.
    _database: TestDatabase,
}

fn fixture() -> Fixture {
    let database = TestDatabase::fresh();
    let storage = database.storage();
    let start = tenantry_storage::now();
    let root = storage
        .write(|w| {
            groups::create_root(
                w,
                &GroupName::parse("Root").unwrap(),
                Level::Distributor,
                start,
            )
        })
        .unwrap();
    let user = storage
        .write(|w| {
            users::create(
                w,
                &root.path,
                NewUser {
                    group_id: root.id,
                    username: Username::parse("jane@example.com").unwrap(),
                    name: None,
                    authority: Authority::new(Role::Operator, false).unwrap(),
                    kind: UserKind::Interactive,
                    password_hash: Some("not checked here".to_owned()),
                },
                start,
            )
        })
        .unwrap()
        .id;
    Fixture {
        storage,
        user,
        start,
        _database: database,
    }
}

fn lookup(f: &Fixture, hash: &str, at: DateTime<Utc>) -> Option<AuthSession> {
    f.storage
        .read(|c| users::authenticate(c, hash, at))
        .unwrap()
}

#[test]
fn a_session_ends_after_its_idle_time_unless_used() {
    let f = fixture();
    let policy = SessionPolicy {
        idle: minutes(15),
        lifetime: minutes(60),
    };
    let session = f
        .storage
        .write(|w| users::start_session(w, f.user, "hash-1", f.start, &policy))
        .unwrap();
    assert_eq!(session.idle_expires_at, Some(f.start + minutes(15)));
    assert!(lookup(&f, "hash-1", f.start + minutes(14)).is_some());
    assert!(lookup(&f, "hash-1", f.start + minutes(15)).is_none());

    // Used at minute 10: alive until minute 25.
    let at = f.start + minutes(10);
    let idle = policy.idle_expiry(at, session.expires_at);
    f.storage
        .write(|w| users::touch_session(w, session.session_id, at, Some(idle)))
        .unwrap();
    assert!(lookup(&f, "hash-1", f.start + minutes(24)).is_some());
    assert!(lookup(&f, "hash-1", f.start + minutes(25)).is_none());
}

#[test]
fn no_use_keeps_a_session_past_its_lifetime() {
    let f = fixture();
    let policy = SessionPolicy {
        idle: minutes(15),
        lifetime: minutes(20),
    };
    let session = f
        .storage
        .write(|w| users::start_session(w, f.user, "hash-2", f.start, &policy))
        .unwrap();
    let at = f.start + minutes(14);
    let idle = policy.idle_expiry(at, session.expires_at);
    assert_eq!(idle, f.start + minutes(20), "capped by the lifetime");
    f.storage
        .write(|w| users::touch_session(w, session.session_id, at, Some(idle)))
        .unwrap();
    assert!(lookup(&f, "hash-2", f.start + minutes(19)).is_some());
    assert!(lookup(&f, "hash-2", f.start + minutes(20)).is_none());
}

#[test]
fn a_locked_account_counts_no_more_attempts_until_the_lock_ends() {
    let f = fixture();
    let lockout = LockoutPolicy::default();
    for i in 0..5 {
        f.storage
            .write(|w| users::record_attempt(w, f.user, f.start + minutes(i), &lockout))
            .unwrap();
    }
    let locked = f
        .storage
        .write(|w| users::record_attempt(w, f.user, f.start + minutes(5), &lockout));
    assert!(
        matches!(locked, Err(StoreError::Domain(DomainError::Locked { .. }))),
        "{locked:?}"
    );
    // The fifth attempt was at minute 4: the lock ends at minute 19.
    let later = f.start + minutes(19);
    f.storage
        .write(|w| users::record_attempt(w, f.user, later, &lockout))
        .unwrap();
    let policy = SessionPolicy::default();
    f.storage
        .write(|w| users::start_session(w, f.user, "hash-3", later, &policy))
        .unwrap();
    assert!(lookup(&f, "hash-3", later).is_some());
}
