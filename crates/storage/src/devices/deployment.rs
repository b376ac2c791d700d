//! Quick Installation: deployment tokens, and the enrolment of a machine with one.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use tenantry_domain::{Device, DomainError, GroupId, TreePath, UserId};

use super::write::{self as devices_write, NewDevice};
use crate::db::{DbConnection, Writer};
use crate::dialect::{RowLock, lock_deployment_token, lock_group};
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
    let token = match conn {
        DbConnection::Sqlite(c) => diesel::insert_into(deployment_tokens::table)
            .values(values)
            .returning(DeploymentToken::as_returning())
            .get_result(c)?,
        DbConnection::Pg(c) => diesel::insert_into(deployment_tokens::table)
            .values(values)
            .returning(DeploymentToken::as_returning())
            .get_result(c)?,
    };
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

/// Why an enrolment was refused. The API answers all of them alike (401), so that a guesser
/// learns nothing; the server's log says which.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    Unknown,
    Revoked,
    Expired,
    UsedUp,
    /// The group turned Quick Installation off, or its level does not have it.
    Off,
}

/// Enrols a machine with a token: counts the use and adds the device to the token's group, in
/// one transaction, under a lock on the token (one-use tokens enrol exactly one machine) and a
/// share lock on the group (a removal racing the enrolment sees the device or wins outright).
/// `Ok(Err(refusal))` when the token does not allow it: nothing is written.
#[allow(clippy::too_many_arguments)]
pub fn enroll(
    w: &mut Writer<'_>,
    token_hash: &str,
    name: &str,
    os: &str,
    credential_hash: &str,
    quick_installation_allowed: impl Fn(&tenantry_domain::Group) -> bool,
    now: DateTime<Utc>,
) -> StoreResult<Result<Device, Refusal>> {
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
    lock_deployment_token(conn, id)?;
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
    diesel::update(deployment_tokens::table.find(id))
        .set(deployment_tokens::uses.eq(token.uses + 1))
        .execute(conn)?;
    let scope: TreePath = root.path;
    let new = NewDevice {
        group: group.id,
        name,
        os,
        enrolled: true,
        credential_hash: Some(credential_hash),
        profile_id: None,
        retention_policy_id: None,
    };
    let device = devices_write::create(w, &scope, &new, now)?;
    Ok(Ok(device))
}
