//! Each group's whole subtree per UTC day (`group_daily`): devices, sizes, session outcomes and
//! customers, rolled up from the devices and their history. Charts read these rows, so a
//! distributor's 90 days are 90 rows however many devices lie below it.
//!
//! A day is rolled up while it runs and once more after it ends (the server's background task,
//! see the server's `rollup.rs`), and again after any session of it is reported late: the
//! report marks its day (`rollup_marks`) in its own transaction, and the next run revisits it. It counts the devices that existed by the day's end; each
//! device's sizes are those of its last session that day (its history row), or, for a device
//! that reported nothing that day, its current state. Session outcomes come from the day's
//! history rows. So a day rolled up again later (after downtime, or by the seed) comes out the
//! same, except for devices removed since and the sizes of those that did not report.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Timestamp};
use tenantry_domain::{GroupId, TreePath};

use crate::db::{DbConnection, Storage};
use crate::error::StoreResult;
use crate::schema::{group_daily, groups, rollup_marks};

/// Rows per INSERT: 500 × 10 columns, under both backends' bind-parameter limits.
const ROWS_PER_INSERT: usize = 500;

/// One group's subtree on one day.
#[derive(Clone, Debug, Default, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = group_daily)]
pub struct GroupDay {
    pub group_id: i64,
    pub day: NaiveDate,
    pub devices: i64,
    pub selected_bytes: i64,
    pub used_bytes: i64,
    pub sessions_completed: i64,
    pub sessions_failed: i64,
    /// Failed ones included, as in the device history.
    pub sessions_with_errors: i64,
    /// Groups below this one.
    pub customers: i64,
    pub rolled_up_at: NaiveDateTime,
}

/// A group's own devices on a day (not its subtree's).
#[derive(Debug, QueryableByName)]
struct Own {
    #[diesel(sql_type = BigInt)]
    group_id: i64,
    #[diesel(sql_type = BigInt)]
    devices: i64,
    #[diesel(sql_type = BigInt)]
    selected_bytes: i64,
    #[diesel(sql_type = BigInt)]
    used_bytes: i64,
    #[diesel(sql_type = BigInt)]
    completed: i64,
    #[diesel(sql_type = BigInt)]
    failed: i64,
    #[diesel(sql_type = BigInt)]
    with_errors: i64,
}

// One pass over the devices that existed by the day's end, each with its history row of the day
// if it has one: sizes from that row (the day's last report), else the device's current state.
// The same SQL on both backends: `$1` is a positional parameter in SQLite too, and the casts
// keep PostgreSQL's SUM of BIGINT (a NUMERIC) a BIGINT.
const OWN: &str = "SELECT d.group_id AS group_id, CAST(COUNT(*) AS BIGINT) AS devices, \
     CAST(COALESCE(SUM(COALESCE(h.selected_bytes, d.selected_bytes)), 0) AS BIGINT) AS selected_bytes, \
     CAST(COALESCE(SUM(COALESCE(h.used_bytes, d.used_bytes)), 0) AS BIGINT) AS used_bytes, \
     CAST(COALESCE(SUM(h.sessions_completed), 0) AS BIGINT) AS completed, \
     CAST(COALESCE(SUM(h.sessions_failed), 0) AS BIGINT) AS failed, \
     CAST(COALESCE(SUM(h.sessions_with_errors), 0) AS BIGINT) AS with_errors \
     FROM devices d LEFT JOIN device_history h ON h.device_id = d.id AND h.day = $1 \
     WHERE d.created_at < $2 GROUP BY d.group_id";

