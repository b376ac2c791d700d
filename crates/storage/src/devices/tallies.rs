//! Each large group's whole subtree's devices by where their last session left them
//! (`device_tallies`): the status of that session and the hour it ended, or "never".
//!
//! The console's Overview and customer lists show, for a page of groups, how many devices lie
//! below each and how their last sessions went. Counting that from `devices` reads the whole
//! subtree (a million rows for a distributor); these tallies are a few hundred rows per group
//! however many devices lie below it. The hour, rather than only the status, is what lets a
//! reader tell "no session for 24 hours" apart, to the hour, without touching the devices.
//!
//! Only groups at the levels whose subtrees grow large keep tallies (distributors,
//! sub-distributors, resellers); an end-customer's or a site's few devices are counted when
//! asked. Every level kept costs each session report a changed row, and the lower levels are the
//! ones whose rows are spread thinnest (ingestion measured in docs/benchmarks.md).
//!
//! A device is counted in each such group on its path. Every transaction that adds, removes,
//! moves or reports a device changes those tallies in the same transaction, under the tree's
//! shared lock, so that a group move or level change (which holds the tree alone) sees them
//! settled and shifts the group's counts from the old ancestors to the new ones.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDateTime, Timelike, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};
use tenantry_domain::{Device, Group, GroupId, Level, SessionStatus, TreePath};

use crate::db::DbConnection;
use crate::error::StoreResult;
use crate::groups::in_subtree;
use crate::schema::{device_tallies, devices, groups};

use super::summary::StatusCounts;

/// The status stored for devices that never reported a session.
const NEVER: &str = "never";

/// Where a device stands: the status of its last session and the hour it ended in.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Standing {
    status: String,
    hour: NaiveDateTime,
}

impl Standing {
    /// A device that never reported (its hour is the epoch: the key needs one).
    pub(crate) fn never() -> Standing {
        Standing {
            status: NEVER.to_owned(),
            hour: NaiveDateTime::default(),
        }
    }

    pub(crate) fn after(status: SessionStatus, ended_at: NaiveDateTime) -> Standing {
        Standing {
            status: status.as_str().to_owned(),
            hour: hour_of(ended_at),
        }
    }

    pub(crate) fn of(device: &Device) -> Standing {
        match (device.status, device.last_session_at) {
            (Some(status), Some(at)) => Standing::after(status, at.naive_utc()),
            _ => Standing::never(),
        }
    }

    /// From a device row's `status` and `last_session_at`.
    pub(crate) fn stored(status: Option<String>, last: Option<NaiveDateTime>) -> Standing {
        match (status, last) {
            (Some(status), Some(at)) => Standing {
                status,
                hour: hour_of(at),
            },
            _ => Standing::never(),
        }
    }
}

/// The start of the hour `at` falls in.
fn hour_of(at: NaiveDateTime) -> NaiveDateTime {
    at.date().and_hms_opt(at.hour(), 0, 0).unwrap_or_default()
}

