//! Summaries of devices for dashboards: a subtree's devices by the outcome of their last
//! session (counted by `tallies`), and the recent days of a page of devices.

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::prelude::*;
use tenantry_domain::DeviceId;

use crate::db::DbConnection;
use crate::error::StoreResult;
use crate::schema::device_history;

/// A subtree's devices by how their last session went. Every device is in exactly one bucket:
/// no session ever (`never`), none within the window (`stale`), else by the last one's status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StatusCounts {
    pub completed: i64,
    pub with_errors: i64,
    /// Failed or aborted.
    pub failed: i64,
    pub stale: i64,
    pub never: i64,
}

impl StatusCounts {
    pub fn total(&self) -> i64 {
        self.completed + self.with_errors + self.failed + self.stale + self.never
    }
}

/// One day of a device's recent history: how its sessions went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecentDay {
    pub day: NaiveDate,
    pub completed: i64,
    pub failed: i64,
    pub with_errors: i64,
}

/// The days since `since` of each of these devices (already found in the caller's scope), in
/// one read: what a dashboard draws as a strip per device.
pub fn recent_days(
    conn: &mut DbConnection,
    ids: &[DeviceId],
    since: NaiveDate,
) -> StoreResult<HashMap<DeviceId, Vec<RecentDay>>> {
    let ids: Vec<i64> = ids.iter().map(|id| id.0).collect();
    let rows: Vec<(i64, NaiveDate, i64, i64, i64)> = device_history::table
        .filter(device_history::device_id.eq_any(ids))
        .filter(device_history::day.ge(since))
        .order((device_history::device_id, device_history::day))
        .select((
            device_history::device_id,
            device_history::day,
            device_history::sessions_completed,
            device_history::sessions_failed,
            device_history::sessions_with_errors,
        ))
        .load(conn)?;
    let mut days: HashMap<DeviceId, Vec<RecentDay>> = HashMap::new();
    for (id, day, completed, failed, with_errors) in rows {
        days.entry(DeviceId(id)).or_default().push(RecentDay {
            day,
            completed,
            failed,
            with_errors,
        });
    }
    Ok(days)
}
