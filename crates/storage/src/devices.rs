//! Devices: the protected machines of a group. Only what the group rules need exists yet;
//! the device API extends this module.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use tenantry_domain::{DomainError, GroupId};

use crate::db::Writer;
use crate::dialect::{RowLock, lock_group};
use crate::error::{StoreError, StoreResult};
use crate::schema::{devices, groups};

#[derive(Debug, Insertable)]
#[diesel(table_name = devices)]
struct NewDeviceRow<'a> {
    group_id: i64,
    name: &'a str,
    os: &'a str,
    created_at: chrono::NaiveDateTime,
}

/// Adds a device to a group. Holds the group row (PostgreSQL) or the write lock (SQLite), so a
/// concurrent removal of the group either sees this device or makes this call fail: never both.
pub fn add(
    w: &mut Writer<'_>,
    group: GroupId,
    name: &str,
    os: &str,
    now: DateTime<Utc>,
) -> StoreResult<i64> {
    let conn = w.conn();
    lock_group(conn, group.0, RowLock::Share)?;
    let exists = groups::table
        .find(group.0)
        .select(groups::id)
        .first::<i64>(conn)
        .optional()?
        .is_some();
    if !exists {
        return Err(StoreError::Domain(DomainError::NotFound { what: "group" }));
    }
    let row = NewDeviceRow {
        group_id: group.0,
        name,
        os,
        created_at: now.naive_utc(),
    };
    diesel::insert_into(devices::table)
        .values(&row)
        .execute(conn)?;
    let id = devices::table
        .filter(devices::group_id.eq(group.0))
        .select(diesel::dsl::max(devices::id))
        .first::<Option<i64>>(conn)?
        .ok_or_else(|| StoreError::Corrupt("device vanished after insert".into()))?;
    Ok(id)
}