/// Whether groups of `level` keep tallies: those whose subtrees grow large.
pub(crate) fn tallied(level: Level) -> bool {
    level.rank() <= Level::Reseller.rank()
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// The groups of `path` that keep tallies (a prefix of it: levels fall along a path). One
/// statement of a fixed shape, prepared once per connection, like the writes below.
pub(crate) fn tallied_groups(conn: &mut DbConnection, path: &TreePath) -> StoreResult<Vec<i64>> {
    const SQL: &str = "SELECT id FROM groups WHERE level <= $1 \
         AND id IN ($2, $3, $4, $5, $6, $7) ORDER BY id";
    let ids: Vec<i64> = path.ids().into_iter().map(|g| g.0).collect();
    let mut found = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(GROUPS_PER_STATEMENT) {
        let slot = |i: usize| chunk.get(i).or(chunk.last()).copied().unwrap_or_default();
        macro_rules! run {
            ($c:expr) => {
                diesel::sql_query(SQL)
                    .bind::<diesel::sql_types::Integer, _>(Level::Reseller.rank())
                    .bind::<BigInt, _>(slot(0))
                    .bind::<BigInt, _>(slot(1))
                    .bind::<BigInt, _>(slot(2))
                    .bind::<BigInt, _>(slot(3))
                    .bind::<BigInt, _>(slot(4))
                    .bind::<BigInt, _>(slot(5))
                    .load::<Id>($c)?
            };
        }
        let rows = match conn {
            DbConnection::Sqlite(c) => run!(c),
            DbConnection::Pg(c) => run!(c),
        };
        found.extend(rows.into_iter().map(|row| row.id));
    }
    Ok(found)
}

/// The devices of the subtree at `path` by standing, counted from the devices themselves (for
/// groups that keep no tallies, and for a group that starts to).
fn count_below(conn: &mut DbConnection, path: &TreePath) -> StoreResult<BTreeMap<Standing, i64>> {
    let rows: Vec<(Option<String>, Option<NaiveDateTime>)> = devices::table
        .inner_join(groups::table)
        .filter(in_subtree(path))
        .select((devices::status, devices::last_session_at))
        .load(conn)?;
    let mut standings = BTreeMap::new();
    for (status, last) in rows {
        *standings.entry(Standing::stored(status, last)).or_default() += 1;
    }
    Ok(standings)
}

/// Changes to the tallies, gathered, then written two statements per standing and path: a
/// report changes one count on every level of its device's path, which is one `UPDATE` for the
/// old standing and one `INSERT … SELECT` for the new one, whatever the depth. Both have a fixed
/// shape (six groups, the most a path holds), so each backend prepares them once per connection:
/// on the hottest write path, preparing statements cost more than running them.
///
/// Standings are written in order (and within one, groups by id), so that two transactions
/// that change the same standings lock their rows in the same order and never wait for each
/// other in a circle. Rows that fall to zero stay until [`prune`] removes them, so that a
/// report needs no third statement.
#[derive(Debug, Default)]
pub(crate) struct TallyChanges(BTreeMap<Standing, BTreeMap<i64, i64>>);

/// Groups per statement: the deepest path (root, distributor, sub-distributor, reseller,
/// end-customer, site). Shorter lists repeat their last group, which changes nothing (a row
/// matches once however often its id is listed).
const GROUPS_PER_STATEMENT: usize = 6;

/// Takes `$3` devices off the rows of the standing (`$1`, `$2`) of up to six groups (`$3` is
/// bound twice: SQLite numbers `$n` parameters in the order they first appear, so each appears
/// once and in order).
const TAKE: &str = "UPDATE device_tallies SET devices = devices - $1 \
     WHERE status = $2 AND last_hour = $3 AND devices >= $4 \
     AND group_id IN ($5, $6, $7, $8, $9, $10)";

/// Adds `$3` devices to the rows of the standing (`$1`, `$2`) of up to six groups, creating
/// those not there yet.
const ADD: &str = "INSERT INTO device_tallies (group_id, status, last_hour, devices) \
     SELECT id, $1, $2, $3 FROM groups WHERE id IN ($4, $5, $6, $7, $8, $9) \
     ON CONFLICT (group_id, status, last_hour) \
     DO UPDATE SET devices = device_tallies.devices + excluded.devices";

impl TallyChanges {
    /// Counts `n` devices (negative: no longer) at `standing` in each of `groups` (those of a
    /// path that keep tallies: [`tallied_groups`]).
    pub(crate) fn count(&mut self, groups: &[i64], standing: &Standing, n: i64) {
        for group in groups {
            self.count_in(*group, standing, n);
        }
    }

    fn count_in(&mut self, group: i64, standing: &Standing, n: i64) {
        *self
            .0
            .entry(standing.clone())
            .or_default()
            .entry(group)
            .or_default() += n;
    }

    /// Writes the changes; those that cancel out write nothing.
    pub(crate) fn apply(self, conn: &mut DbConnection) -> StoreResult<()> {
        for (standing, groups) in self.0 {
            // Groups by how much they change (a report: all by one), fewest first.
            let mut by_change: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
            for (group, n) in groups.into_iter().filter(|(_, n)| *n != 0) {
                by_change.entry(n).or_default().push(group);
            }
            for (n, groups) in by_change {
                for chunk in groups.chunks(GROUPS_PER_STATEMENT) {
                    let changed = write(conn, &standing, n, chunk)?;
                    if n < 0 && changed < chunk.len() {
                        // Only a bug can get here (every count changes in the transaction that
                        // changes the devices); the device's own change must not fail for it.
                        log::warn!(
                            "device tallies: {} of groups {chunk:?} had fewer than {} {} devices of {}",
                            chunk.len() - changed,
                            -n,
                            standing.status,
                            standing.hour
                        );
                    }
                }
            }
        }
        Ok(())
    }
}

/// Runs `ADD` (`n` > 0) or `TAKE` (`n` < 0) for up to six groups; answers the rows changed.
fn write(
    conn: &mut DbConnection,
    standing: &Standing,
    n: i64,
    groups: &[i64],
) -> StoreResult<usize> {
    let slot = |i: usize| groups.get(i).or(groups.last()).copied().unwrap_or_default();
    macro_rules! run {
        ($query:expr, $c:expr) => {
            $query
                .bind::<BigInt, _>(slot(0))
                .bind::<BigInt, _>(slot(1))
                .bind::<BigInt, _>(slot(2))
                .bind::<BigInt, _>(slot(3))
                .bind::<BigInt, _>(slot(4))
                .bind::<BigInt, _>(slot(5))
                .execute($c)?
        };
    }
    macro_rules! statement {
        ($c:expr) => {
            if n > 0 {
                let add = diesel::sql_query(ADD)
                    .bind::<Text, _>(&standing.status)
                    .bind::<Timestamp, _>(standing.hour)
                    .bind::<BigInt, _>(n);
                run!(add, $c)
            } else {
                let take = diesel::sql_query(TAKE)
                    .bind::<BigInt, _>(-n)
                    .bind::<Text, _>(&standing.status)
                    .bind::<Timestamp, _>(standing.hour)
                    .bind::<BigInt, _>(-n);
                run!(take, $c)
            }
        };
    }
    Ok(match conn {
        DbConnection::Sqlite(c) => statement!(c),
        DbConnection::Pg(c) => statement!(c),
    })
}

/// Removes the rows no device counts in any more (a partial index finds them): run now and then
/// (the server's roll-up task does), so that reports need not.
pub fn prune(conn: &mut DbConnection) -> StoreResult<usize> {
    // A literal 0, not a bound one: SQLite uses a partial index only for a condition it can
    // read when it prepares the statement.
    Ok(diesel::sql_query("DELETE FROM device_tallies WHERE devices = 0").execute(conn)?)
}

/// After a group moved (`before.path` → `after.path`, already rewritten) or changed level, or
/// both: its subtree's counts leave the ancestors it left and join those it joined, and the
/// group gains or loses tallies of its own if its level now calls for them or no longer does.
pub(crate) fn reshape(conn: &mut DbConnection, before: &Group, after: &Group) -> StoreResult<()> {
    let moved = before.path != after.path;
    let (was, is) = (tallied(before.level), tallied(after.level));
    if !moved && was == is {
        return Ok(());
    }
    let group = after.id.0;
    let below: Vec<(Standing, i64)> = if was {
        device_tallies::table
            .filter(device_tallies::group_id.eq(group))
            .filter(device_tallies::devices.gt(0))
            .select((
                device_tallies::status,
                device_tallies::last_hour,
                device_tallies::devices,
            ))
            .load::<(String, NaiveDateTime, i64)>(conn)?
            .into_iter()
            .map(|(status, hour, n)| (Standing { status, hour }, n))
            .collect()
    } else {
        count_below(conn, &after.path)?.into_iter().collect()
    };
    let mut changes = TallyChanges::default();
    if moved {
        let others =
            |ids: Vec<i64>| -> Vec<i64> { ids.into_iter().filter(|g| *g != group).collect() };
        let old = others(tallied_groups(conn, &before.path)?);
        let new = others(tallied_groups(conn, &after.path)?);
        let left: Vec<i64> = old.iter().copied().filter(|g| !new.contains(g)).collect();
        let joined: Vec<i64> = new.iter().copied().filter(|g| !old.contains(g)).collect();
        for (standing, n) in &below {
            changes.count(&left, standing, -n);
            changes.count(&joined, standing, *n);
        }
    }
    if was && !is {
        diesel::delete(device_tallies::table.filter(device_tallies::group_id.eq(group)))
            .execute(conn)?;
    }
    if !was && is {
        for (standing, n) in &below {
            changes.count_in(group, standing, *n);
        }
    }
    changes.apply(conn)
}

/// For each of these groups (already found in the caller's scope), its whole subtree's devices
/// by last outcome: from its tallies if it keeps them, else counted (a small subtree). `stale`
/// counts those whose last session ended before the hour that `recent_since` falls in: the
/// tallies know hours, not minutes, and counted subtrees are read the same way.
pub fn subtree_status_counts(
    conn: &mut DbConnection,
    groups: &[Group],
    recent_since: DateTime<Utc>,
) -> StoreResult<HashMap<GroupId, StatusCounts>> {
    let since = hour_of(recent_since.naive_utc());
    let kept: Vec<i64> = groups
        .iter()
        .filter(|g| tallied(g.level))
        .map(|g| g.id.0)
        .collect();
    let rows: Vec<(i64, String, NaiveDateTime, i64)> = device_tallies::table
        .filter(device_tallies::group_id.eq_any(&kept))
        .filter(device_tallies::devices.gt(0))
        .select((
            device_tallies::group_id,
            device_tallies::status,
            device_tallies::last_hour,
            device_tallies::devices,
        ))
        .load(conn)?;
    let mut counts: HashMap<GroupId, StatusCounts> = groups
        .iter()
        .map(|g| (g.id, StatusCounts::default()))
        .collect();
    for (group, status, hour, n) in rows {
        add_up(
            counts.entry(GroupId(group)).or_default(),
            &Standing { status, hour },
            n,
            since,
        );
    }
    for group in groups.iter().filter(|g| !tallied(g.level)) {
        let counted = counts.entry(group.id).or_default();
        for (standing, n) in count_below(conn, &group.path)? {
            add_up(counted, &standing, n, since);
        }
    }
    Ok(counts)
}

fn add_up(counts: &mut StatusCounts, standing: &Standing, n: i64, since: NaiveDateTime) {
    let bucket = match standing.status.as_str() {
        NEVER => &mut counts.never,
        _ if standing.hour < since => &mut counts.stale,
        "completed" => &mut counts.completed,
        "with_errors" => &mut counts.with_errors,
        // Failed or aborted.
        _ => &mut counts.failed,
    };
    *bucket += n;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    #[test]
    fn a_standing_is_the_status_and_the_hour() {
        let standing = Standing::after(SessionStatus::Failed, at("2026-12-05 14:59:59"));
        assert_eq!(standing.status, "failed");
        assert_eq!(standing.hour, at("2026-12-05 14:00:00"));
        assert_eq!(Standing::never().status, NEVER);
    }

    #[test]
    fn changes_count_in_every_group_of_the_path_and_cancel_out() {
        let path = [1, 7];
        let before = Standing::after(SessionStatus::Completed, at("2026-12-05 10:00:00"));
        let mut changes = TallyChanges::default();
        changes.count(&path, &before, 1);
        changes.count(&path, &before, -1);
        changes.count(&path, &Standing::never(), 1);
        let nonzero: Vec<(&Standing, i64, i64)> = changes
            .0
            .iter()
            .flat_map(|(s, groups)| groups.iter().map(move |(g, n)| (s, *g, *n)))
            .filter(|(_, _, n)| *n != 0)
            .collect();
        assert_eq!(nonzero.len(), 2);
        assert!(
            nonzero
                .iter()
                .all(|(s, _, n)| **s == Standing::never() && *n == 1)
        );
    }
}
