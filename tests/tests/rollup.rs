//! The daily roll-up behind charts, at the storage layer where time can be given: today is
//! rolled up on every run, yesterday once more after it ended, and the numbers are the subtree's.
// Tests may unwrap and expect: a panic there is a failed assertion (server code may not:
// the workspace lints deny both).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Utc};
use tenantry_domain::{Level, SessionReport, SessionStatus};
use tenantry_storage::{devices, groups, stats};
use tenantry_tests::TestDatabase;
use tenantry_tests::clock::{march as at, march_date as date, new_group, root_group};

#[test]
fn today_always_yesterday_until_rolled_up_after_its_end() {
    let database = TestDatabase::fresh();
    let storage = database.storage();
    let root = root_group(&storage, at(1, 0));
    let reseller = storage
        .write(|w| {
            groups::create(
                w,
                &root.path,
                new_group("Reseller", root.id, Level::Reseller),
                at(1, 0),
            )
        })
        .unwrap()
        .0;
    let device = storage
        .write(|w| devices::add(w, &root.path, reseller.id, "pc", "Linux", at(1, 0)))
        .unwrap();
    let report = |ended: DateTime<Utc>, status, used| {
        let report = SessionReport {
            started_at: ended - chrono::Duration::hours(1),
            ended_at: ended,
            status,
            selected_bytes: used * 2,
            used_bytes: used,
            files: 1,
            errors: 0,
        };
        storage
            .write(|w| devices::report(w, tenantry_domain::DeviceId(device), &report, ended))
            .unwrap();
    };

    report(at(2, 9), SessionStatus::Completed, 100);
    // During the 2nd: the 1st (never rolled up) and the 2nd.
    assert_eq!(
        stats::roll_up_due(&storage, at(2, 10)).unwrap(),
        [date(1), date(2)]
    );
    report(at(2, 23), SessionStatus::Failed, 150);
    // Later the same day: the 1st was rolled up after it ended, so only the 2nd.
    assert_eq!(stats::roll_up_due(&storage, at(2, 23)).unwrap(), [date(2)]);
    // After midnight: the 2nd once more (its last session counts), then never again.
    assert_eq!(
        stats::roll_up_due(&storage, at(3, 0)).unwrap(),
        [date(2), date(3)]
    );
    assert_eq!(stats::roll_up_due(&storage, at(3, 1)).unwrap(), [date(3)]);

    let days = storage
        .read(|c| stats::days(c, root.id, date(1), date(3)))
        .unwrap();
    let summary: Vec<_> = days
        .iter()
        .map(|d| {
            (
                d.day,
                d.devices,
                d.used_bytes,
                d.sessions_completed,
                d.sessions_failed,
                d.customers,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            // Rolled up only on the 2nd: no report that day, so the state of then.
            (date(1), 1, 100, 0, 0, 1),
            // The day's last report gives the sizes; both sessions count.
            (date(2), 1, 150, 1, 1, 1),
            // No session on the 3rd: the device's last known state.
            (date(3), 1, 150, 0, 0, 1),
        ]
    );
    let own = storage
        .read(|c| stats::days(c, reseller.id, date(2), date(2)))
        .unwrap();
    assert_eq!((own[0].devices, own[0].customers), (1, 0));

    // Rolling a day up again without news rewrites only the root's row (its time says when).
    assert_eq!(stats::roll_up(&storage, date(3), at(3, 2)).unwrap(), 1);
    report(at(3, 3), SessionStatus::Completed, 160);
    assert_eq!(stats::roll_up(&storage, date(3), at(3, 4)).unwrap(), 2);
}

#[test]
fn a_session_reported_late_is_charted_on_its_day_at_the_next_roll_up() {
    let database = TestDatabase::fresh();
    let storage = database.storage();
    let root = root_group(&storage, at(1, 0));
    let device = storage
        .write(|w| devices::add(w, &root.path, root.id, "pc", "Linux", at(1, 0)))
        .unwrap();
    // Every day from the 1st to the 10th rolled up, as the server's task would have.
    for day in 1..=10 {
        stats::roll_up_due(&storage, at(day, 12)).unwrap();
    }
    let completed_on = |day| {
        storage
            .read(|c| stats::days(c, root.id, date(day), date(day)))
            .unwrap()[0]
            .sessions_completed
    };
    assert_eq!(completed_on(6), 0);

    // On the 10th, a device that was offline uploads the session it ran on the 6th.
    let ended = at(6, 22);
    let late = SessionReport {
        started_at: ended - chrono::Duration::hours(1),
        ended_at: ended,
        status: SessionStatus::Completed,
        selected_bytes: 20,
        used_bytes: 10,
        files: 1,
        errors: 0,
    };
    storage
        .write(|w| devices::report(w, tenantry_domain::DeviceId(device), &late, at(10, 13)))
        .unwrap();
    // Its history has it; the chart does after the next roll-up, which revisits the 6th once.
    assert_eq!(
        stats::roll_up_due(&storage, at(10, 14)).unwrap(),
        [date(6), date(10)]
    );
    assert_eq!(completed_on(6), 1);
    assert_eq!(
        stats::roll_up_due(&storage, at(10, 15)).unwrap(),
        [date(10)]
    );
}
