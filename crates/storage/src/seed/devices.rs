//! Devices with a plausible past, in bulk: spread over the leaves of the tree, each with its state
//! and one history row per day.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use tenantry_domain::SessionStatus;

use crate::db::{DbConnection, Storage};
use crate::dialect::{IdTable, next_ids, refresh_statistics};
use crate::error::{StoreError, StoreResult};
use crate::schema::{device_history, devices, groups};
use crate::settings;

/// Devices per transaction: big enough to amortise the commit, small enough that the SQLite WAL
/// stays far below the size of the database.
const DEVICES_PER_TRANSACTION: usize = 20_000;
/// Rows per INSERT, under both backends' bind-parameter limits (18 and 6 columns).
const DEVICES_PER_INSERT: usize = 500;
const HISTORY_PER_INSERT: usize = 2_000;

const OPERATING_SYSTEMS: [&str; 5] = [
    "Windows 11",
    "Windows Server 2022",
    "macOS 14",
    "Ubuntu 24.04",
    "Debian 12",
];

/// What to create.
#[derive(Clone, Copy, Debug)]
pub struct DeviceSeed {
    /// Devices in all, dealt round-robin over the tree's leaf groups.
    pub total: usize,
    /// Days of history per device that has reported, ending today.
    pub history_days: u32,
}

/// What a device seed created.
#[derive(Debug, Default)]
pub struct DeviceSeedReport {
    pub devices: usize,
    pub history_rows: usize,
    pub leaf_groups: usize,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = devices)]
struct SeedDeviceRow {
    id: i64,
    group_id: i64,
    name: String,
    os: &'static str,
    created_at: NaiveDateTime,
    enrolled: bool,
    status: Option<&'static str>,
    selected_bytes: i64,
    used_bytes: i64,
    last_session_at: Option<NaiveDateTime>,
    version: i64,
    updated_at: NaiveDateTime,
    credential_hash: Option<String>,
    retention_policy_id: Option<i64>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = device_history)]
struct SeedHistoryRow {
    device_id: i64,
    day: NaiveDate,
    sessions: i64,
    sessions_completed: i64,
    sessions_with_errors: i64,
    selected_bytes: i64,
    used_bytes: i64,
}

/// Adds `seed.total` devices to the leaf groups (groups without children; the root alone if it
/// has none), in transactions of 20,000 devices. `credential(id)` gives the stored hash of each
/// device's credential, or `None` for a device without one. Every value derives from the
/// device's id, so two seeds of the same shape look alike.
pub fn seed_devices(
    storage: &Storage,
    seed: DeviceSeed,
    name_prefix: &str,
    credential: &mut dyn FnMut(i64) -> StoreResult<Option<String>>,
    now: DateTime<Utc>,
) -> StoreResult<DeviceSeedReport> {
    let leaves = storage.read(leaf_groups)?;
    let mut report = DeviceSeedReport {
        leaf_groups: leaves.len(),
        ..DeviceSeedReport::default()
    };
    let mut dealt = 0usize;
    while dealt < seed.total {
        let count = DEVICES_PER_TRANSACTION.min(seed.total - dealt);
        let (devices, history) = storage.write(|w| {
            let conn = w.conn();
            let policy = settings::default_policy(conn)?;
            let count_i64 =
                i64::try_from(count).map_err(|_| StoreError::Corrupt("count".into()))?;
            let first = next_ids(conn, IdTable::Devices, count_i64)?;
            let mut rows = Vec::with_capacity(DEVICES_PER_INSERT);
            let mut history = Vec::with_capacity(HISTORY_PER_INSERT);
            let mut history_rows = 0;
            for (n, id) in (first..first + count_i64).enumerate() {
                let group = leaves[(dealt + n) % leaves.len()];
                let device = SeededDevice::new(id, now);
                rows.push(device.row(group, name_prefix, policy, credential(id)?, seed, now));
                history.extend(device.history(seed.history_days, now));
                if rows.len() == DEVICES_PER_INSERT || history.len() >= HISTORY_PER_INSERT {
                    // Devices first: history rows reference them.
                    insert_devices(conn, &rows)?;
                    rows.clear();
                    history_rows += history.len();
                    for chunk in history.chunks(HISTORY_PER_INSERT) {
                        insert_history(conn, chunk)?;
                    }
                    history.clear();
                }
            }
            history_rows += history.len();
            insert_devices(conn, &rows)?;
            insert_history(conn, &history)?;
            Ok((count, history_rows))
        })?;
        report.devices += devices;
        report.history_rows += history;
        dealt += count;
    }
    // The rows went in by the thousand, past the per-device path that counts them.
    storage.write(|w| crate::devices::recount(w.conn()))?;
    storage.write(|w| refresh_statistics(w.conn()))?;
    Ok(report)
}

/// The groups without children, in tree order; the root alone if it has none.
fn leaf_groups(conn: &mut DbConnection) -> StoreResult<Vec<i64>> {
    let (parents, children) = diesel::alias!(groups as parents, groups as children);
    let leaves: Vec<i64> = parents
        .filter(diesel::dsl::not(diesel::dsl::exists(
            children.filter(
                children
                    .field(groups::parent_id)
                    .eq(parents.field(groups::id).nullable()),
            ),
        )))
        .order(parents.field(groups::path).asc())
        .select(parents.field(groups::id))
        .load(conn)?;
    if leaves.is_empty() {
        return Err(StoreError::Corrupt("no root group yet".into()));
    }
    Ok(leaves)
}

