use chrono::{DateTime, Utc};
use diesel::prelude::*;
use tenantry_domain::{Device, DeviceId, DomainError, GroupId};

use super::read::get;
use super::row::DeviceRow;
use crate::db::{DbConnection, Writer};
use crate::dialect::{RowLock, lock_device, lock_group};
use crate::error::{StoreError, StoreResult};
use crate::groups::{self, Scope};
use crate::schema::devices;

#[derive(Debug, Insertable)]
#[diesel(table_name = devices)]
struct NewDeviceRow<'a> {
    group_id: i64,
    name: &'a str,
    os: &'a str,
    enrolled: bool,
    credential_hash: Option<&'a str>,
    created_at: chrono::NaiveDateTime,
    updated_at: chrono::NaiveDateTime,
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
    insert(w, scope, group, name, os, false, None, now).map(|device| device.id.0)
}

/// Adds a device (by hand, or `enrolled` through Quick Installation) with the hash of its
/// credential, and returns it.
#[allow(clippy::too_many_arguments)]
pub(crate) fn insert(
    w: &mut Writer<'_>,
    scope: &Scope,
    group: GroupId,
    name: &str,
    os: &str,
    enrolled: bool,
    credential_hash: Option<&str>,
    now: DateTime<Utc>,
) -> StoreResult<Device> {
    let conn = w.conn();
    lock_group(conn, group.0, RowLock::Share)?;
    groups::get(conn, scope, group)?;
    let row = NewDeviceRow {
        group_id: group.0,
        name,
        os,
        enrolled,
        credential_hash,
        created_at: now.naive_utc(),
        updated_at: now.naive_utc(),
    };
    // RETURNING, per backend (the multi-connection has none of its own).
    let row: DeviceRow = match conn {
        DbConnection::Sqlite(c) => diesel::insert_into(devices::table)
            .values(&row)
            .returning(DeviceRow::as_returning())
            .get_result(c)?,
        DbConnection::Pg(c) => diesel::insert_into(devices::table)
            .values(&row)
            .returning(DeviceRow::as_returning())
            .get_result(c)?,
    };
    Device::try_from(row)
}

/// Adds a device by hand, with the hash of its credential, and returns it.
pub fn create(
    w: &mut Writer<'_>,
    scope: &Scope,
    group: GroupId,
    name: &str,
    os: &str,
    credential_hash: &str,
    now: DateTime<Utc>,
) -> StoreResult<Device> {
    insert(w, scope, group, name, os, false, Some(credential_hash), now)
}

/// What a PATCH of a device changes.
#[derive(Clone, Debug, Default)]
pub struct DeviceChanges {
    pub name: Option<String>,
    pub os: Option<String>,
    /// Move to this group (in the caller's scope).
    pub group_id: Option<GroupId>,
}

/// A device in `scope`, read under a lock on its row (PostgreSQL; checked in scope before the
/// lock is taken), at the version `if_match` names if it names one.
fn locked(
    conn: &mut DbConnection,
    scope: &Scope,
    id: DeviceId,
    if_match: Option<i64>,
) -> StoreResult<Device> {
    get(conn, scope, id)?;
    lock_device(conn, id.0)?;
    let device = get(conn, scope, id)?;
    if if_match.is_some_and(|version| version != device.version) {
        return Err(DomainError::PreconditionFailed.into());
    }
    Ok(device)
}

/// Changes a device in `scope`; a move holds the destination group like an add does.
pub fn update(
    w: &mut Writer<'_>,
    scope: &Scope,
    id: DeviceId,
    changes: DeviceChanges,
    if_match: Option<i64>,
    now: DateTime<Utc>,
) -> StoreResult<Device> {
    let conn = w.conn();
    let before = locked(conn, scope, id, if_match)?;
    let group = changes.group_id.unwrap_or(before.group_id);
    if group != before.group_id {
        lock_group(conn, group.0, RowLock::Share)?;
        groups::get(conn, scope, group).map_err(|e| match e {
            StoreError::Domain(DomainError::NotFound { .. }) => {
                DomainError::invalid("group_id", format!("group {group} not found")).into()
            }
            other => other,
        })?;
    }
    diesel::update(devices::table.find(id.0))
        .set((
            devices::name.eq(changes.name.unwrap_or(before.name)),
            devices::os.eq(changes.os.unwrap_or(before.os)),
            devices::group_id.eq(group.0),
            devices::version.eq(before.version + 1),
            devices::updated_at.eq(now.naive_utc()),
        ))
        .execute(conn)?;
    get(conn, scope, id)
}

/// Removes a device in `scope`.
pub fn delete(
    w: &mut Writer<'_>,
    scope: &Scope,
    id: DeviceId,
    if_match: Option<i64>,
) -> StoreResult<Device> {
    let conn = w.conn();
    let device = locked(conn, scope, id, if_match)?;
    diesel::delete(devices::table.find(id.0)).execute(conn)?;
    Ok(device)
}

/// Keeps the hash of a new passphrase for a device in `scope` (the secret itself goes to the
/// caller once and is never stored), with who generated it and when.
pub fn set_passphrase(
    w: &mut Writer<'_>,
    scope: &Scope,
    id: DeviceId,
    passphrase_hash: &str,
    by: tenantry_domain::UserId,
    now: DateTime<Utc>,
) -> StoreResult<Device> {
    let conn = w.conn();
    let before = locked(conn, scope, id, None)?;
    diesel::update(devices::table.find(id.0))
        .set((
            devices::passphrase_hash.eq(Some(passphrase_hash)),
            devices::passphrase_by.eq(Some(by.0)),
            devices::passphrase_at.eq(Some(now.naive_utc())),
            devices::version.eq(before.version + 1),
            devices::updated_at.eq(now.naive_utc()),
        ))
        .execute(conn)?;
    get(conn, scope, id)
}