/// Rolls `day` up for every group. Reads first (the tree, every device with its day, and the
/// day's rows so far), then one short write of only the rows whose numbers changed, plus the
/// root's, whose `rolled_up_at` says when the day was last rolled up. During a day most groups
/// see no new session between two roll-ups, so a roll-up writes a small share of the rows and
/// holds SQLite's one writer briefly. Returns the number of rows written.
pub fn roll_up(storage: &Storage, day: NaiveDate, now: DateTime<Utc>) -> StoreResult<usize> {
    let day_end = (day + Duration::days(1))
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default();
    let (tree, own, before) = storage.read(|conn| {
        let tree: Vec<(i64, String)> = groups::table
            .select((groups::id, groups::path))
            .load(conn)?;
        let query = diesel::sql_query(OWN)
            .bind::<Date, _>(day)
            .bind::<Timestamp, _>(day_end);
        let own = on_backend!(conn, |c| query.load::<Own>(c)?);
        let before: Vec<GroupDay> = group_daily::table
            .filter(group_daily::day.eq(day))
            .select(GroupDay::as_select())
            .load(conn)?;
        Ok((tree, own, before))
    })?;
    let root = tree
        .iter()
        .find(|(_, path)| TreePath::from_stored(path.clone()).ids().len() == 1)
        .map(|(id, _)| *id);
    let before: HashMap<i64, GroupDay> = before.into_iter().map(|r| (r.group_id, r)).collect();
    let changed: Vec<GroupDay> = subtree_totals(&tree, &own, day, now.naive_utc())
        .into_iter()
        .filter(|row| {
            Some(row.group_id) == root
                || before
                    .get(&row.group_id)
                    .is_none_or(|old| !same_numbers(old, row))
        })
        .collect();
    storage.write(|w| {
        let conn = w.conn();
        // Groups created since the read get their rows at the next roll-up; groups removed
        // since must not be written (their foreign key would refuse them).
        let live: std::collections::HashSet<i64> = groups::table
            .select(groups::id)
            .load::<i64>(conn)?
            .into_iter()
            .collect();
        let changed: Vec<GroupDay> = changed
            .into_iter()
            .filter(|r| live.contains(&r.group_id))
            .collect();
        for chunk in changed.chunks(ROWS_PER_INSERT) {
            let ids: Vec<i64> = chunk.iter().map(|r| r.group_id).collect();
            diesel::delete(
                group_daily::table
                    .filter(group_daily::day.eq(day))
                    .filter(group_daily::group_id.eq_any(ids)),
            )
            .execute(conn)?;
            insert(conn, chunk)?;
        }
        Ok(changed.len())
    })
}

/// Whether two rows of one group and day hold the same numbers (whenever they were computed).
fn same_numbers(a: &GroupDay, b: &GroupDay) -> bool {
    GroupDay {
        rolled_up_at: b.rolled_up_at,
        ..a.clone()
    } == *b
}

/// Adds each group's own devices and sessions to itself and to every group above it.
fn subtree_totals(
    tree: &[(i64, String)],
    own: &[Own],
    day: NaiveDate,
    now: NaiveDateTime,
) -> Vec<GroupDay> {
    let mut totals: HashMap<i64, GroupDay> = tree
        .iter()
        .map(|(id, _)| {
            let row = GroupDay {
                group_id: *id,
                day,
                rolled_up_at: now,
                ..GroupDay::default()
            };
            (*id, row)
        })
        .collect();
    let paths: HashMap<i64, Vec<GroupId>> = tree
        .iter()
        .map(|(id, path)| (*id, TreePath::from_stored(path.clone()).ids()))
        .collect();
    let mut add = |group: i64, change: &dyn Fn(&mut GroupDay)| {
        for ancestor in paths.get(&group).into_iter().flatten() {
            if let Some(row) = totals.get_mut(&ancestor.0) {
                change(row);
            }
        }
    };
    for own in own {
        add(own.group_id, &|row| {
            row.devices += own.devices;
            row.selected_bytes += own.selected_bytes;
            row.used_bytes += own.used_bytes;
            row.sessions_completed += own.completed;
            row.sessions_failed += own.failed;
            row.sessions_with_errors += own.with_errors;
        });
    }
    for (id, path) in &paths {
        for ancestor in path.iter().filter(|a| a.0 != *id) {
            if let Some(row) = totals.get_mut(&ancestor.0) {
                row.customers += 1;
            }
        }
    }
    let mut rows: Vec<GroupDay> = totals.into_values().collect();
    rows.sort_by_key(|r| r.group_id);
    rows
}

fn insert(conn: &mut DbConnection, rows: &[GroupDay]) -> StoreResult<()> {
    on_backend!(conn, |c| diesel::insert_into(group_daily::table)
        .values(rows)
        .execute(c)?);
    Ok(())
}