/// One device's made-up past, from its id alone.
struct SeededDevice {
    id: i64,
    /// 64 well-mixed bits of the id.
    dice: u64,
    status: Option<SessionStatus>,
    selected: i64,
    last_session_at: Option<NaiveDateTime>,
}

impl SeededDevice {
    fn new(id: i64, now: DateTime<Utc>) -> SeededDevice {
        let dice = splitmix64(id as u64);
        // 3 % never reported, 4 % failed, 1 % aborted, 7 % with errors, the rest completed.
        let status = match dice % 100 {
            0..3 => None,
            3..7 => Some(SessionStatus::Failed),
            7..8 => Some(SessionStatus::Aborted),
            8..15 => Some(SessionStatus::WithErrors),
            _ => Some(SessionStatus::Completed),
        };
        // 1 GB to about 2 TB selected, skewed small like a real fleet.
        let selected = 1_000_000_000i64 << ((dice >> 8) % 12);
        let hours_ago = i64::try_from((dice >> 16) % 48).unwrap_or(0);
        let last_session_at = status.map(|_| (now - Duration::hours(hours_ago)).naive_utc());
        SeededDevice {
            id,
            dice,
            status,
            selected,
            last_session_at,
        }
    }

    fn row(
        &self,
        group: i64,
        prefix: &str,
        policy: Option<i64>,
        credential_hash: Option<String>,
        seed: DeviceSeed,
        now: DateTime<Utc>,
    ) -> SeedDeviceRow {
        let created = (now - Duration::days(i64::from(seed.history_days) + 1)).naive_utc();
        let reported = self.status.is_some();
        SeedDeviceRow {
            id: self.id,
            group_id: group,
            name: format!("{prefix}-PC-{}", self.id),
            os: OPERATING_SYSTEMS[(self.dice >> 24) as usize % OPERATING_SYSTEMS.len()],
            created_at: created,
            enrolled: self.dice & (1 << 40) != 0,
            status: self.status.map(SessionStatus::as_str),
            selected_bytes: if reported { self.selected } else { 0 },
            used_bytes: if reported { self.used(0) } else { 0 },
            last_session_at: self.last_session_at,
            version: 1,
            updated_at: self.last_session_at.unwrap_or(created),
            credential_hash,
            retention_policy_id: policy,
        }
    }

    /// Compressed and deduplicated, storage is 40-70 % of the selection, and grows a little
    /// with every day of versions kept.
    fn used(&self, days_ago: u32) -> i64 {
        let ratio = 40 + (self.dice >> 32) % 30;
        let today = self.selected / 100 * i64::try_from(ratio).unwrap_or(50);
        today - today / 500 * i64::from(days_ago)
    }

    /// One row per day for the last `days` days (none for a device that never reported); one
    /// day in twenty has an error.
    fn history(&self, days: u32, now: DateTime<Utc>) -> impl Iterator<Item = SeedHistoryRow> {
        let reported = self.status.is_some();
        let today = now.date_naive();
        let (id, dice, selected) = (self.id, self.dice, self.selected);
        let used: Vec<i64> = (0..days).map(|ago| self.used(ago)).collect();
        (0..days).filter(move |_| reported).map(move |ago| {
            let errors = i64::from(splitmix64(dice ^ u64::from(ago)).is_multiple_of(20));
            SeedHistoryRow {
                device_id: id,
                day: today - Duration::days(i64::from(ago)),
                sessions: 1,
                sessions_completed: 1 - errors,
                sessions_with_errors: errors,
                selected_bytes: selected,
                used_bytes: used[ago as usize],
            }
        })
    }
}

/// A fast, well-mixing 64-bit hash (SplitMix64's finaliser).
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn insert_devices(conn: &mut DbConnection, rows: &[SeedDeviceRow]) -> StoreResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    on_backend!(conn, |c| diesel::insert_into(devices::table)
        .values(rows)
        .execute(c)?);
    Ok(())
}

fn insert_history(conn: &mut DbConnection, rows: &[SeedHistoryRow]) -> StoreResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    on_backend!(conn, |c| diesel::insert_into(device_history::table)
        .values(rows)
        .execute(c)?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seeded_past_is_consistent() {
        let now = Utc::now();
        let mut statuses = [0usize; 5];
        for id in 1..10_000 {
            let device = SeededDevice::new(id, now);
            let history: Vec<_> = device.history(90, now).collect();
            match device.status {
                None => {
                    statuses[0] += 1;
                    assert!(history.is_empty());
                    assert!(device.last_session_at.is_none());
                }
                Some(status) => {
                    statuses[status as usize + 1] += 1;
                    assert_eq!(history.len(), 90);
                    assert_eq!(history[0].day, now.date_naive());
                    assert!(history.iter().all(|h| h.used_bytes > 0));
                    assert!(history.iter().all(|h| h.used_bytes <= device.selected));
                }
            }
        }
        // Every kind of device occurs, in roughly the intended shares.
        assert!((200..400).contains(&statuses[0]), "{statuses:?}");
        assert!(statuses.iter().all(|&n| n > 0), "{statuses:?}");
    }
}
