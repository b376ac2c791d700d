//! Quick Installation: deployment tokens, and the enrolment of a machine with one.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use tenantry_domain::{Device, DomainError, GroupId, TreePath, UserId};

use super::write::{self as devices_write, NewDevice};
use crate::db::{DbConnection, Writer};
use crate::dialect::{Locked, RowLock, lock_group, lock_row};
use crate::error::{StoreError, StoreResult};
use crate::groups;
use crate::schema::deployment_tokens;

/// A deployment token as listed: never the token itself.
#[derive(Clone, Debug, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = deployment_tokens)]
pub struct DeploymentToken {
    pub id: i64,
    pub group_id: i64,
    pub name: Option<String>,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub max_uses: Option<i64>,
    pub uses: i64,
    pub revoked_at: Option<NaiveDateTime>,
}

/// What a new token allows.
#[derive(Clone, Debug)]
pub struct NewDeploymentToken<'a> {
    pub group: GroupId,
    pub token_hash: &'a str,
    pub name: Option<&'a str>,
    pub created_by: UserId,
    pub expires_at: DateTime<Utc>,
    pub max_uses: Option<i64>,
}

/// Stores a new token's hash for a group (already authorized by the caller).
pub fn create(
    w: &mut Writer<'_>,
    new: &NewDeploymentToken<'_>,
    now: DateTime<Utc>,
) -> StoreResult<DeploymentToken> {
    let conn = w.conn();
    let values = (
        deployment_tokens::group_id.eq(new.group.0),
        deployment_tokens::token_hash.eq(new.token_hash),
        deployment_tokens::name.eq(new.name),
        deployment_tokens::created_by.eq(Some(new.created_by.0)),
        deployment_tokens::created_at.eq(now.naive_utc()),
        deployment_tokens::expires_at.eq(new.expires_at.naive_utc()),
        deployment_tokens::max_uses.eq(new.max_uses),
    );
    let token = on_backend!(conn, |c| diesel::insert_into(deployment_tokens::table)
        .values(values)
        .returning(DeploymentToken::as_returning())
        .get_result(c)?);
    Ok(token)
}

/// A group's tokens, newest first, revoked and expired ones included.
pub fn list(conn: &mut DbConnection, group: GroupId) -> StoreResult<Vec<DeploymentToken>> {
    Ok(deployment_tokens::table
        .filter(deployment_tokens::group_id.eq(group.0))
        .order(deployment_tokens::id.desc())
        .select(DeploymentToken::as_select())
        .load(conn)?)
}

/// Whether the group's token `id` may still enrol a machine: not revoked, not expired, not used
/// up.
pub fn is_live(
    conn: &mut DbConnection,
    group: GroupId,
    id: i64,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let token: Option<DeploymentToken> = deployment_tokens::table
        .filter(deployment_tokens::id.eq(id))
        .filter(deployment_tokens::group_id.eq(group.0))
        .select(DeploymentToken::as_select())
        .first(conn)
        .optional()?;
    Ok(token.is_some_and(|t| {
        t.revoked_at.is_none()
            && t.expires_at > now.naive_utc()
            && t.max_uses.is_none_or(|max| t.uses < max)
    }))
}

/// Revokes one of a group's tokens; `not_found` if the group has no such token.
pub fn revoke(w: &mut Writer<'_>, group: GroupId, id: i64, now: DateTime<Utc>) -> StoreResult<()> {
    let changed = diesel::update(
        deployment_tokens::table
            .filter(deployment_tokens::id.eq(id))
            .filter(deployment_tokens::group_id.eq(group.0)),
    )
    .set(deployment_tokens::revoked_at.eq(Some(now.naive_utc())))
    .execute(w.conn())?;
    if changed == 0 {
        return Err(DomainError::NotFound { what: "token" }.into());
    }
    Ok(())
}

/// Why an enrolment was refused. The API answers the token's refusals alike (401), so that a
/// guesser learns nothing; the server's log says which.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    Unknown,
    Revoked,
    Expired,
    UsedUp,
    /// The group turned Quick Installation off, or its level does not have it.
    Off,
    /// The machine is enrolled already, as a device outside the token's group's subtree (not
    /// the token's to take over). Only a valid token gets this far.
    EnrolledElsewhere,
}

/// The machine that enrols itself.
#[derive(Clone, Copy, Debug)]
pub struct Enrolling<'a> {
    pub name: &'a str,
    pub os: &'a str,
    /// Its stable identifier (see `tenantry_domain::parse_machine_id`); none from installers that
    /// send none, whose every enrolment adds a device.
    pub machine_id: Option<&'a str>,
    /// The credential it will report with (its hash).
    pub credential_hash: &'a str,
}

/// An enrolment that went through.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Enrolment {
    pub device: Device,
    /// The machine was enrolled already in the token's subtree: its device was kept (history,
    /// name, group, settings) and given the new credential; the old one no longer works.
    pub taken_over: bool,
}