/// Rolls up what is due at `now`: today; yesterday too unless a roll-up of it ran after it
/// ended (so its last sessions count once the day is over); and past days marked because a
/// session of theirs arrived late, newest first and at most `MARKED_PER_RUN` of them (the rest
/// at the next run), each unmarked once rolled up unless marked again meanwhile. Returns the
/// days rolled up, oldest first.
pub fn roll_up_due(storage: &Storage, now: DateTime<Utc>) -> StoreResult<Vec<NaiveDate>> {
    let today = now.date_naive();
    let mut days = Vec::with_capacity(2);
    if let Some(yesterday) = today.pred_opt() {
        let ended = today.and_hms_opt(0, 0, 0).unwrap_or_default();
        let last = storage.read(|c| rolled_up_at(c, yesterday))?;
        if last.is_none_or(|at| at < ended) {
            days.push(yesterday);
        }
    }
    days.push(today);
    let marked: Vec<(NaiveDate, NaiveDateTime)> = storage.read(|c| {
        Ok(rollup_marks::table
            .order(rollup_marks::day.desc())
            .limit(MARKED_PER_RUN)
            .select((rollup_marks::day, rollup_marks::marked_at))
            .load(c)?)
    })?;
    days.extend(marked.iter().map(|(day, _)| *day));
    days.sort();
    days.dedup();
    for day in &days {
        roll_up(storage, *day, now)?;
    }
    storage.write(|w| {
        for (day, marked_at) in &marked {
            diesel::delete(
                rollup_marks::table
                    .filter(rollup_marks::day.eq(day))
                    .filter(rollup_marks::marked_at.le(marked_at)),
            )
            .execute(w.conn())?;
        }
        Ok(())
    })?;
    Ok(days)
}

/// Marked days rolled up per run at most: a backfill of years waits its turn rather than making
/// one run read every device hundreds of times.
const MARKED_PER_RUN: i64 = 7;

/// Marks a past `day` whose data just changed, for the next roll-up (in the transaction that
/// changed it). Today needs no mark: every run rolls it up.
pub(crate) fn mark_changed(
    conn: &mut DbConnection,
    day: NaiveDate,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    if day >= now.date_naive() {
        return Ok(());
    }
    let row = (
        rollup_marks::day.eq(day),
        rollup_marks::marked_at.eq(now.naive_utc()),
    );
    let later = rollup_marks::marked_at.eq(diesel::upsert::excluded(rollup_marks::marked_at));
    on_backend!(conn, |c| diesel::insert_into(rollup_marks::table)
        .values(row)
        .on_conflict(rollup_marks::day)
        .do_update()
        .set(later)
        .execute(c)?);
    Ok(())
}

/// When `day` was last rolled up, if ever (the root's row says; every roll-up writes it).
pub fn rolled_up_at(conn: &mut DbConnection, day: NaiveDate) -> StoreResult<Option<NaiveDateTime>> {
    Ok(group_daily::table
        .inner_join(groups::table)
        .filter(groups::parent_id.is_null())
        .filter(group_daily::day.eq(day))
        .select(group_daily::rolled_up_at)
        .first(conn)
        .optional()?)
}

/// A group's days from `from` to `to` (both included) that have been rolled up, oldest first.
pub fn days(
    conn: &mut DbConnection,
    group: GroupId,
    from: NaiveDate,
    to: NaiveDate,
) -> StoreResult<Vec<GroupDay>> {
    Ok(group_daily::table
        .filter(group_daily::group_id.eq(group.0))
        .filter(group_daily::day.ge(from))
        .filter(group_daily::day.le(to))
        .order(group_daily::day.asc())
        .select(GroupDay::as_select())
        .load(conn)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_add_up_the_tree() {
        // root 1 > 2 > 3, and 1 > 4
        let tree = vec![
            (1, "/a1/".to_owned()),
            (2, "/a1/a2/".to_owned()),
            (3, "/a1/a2/a3/".to_owned()),
            (4, "/a1/a4/".to_owned()),
        ];
        let own = |group_id, devices, bytes, failed| Own {
            group_id,
            devices,
            selected_bytes: bytes,
            used_bytes: bytes / 2,
            completed: 1,
            failed,
            with_errors: failed,
        };
        let own = vec![own(3, 2, 100, 1), own(2, 1, 10, 0), own(4, 5, 1000, 0)];
        let day = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        let rows = subtree_totals(&tree, &own, day, NaiveDateTime::default());
        let summary: Vec<(i64, i64, i64, i64, i64)> = rows
            .iter()
            .map(|r| {
                (
                    r.group_id,
                    r.devices,
                    r.selected_bytes,
                    r.sessions_failed,
                    r.customers,
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                (1, 8, 1110, 1, 3),
                (2, 3, 110, 1, 1),
                (3, 2, 100, 1, 0),
                (4, 5, 1000, 0, 0),
            ]
        );
        assert!(rows.iter().all(|r| r.day == day));
    }

    #[test]
    fn rows_compare_by_their_numbers_alone() {
        let row = GroupDay {
            group_id: 1,
            devices: 3,
            ..GroupDay::default()
        };
        let later = GroupDay {
            rolled_up_at: NaiveDateTime::default() + Duration::minutes(10),
            ..row.clone()
        };
        assert!(same_numbers(&row, &later));
        assert!(!same_numbers(
            &row,
            &GroupDay {
                devices: 4,
                ..later
            }
        ));
    }
}
