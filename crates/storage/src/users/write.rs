use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use tenantry_domain::{
    DomainError, Failures, LockoutPolicy, NewUser, PasswordChange, Role, User, UserChanges, UserId,
};

use super::read::get;
use super::row::NewUserRow;
use crate::db::{DbConnection, Writer};
use crate::dialect::{Locked, RowLock, lock_group, lock_row};
use crate::error::{StoreError, StoreResult};
use crate::groups::{self, Scope};
use crate::schema::{groups as groups_table, sessions, users};

/// Adds a user to a group in `scope`.
pub fn create(
    w: &mut Writer<'_>,
    scope: &Scope,
    new: NewUser,
    now: DateTime<Utc>,
) -> StoreResult<User> {
    let conn = w.conn();
    // The group must still exist when the user is written (a concurrent removal waits for us).
    lock_group(conn, new.group_id.0, RowLock::Share)?;
    groups::get(conn, scope, new.group_id)?;
    let key = new.username.key();
    let row = NewUserRow {
        group_id: new.group_id.0,
        username: new.username.as_str(),
        username_key: &key,
        name: new.name.as_deref(),
        role: new.authority.role.as_str(),
        security_officer: new.authority.security_officer,
        kind: new.kind.as_str(),
        password_hash: new.password_hash.as_deref(),
        failed_logins: 0,
        version: 1,
        created_at: now.naive_utc(),
        updated_at: now.naive_utc(),
    };
    let id = on_backend!(conn, |c| diesel::insert_into(users::table)
        .values(&row)
        .returning(users::id)
        .get_result::<i64>(c))
    .map_err(|e| username_conflict(e, new.username.as_str()))?;
    get(conn, scope, UserId(id))
}

/// Adds the group's first user, unless it has one already: for the first SuperUser, whom every
/// replica starting on an empty database would otherwise create at once. The group's row lock
/// makes them take turns; the later ones find the user and do nothing (`false`).
pub fn create_first(
    w: &mut Writer<'_>,
    scope: &Scope,
    new: NewUser,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    lock_group(w.conn(), new.group_id.0, RowLock::Update)?;
    if super::read::has_users(w.conn(), new.group_id)? {
        return Ok(false);
    }
    create(w, scope, new, now).map(|_| true)
}

/// The unique index on (group, username_key) decides when two creates race.
fn username_conflict(error: DieselError, username: &str) -> StoreError {
    match &error {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
            DomainError::UsernameTaken {
                username: username.to_owned(),
            }
            .into()
        }
        _ => error.into(),
    }
}

/// Applies `changes` to a user in `scope`, after `check` approved them against the user as it is
/// now (inside this transaction). A new password ends every session the user has.
pub fn update(
    w: &mut Writer<'_>,
    scope: &Scope,
    id: UserId,
    changes: UserChanges,
    if_match: Option<i64>,
    now: DateTime<Utc>,
    check: impl FnOnce(&User) -> Result<(), DomainError>,
) -> StoreResult<User> {
    if changes.password == PasswordChange::Asked {
        return Err(StoreError::Corrupt(
            "a password change reached storage before it was hashed".to_owned(),
        ));
    }
    let conn = w.conn();
    let before = locked_user(conn, scope, id)?;
    check(&before)?;
    if if_match.is_some_and(|version| version != before.version) {
        return Err(DomainError::PreconditionFailed.into());
    }
    let role = changes.role.unwrap_or(before.role);
    if before.role == Role::SuperUser && role != Role::SuperUser {
        ensure_root_keeps_a_superuser(conn, &before)?;
    }
    let name = changes.name.clone().unwrap_or_else(|| before.name.clone());
    let officer = changes.security_officer.unwrap_or(before.security_officer);
    diesel::update(users::table.find(id.0))
        .set((
            users::name.eq(name),
            users::role.eq(role.as_str()),
            users::security_officer.eq(officer),
            users::version.eq(before.version + 1),
            users::updated_at.eq(now.naive_utc()),
        ))
        .execute(conn)?;
    if let PasswordChange::Hashed(hash) = &changes.password {
        diesel::update(users::table.find(id.0))
            .set((
                users::password_hash.eq(hash),
                users::failed_logins.eq(0),
                users::first_failed_at.eq(None::<chrono::NaiveDateTime>),
                users::locked_until.eq(None::<chrono::NaiveDateTime>),
            ))
            .execute(conn)?;
        diesel::delete(sessions::table.filter(sessions::user_id.eq(id.0))).execute(conn)?;
    }
    get(conn, scope, id)
}

