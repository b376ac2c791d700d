//! The devices of a subtree over a period (what mailed reports list), at the storage layer
//! where time can be given: the largest size of the period, and what a device that did not
//! report during it is counted with.
// Tests may unwrap and expect: a panic there is a failed assertion (server code may not:
// the workspace lints deny both).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Utc};
use tenantry_domain::{DeviceId, SessionReport, SessionStatus};
use tenantry_storage::devices;
use tenantry_tests::TestDatabase;
use tenantry_tests::clock::{march as at, march_date as date, root_group};

#[test]
fn each_device_counts_its_largest_size_of_the_period_or_what_it_held() {
    let database = TestDatabase::fresh();
    let storage = database.storage();
    let root = root_group(&storage, at(1, 0));
    let add = |name: &str| {
        storage
            .write(|w| devices::add(w, &root.path, root.id, name, "Linux", at(1, 0)))
            .unwrap()
    };
    let report = |device: i64, ended: DateTime<Utc>, used: i64| {
        let report = SessionReport {
            started_at: ended - chrono::Duration::hours(1),
            ended_at: ended,
            status: SessionStatus::Completed,
            selected_bytes: used,
            used_bytes: used,
            files: 1,
            errors: 0,
        };
        storage
            .write(|w| devices::report(w, DeviceId(device), &report, ended))
            .unwrap();
    };
    let busy = add("busy");
    report(busy, at(10, 1), 100);
    report(busy, at(11, 1), 300);
    report(busy, at(12, 1), 200);
    // Reported before the period and again after it, never during it.
    let quiet = add("quiet");
    report(quiet, at(5, 1), 700);
    report(quiet, at(20, 1), 900);
    let never = add("never");

    let rows = storage
        .read(|c| devices::usage(c, &root.path, date(10), date(15), 100))
        .unwrap();
    let got: Vec<(&str, i64, i64)> = rows
        .iter()
        .map(|r| (r.name.as_str(), r.max_used_bytes, r.sessions_completed))
        .collect();
    assert_eq!(
        got,
        [("busy", 300, 3), ("quiet", 700, 0), ("never", 0, 0)],
        "never: {never}"
    );
}
