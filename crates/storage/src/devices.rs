//! Devices: the protected machines of a group. Only what the group rules need exists yet;
//! the device API extends this module.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use tenantry_domain::GroupId;

use crate::db::{DbConnection, Writer};
use crate::dialect::{RowLock, lock_group};
use crate::error::StoreResult;
use crate::groups::{Scope, get};
use crate::schema::devices;

#[derive(Debug, Insertable)]
#[diesel(table_name = devices)]
struct NewDeviceRow<'a> {
    group_id: i64,
    name: &'a str,
    os: &'a str,
    created_at: chrono::NaiveDateTime,
}

/// Adds a device to a group in `scope`. Holds the group row (PostgreSQL) or the write lock
/// (SQLite), so a concurrent removal of the group either sees this device or makes this call
/// fail: never both.
pub fn add(
    w: &mut Writer<'_>,
    scope: &Scope,
    group: GroupId,
    name: &str,
    os: &str,
    now: DateTime<Utc>,
) -> StoreResult<i64> {
    let conn = w.conn();
    lock_group(conn, group.0, RowLock::Share)?;
    get(conn, scope, group)?;
    let row = NewDeviceRow {
        group_id: group.0,
        name,
        os,
        created_at: now.naive_utc(),
    };
    // RETURNING, per backend (the multi-connection has none of its own): a device added to the
    // same group at the same moment must not hand us its id.
    let id = match conn {
        DbConnection::Sqlite(c) => diesel::insert_into(devices::table)
            .values(&row)
            .returning(devices::id)
            .get_result(c),
        DbConnection::Pg(c) => diesel::insert_into(devices::table)
            .values(&row)
            .returning(devices::id)
            .get_result(c),
    };
    Ok(id?)
}