/// Removes a user in `scope` (with its sessions and tokens), after `check` approved it.
pub fn delete(
    w: &mut Writer<'_>,
    scope: &Scope,
    id: UserId,
    if_match: Option<i64>,
    check: impl FnOnce(&User) -> Result<(), DomainError>,
) -> StoreResult<User> {
    let conn = w.conn();
    let user = locked_user(conn, scope, id)?;
    check(&user)?;
    if if_match.is_some_and(|version| version != user.version) {
        return Err(DomainError::PreconditionFailed.into());
    }
    if user.role == Role::SuperUser {
        ensure_root_keeps_a_superuser(conn, &user)?;
    }
    diesel::delete(users::table.find(id.0)).execute(conn)?;
    Ok(user)
}

/// Lifts a user's lockout (and forgets its failed logins), after `check` approved it against the
/// user as it is now. Not a change of the user's own fields: its version stays.
pub fn unlock(
    w: &mut Writer<'_>,
    scope: &Scope,
    id: UserId,
    check: impl FnOnce(&User) -> Result<(), DomainError>,
) -> StoreResult<User> {
    let conn = w.conn();
    let user = locked_user(conn, scope, id)?;
    check(&user)?;
    diesel::update(users::table.find(id.0))
        .set((
            users::failed_logins.eq(0),
            users::first_failed_at.eq(None::<chrono::NaiveDateTime>),
            users::locked_until.eq(None::<chrono::NaiveDateTime>),
        ))
        .execute(conn)?;
    get(conn, scope, id)
}

/// The user, read after its row is locked (PostgreSQL; SQLite's writer is alone anyway).
fn locked_user(conn: &mut DbConnection, scope: &Scope, id: UserId) -> StoreResult<User> {
    // Checked in scope first so that a lock is never taken on someone else's row.
    get(conn, scope, id)?;
    lock_row(conn, Locked::User, id.0)?;
    get(conn, scope, id)
}

/// Refuses to remove or demote the root group's last SuperUser: the installation would have
/// nobody left who can do everything. Two such changes racing are ordered by a lock on the root
/// group's row, so the second one counts what the first left.
fn ensure_root_keeps_a_superuser(conn: &mut DbConnection, user: &User) -> StoreResult<()> {
    let parent: Option<i64> = groups_table::table
        .find(user.group_id.0)
        .select(groups_table::parent_id)
        .first(conn)?;
    if parent.is_some() {
        return Ok(());
    }
    lock_group(conn, user.group_id.0, RowLock::Update)?;
    let others: i64 = users::table
        .filter(users::group_id.eq(user.group_id.0))
        .filter(users::role.eq(Role::SuperUser.as_str()))
        .filter(users::id.ne(user.id.0))
        .count()
        .get_result(conn)?;
    if others == 0 {
        return Err(DomainError::Forbidden {
            message: "the root group must keep at least one SuperUser".to_owned(),
        }
        .into());
    }
    Ok(())
}

/// Counts a login attempt against a user before its password is checked, under a lock on the
/// user's row: every attempt counts as a failure until it proves right (a successful login
/// clears the count), so that guesses sent in parallel cannot all be checked before the first
/// failure is recorded. Refuses with `Locked` when the account was locked already; an attempt
/// that reaches the limit is still checked, and locks the account if it is wrong.
pub fn record_attempt(
    w: &mut Writer<'_>,
    id: UserId,
    now: DateTime<Utc>,
    policy: &LockoutPolicy,
) -> StoreResult<Failures> {
    let conn = w.conn();
    lock_row(conn, Locked::User, id.0)?;
    let found: Option<(
        i32,
        Option<chrono::NaiveDateTime>,
        Option<chrono::NaiveDateTime>,
    )> = users::table
        .find(id.0)
        .select((
            users::failed_logins,
            users::first_failed_at,
            users::locked_until,
        ))
        .first(conn)
        .optional()?;
    let (count, first, locked) =
        found.ok_or(StoreError::Domain(DomainError::NotFound { what: "user" }))?;
    let before = Failures {
        count,
        first_failed_at: first.map(|t| t.and_utc()),
        locked_until: locked.map(|t| t.and_utc()),
    };
    if let Some(until) = before.locked_until.filter(|_| before.is_locked(now)) {
        return Err(DomainError::Locked { until }.into());
    }
    let after = before.after_failure(now, policy);
    diesel::update(users::table.find(id.0))
        .set((
            users::failed_logins.eq(after.count),
            users::first_failed_at.eq(after.first_failed_at.map(|t| t.naive_utc())),
            users::locked_until.eq(after.locked_until.map(|t| t.naive_utc())),
        ))
        .execute(conn)?;
    Ok(after)
}
