use chrono::{DateTime, Utc};
use diesel::prelude::*;
use tenantry_domain::{Device, DeviceId, DomainError, GroupId, SettingKind};

use super::own_count;
use super::read::get;
use super::row::DeviceRow;
use crate::db::{DbConnection, Writer};
use crate::dialect::{Locked, lock_row};
use crate::error::{StoreError, StoreResult};
use crate::groups::{self, Scope};
use crate::schema::devices;
use crate::settings;

#[derive(Debug, Insertable)]
#[diesel(table_name = devices)]
struct NewDeviceRow<'a> {
    group_id: i64,
    name: &'a str,
    os: &'a str,
    enrolled: bool,
    machine_id: Option<&'a str>,
    credential_hash: Option<&'a str>,
    profile_id: Option<i64>,
    retention_policy_id: Option<i64>,
    created_at: chrono::NaiveDateTime,
    updated_at: chrono::NaiveDateTime,
}

/// A device to add.
#[derive(Clone, Debug)]
pub struct NewDevice<'a> {
    pub group: GroupId,
    pub name: &'a str,
    pub os: &'a str,
    /// Enrolled itself through Quick Installation rather than added by hand.
    pub enrolled: bool,
    /// The machine's stable identifier, when it enrolled itself with one.
    pub machine_id: Option<&'a str>,
    pub credential_hash: Option<&'a str>,
    pub profile_id: Option<i64>,
    /// `None`: the installation's default policy.
    pub retention_policy_id: Option<i64>,
}

/// Adds a device to a group in `scope` (no credential, default settings): for tests and tools.
pub fn add(
    w: &mut Writer<'_>,
    scope: &Scope,
    group: GroupId,
    name: &str,
    os: &str,
    now: DateTime<Utc>,
) -> StoreResult<i64> {
    let new = NewDevice {
        group,
        name,
        os,
        enrolled: false,
        machine_id: None,
        credential_hash: None,
        profile_id: None,
        retention_policy_id: None,
    };
    create(w, scope, &new, now).map(|device| device.id.0)
}

/// Adds a device to a group in `scope`. Counting it in the group's row holds that row
/// (PostgreSQL; SQLite has its write lock), so a concurrent removal of the group either sees
/// this device or makes this call fail: never both. Its profile and policy must be available to
/// the group.
pub fn create(
    w: &mut Writer<'_>,
    scope: &Scope,
    new: &NewDevice<'_>,
    now: DateTime<Utc>,
) -> StoreResult<Device> {
    let conn = w.conn();
    own_count::shift(conn, new.group, 1)?;
    let group = groups::get(conn, scope, new.group)?;
    // What the request leaves out comes from the group's defaults (its own, else the nearest
    // ancestor's), each still checked: a default set on a group that has moved since may name a
    // setting it can no longer use, and is then left out.
    let defaults = crate::backup_defaults::effective(conn, &group.path)?;
    let profile = match new.profile_id {
        Some(profile) => {
            settings::check_usable(conn, SettingKind::Profile, profile, &group.path)?;
            Some(profile)
        }
        None => defaults.profile.map(|d| d.id).filter(|id| {
            settings::check_usable(conn, SettingKind::Profile, *id, &group.path).is_ok()
        }),
    };
    let policy = match new.retention_policy_id {
        Some(policy) => {
            settings::check_usable(conn, SettingKind::RetentionPolicy, policy, &group.path)?;
            Some(policy)
        }
        None => match defaults.retention_policy.map(|d| d.id).filter(|id| {
            settings::check_usable(conn, SettingKind::RetentionPolicy, *id, &group.path).is_ok()
        }) {
            Some(policy) => Some(policy),
            None => settings::default_policy(conn)?,
        },
    };
    let row = NewDeviceRow {
        group_id: new.group.0,
        name: new.name,
        os: new.os,
        enrolled: new.enrolled,
        machine_id: new.machine_id,
        credential_hash: new.credential_hash,
        profile_id: profile,
        retention_policy_id: policy,
        created_at: now.naive_utc(),
        updated_at: now.naive_utc(),
    };
    // RETURNING, per backend (the multi-connection has none of its own).
    let row: DeviceRow = on_backend!(conn, |c| diesel::insert_into(devices::table)
        .values(&row)
        .returning(DeviceRow::as_returning())
        .get_result(c)?);
    Device::try_from(row)
}

/// What a PATCH of a device changes.
#[derive(Clone, Debug, Default)]
pub struct DeviceChanges {
    pub name: Option<String>,
    pub os: Option<String>,
    /// Move to this group (in the caller's scope): its profile and policy must be available
    /// there too (`not_available` otherwise).
    pub group_id: Option<GroupId>,
    /// `Some(None)` clears the profile.
    pub profile_id: Option<Option<i64>>,
    pub retention_policy_id: Option<i64>,
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
    lock_row(conn, Locked::Device, id.0)?;
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
    let destination = own_count::transfer(conn, before.group_id, group)
        .and_then(|()| groups::get(conn, scope, group))
        .map_err(|e| match e {
            StoreError::Domain(DomainError::NotFound { .. }) => {
                DomainError::invalid("group_id", format!("group {group} not found")).into()
            }
            other => other,
        })?;
    let profile = changes.profile_id.unwrap_or(before.profile_id);
    let policy = changes.retention_policy_id.or(before.retention_policy_id);
    if let Some(profile) = profile {
        settings::check_usable(conn, SettingKind::Profile, profile, &destination.path)?;
    }
    if let Some(policy) = policy {
        settings::check_usable(
            conn,
            SettingKind::RetentionPolicy,
            policy,
            &destination.path,
        )?;
    }
    diesel::update(devices::table.find(id.0))
        .set((
            devices::name.eq(changes.name.unwrap_or(before.name)),
            devices::os.eq(changes.os.unwrap_or(before.os)),
            devices::group_id.eq(group.0),
            devices::profile_id.eq(profile),
            devices::retention_policy_id.eq(policy),
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
    own_count::shift(conn, device.group_id, -1)?;
    diesel::delete(devices::table.find(id.0)).execute(conn)?;
    Ok(device)
}

/// Keeps the hash of a new passphrase for a device in `scope` (the secret itself goes to the
/// caller once and is never stored), with who generated it and when. A device that has one
/// keeps it unless `replace` (`conflict` otherwise): checked under the device's lock, so that of
/// two first generations racing, one wins and the other is told.
pub fn set_passphrase(
    w: &mut Writer<'_>,
    scope: &Scope,
    id: DeviceId,
    passphrase_hash: &str,
    by: tenantry_domain::UserId,
    replace: bool,
    now: DateTime<Utc>,
) -> StoreResult<Device> {
    let conn = w.conn();
    let before = locked(conn, scope, id, None)?;
    if let Some(at) = before.passphrase_at.filter(|_| !replace) {
        return Err(DomainError::Conflict {
            message: format!(
                "the device already has a passphrase (generated {}); backups made with it can \
                 only be restored with it: replace it only on purpose, with \"replace\": true",
                at.format("%Y-%m-%d %H:%M UTC")
            ),
        }
        .into());
    }
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