/// Enrols a machine with a token: counts the use and adds the device to the token's group (or
/// takes over the machine's existing device), in one transaction, under a lock on the token
/// (one-use tokens enrol exactly one machine) and on the group (a removal racing the enrolment
/// sees the device or wins outright; two enrolments of one machine take turns, so the second
/// takes over what the first added). `Ok(Err(refusal))` when it may not: nothing is written.
pub fn enroll(
    w: &mut Writer<'_>,
    token_hash: &str,
    machine: &Enrolling<'_>,
    quick_installation_allowed: impl Fn(&tenantry_domain::Group) -> bool,
    now: DateTime<Utc>,
) -> StoreResult<Result<Enrolment, Refusal>> {
    let conn = w.conn();
    let found: Option<(i64, i64)> = deployment_tokens::table
        .filter(deployment_tokens::token_hash.eq(token_hash))
        .select((deployment_tokens::id, deployment_tokens::group_id))
        .first(conn)
        .optional()?;
    let Some((id, group_id)) = found else {
        return Ok(Err(Refusal::Unknown));
    };
    // The group first, then the token: the order a removal of the group takes them in (the
    // group's row, then its tokens through the cascade), so that the two never deadlock. For
    // update, not share: the device's add then counts itself in that row, and two enrolments
    // holding it shared would each wait for the other to let go.
    lock_group(conn, group_id, RowLock::Update)?;
    lock_row(conn, Locked::DeploymentToken, id)?;
    // Read again under the lock: a removal of the group (which takes its tokens along) may
    // have committed while this waited.
    let Some(token) = deployment_tokens::table
        .find(id)
        .select(DeploymentToken::as_select())
        .first::<DeploymentToken>(conn)
        .optional()?
    else {
        return Ok(Err(Refusal::Unknown));
    };
    let now_naive = now.naive_utc();
    if token.revoked_at.is_some() {
        return Ok(Err(Refusal::Revoked));
    }
    if token.expires_at <= now_naive {
        return Ok(Err(Refusal::Expired));
    }
    if token.max_uses.is_some_and(|max| token.uses >= max) {
        return Ok(Err(Refusal::UsedUp));
    }
    let root = groups::root(conn)?.ok_or(StoreError::Corrupt("no root group".to_owned()))?;
    let group = match groups::get(conn, &root.path, GroupId(token.group_id)) {
        Ok(group) => group,
        Err(StoreError::Domain(DomainError::NotFound { .. })) => return Ok(Err(Refusal::Unknown)),
        Err(other) => return Err(other),
    };
    if !quick_installation_allowed(&group) {
        return Ok(Err(Refusal::Off));
    }
    let taken_over = match machine.machine_id {
        Some(machine_id) => match take_over(w, &group, machine_id, machine, now)? {
            Some(Err(refusal)) => return Ok(Err(refusal)),
            Some(Ok(device)) => Some(device),
            None => None,
        },
        None => None,
    };
    let conn = w.conn();
    diesel::update(deployment_tokens::table.find(id))
        .set(deployment_tokens::uses.eq(token.uses + 1))
        .execute(conn)?;
    match taken_over {
        Some(device) => Ok(Ok(Enrolment {
            device,
            taken_over: true,
        })),
        None => {
            let scope: TreePath = root.path;
            let new = NewDevice {
                group: group.id,
                name: machine.name,
                os: machine.os,
                enrolled: true,
                machine_id: machine.machine_id,
                credential_hash: Some(machine.credential_hash),
                profile_id: None,
                retention_policy_id: None,
            };
            let device = devices_write::create(w, &scope, &new, now)?;
            Ok(Ok(Enrolment {
                device,
                taken_over: false,
            }))
        }
    }
}

/// The machine's existing device, given the new credential (and the OS it reports now), when
/// it lies in the token's group's subtree; a refusal when it lies elsewhere; `None` when the
/// machine has no device.
fn take_over(
    w: &mut Writer<'_>,
    group: &tenantry_domain::Group,
    machine_id: &str,
    machine: &Enrolling<'_>,
    now: DateTime<Utc>,
) -> StoreResult<Option<Result<Device, Refusal>>> {
    use crate::schema::devices;
    let conn = w.conn();
    let existing: Option<(i64, i64)> = devices::table
        .filter(devices::machine_id.eq(machine_id))
        .select((devices::id, devices::group_id))
        .first(conn)
        .optional()?;
    let Some((device_id, device_group)) = existing else {
        return Ok(None);
    };
    // Within the token's subtree or not: looked up with that subtree as the scope.
    match groups::get(conn, &group.path, GroupId(device_group)) {
        Ok(_) => {}
        Err(StoreError::Domain(DomainError::NotFound { .. })) => {
            return Ok(Some(Err(Refusal::EnrolledElsewhere)));
        }
        Err(other) => return Err(other),
    }
    let changes = (
        devices::credential_hash.eq(machine.credential_hash),
        devices::os.eq(machine.os),
        devices::enrolled.eq(true),
        devices::version.eq(devices::version + 1),
        devices::updated_at.eq(now.naive_utc()),
    );
    let update = diesel::update(devices::table.find(device_id)).set(changes);
    // RETURNING, per backend (the multi-connection has none of its own).
    let row: Option<super::row::DeviceRow> = on_backend!(conn, |c| update
        .returning(super::row::DeviceRow::as_returning())
        .get_result(c)
        .optional()?);
    // Removed between the look-up and the update (PostgreSQL): the machine has no device now.
    row.map(|row| Device::try_from(row).map(Ok)).transpose()
}
