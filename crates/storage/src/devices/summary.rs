//! Summaries of devices for dashboards: a subtree's devices by the outcome of their last
//! session, and the recent days of a page of devices.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::dsl::count_star;
use diesel::prelude::*;
use tenantry_domain::{DeviceId, Group};

use crate::db::DbConnection;
use crate::error::StoreResult;
use crate::groups::in_subtree;
use crate::schema::{device_history, devices, groups};

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

/// The devices of `top`'s whole subtree (a group the caller may see) by last outcome; `stale`
/// counts those whose last session is older than `recent_since`.
pub fn status_counts(
    conn: &mut DbConnection,
    top: &Group,
    recent_since: DateTime<Utc>,
) -> StoreResult<StatusCounts> {
    let since = recent_since.naive_utc();
    let recent: Vec<(Option<String>, i64)> = devices::table
        .inner_join(groups::table)
        .filter(in_subtree(&top.path))
        .filter(devices::last_session_at.ge(since))
        .group_by(devices::status)
        .select((devices::status, count_star()))
        .load(conn)?;
    let stale = devices::table
        .inner_join(groups::table)
        .filter(in_subtree(&top.path))
        .filter(devices::last_session_at.lt(since))
        .select(count_star())
        .first(conn)?;
    let never = devices::table
        .inner_join(groups::table)
        .filter(in_subtree(&top.path))
        .filter(devices::last_session_at.is_null())
        .select(count_star())
        .first(conn)?;
    let mut counts = StatusCounts {
        stale,
        never,
        ..StatusCounts::default()
    };
    for (status, n) in recent {
        match status.as_deref() {
            Some("completed") => counts.completed += n,
            Some("with_errors") => counts.with_errors += n,
            // A session without a status is not reported: count it where it needs a look.
            _ => counts.failed += n,
        }
    }
    Ok(counts)
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
