//! Each group's count of the devices it holds itself (`groups.own_devices`), kept in the same
//! transaction as every add, move and removal of a device, so that a subtree's count is a sum
//! over its groups rather than a count of its devices (the console lists ten customers of a
//! million devices in a few milliseconds). Session reports never touch it: ingestion stays as
//! fast as before.
//!
//! The update doubles as the lock on the group that an add needs (a concurrent removal of the
//! group waits for it, then sees the device). On PostgreSQL it is taken *before* the device row
//! is written: the device's foreign key would otherwise take a share lock first, and two adds
//! to one group upgrading their share locks would deadlock.

use diesel::prelude::*;
use tenantry_domain::{DomainError, GroupId};

use crate::db::DbConnection;
use crate::error::StoreResult;
use crate::schema::groups;

/// Adds `delta` to the group's own count, holding its row until the transaction ends;
/// `not_found` when no such group exists (its scope is checked by the caller).
pub(super) fn shift(conn: &mut DbConnection, group: GroupId, delta: i64) -> StoreResult<()> {
    let changed = diesel::update(groups::table.find(group.0))
        .set(groups::own_devices.eq(groups::own_devices + delta))
        .execute(conn)?;
    if changed == 0 {
        return Err(DomainError::NotFound { what: "group" }.into());
    }
    Ok(())
}

/// A device leaves `from` for `to`: both counts change, in id order so that two moves in
/// opposite directions take the rows in the same order and never deadlock.
pub(super) fn transfer(conn: &mut DbConnection, from: GroupId, to: GroupId) -> StoreResult<()> {
    if from == to {
        return Ok(());
    }
    if from.0 < to.0 {
        shift(conn, from, -1)?;
        shift(conn, to, 1)
    } else {
        shift(conn, to, 1)?;
        shift(conn, from, -1)
    }
}

/// Counts every group's devices again from the devices themselves (after a bulk seed).
pub(crate) fn recount(conn: &mut DbConnection) -> StoreResult<()> {
    diesel::sql_query(
        "UPDATE groups SET own_devices = \
         (SELECT count(*) FROM devices WHERE devices.group_id = groups.id)",
    )
    .execute(conn)?;
    Ok(())
}
