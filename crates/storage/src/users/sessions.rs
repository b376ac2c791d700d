use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use tenantry_domain::{DomainError, GroupId, SessionPolicy, TreePath, User, UserId};

use super::row::UserRow;
use crate::db::{DbConnection, Writer};
use crate::dialect::{Locked, lock_row};
use crate::error::{StoreError, StoreResult};
use crate::schema::{groups, sessions, users};

/// What a bearer token is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionKind {
    /// From an interactive login: ends after a period without use, or at its absolute expiry.
    Session,
    /// An API user's long-lived token: ends at its expiry, or when revoked.
    Api,
}

impl SessionKind {
    const fn as_str(self) -> &'static str {
        match self {
            SessionKind::Session => "session",
            SessionKind::Api => "api",
        }
    }
}

/// A live token and who it speaks for.
#[derive(Clone, Debug)]
pub struct AuthSession {
    pub session_id: i64,
    pub kind: SessionKind,
    pub user: User,
    /// The user's group and its path (the caller's scope), read with the session.
    pub group_id: GroupId,
    pub group_path: TreePath,
    pub idle_expires_at: Option<DateTime<Utc>>,
    pub expires_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = sessions, treat_none_as_default_value = false)]
struct NewSessionRow<'a> {
    user_id: i64,
    token_hash: &'a str,
    kind: &'a str,
    name: Option<&'a str>,
    created_at: NaiveDateTime,
    last_used_at: Option<NaiveDateTime>,
    idle_expires_at: Option<NaiveDateTime>,
    expires_at: NaiveDateTime,
}

fn insert(conn: &mut DbConnection, row: &NewSessionRow<'_>) -> StoreResult<i64> {
    let id = on_backend!(conn, |c| diesel::insert_into(sessions::table)
        .values(row)
        .returning(sessions::id)
        .get_result(c));
    Ok(id?)
}

/// Opens a session for a user whose password was just verified (after `record_attempt`
/// counted the attempt): clears the failure count and the user's expired sessions.
pub fn start_session(
    w: &mut Writer<'_>,
    user: UserId,
    token_hash: &str,
    now: DateTime<Utc>,
    policy: &SessionPolicy,
) -> StoreResult<AuthSession> {
    let conn = w.conn();
    lock_row(conn, Locked::User, user.0)?;
    let updated = diesel::update(users::table.find(user.0))
        .set((
            users::failed_logins.eq(0),
            users::first_failed_at.eq(None::<NaiveDateTime>),
            users::locked_until.eq(None::<NaiveDateTime>),
            users::last_login_at.eq(now.naive_utc()),
        ))
        .execute(conn)?;
    if updated == 0 {
        // Removed since its password was checked.
        return Err(DomainError::NotFound { what: "user" }.into());
    }
    let stale = now.naive_utc();
    diesel::delete(
        sessions::table.filter(sessions::user_id.eq(user.0)).filter(
            sessions::expires_at
                .le(stale)
                .or(sessions::idle_expires_at.le(stale)),
        ),
    )
    .execute(conn)?;
    let expires_at = now + policy.lifetime;
    let idle = policy.idle_expiry(now, expires_at);
    insert(
        conn,
        &NewSessionRow {
            user_id: user.0,
            token_hash,
            kind: SessionKind::Session.as_str(),
            name: None,
            created_at: now.naive_utc(),
            last_used_at: Some(now.naive_utc()),
            idle_expires_at: Some(idle.naive_utc()),
            expires_at: expires_at.naive_utc(),
        },
    )?;
    authenticate(conn, token_hash, now)?
        .ok_or_else(|| StoreError::Corrupt("a session just written cannot be read".into()))
}

/// The live session or API token with this hash, with its user and the user's group; `None`
/// when there is none or it has expired.
pub fn authenticate(
    conn: &mut DbConnection,
    token_hash: &str,
    now: DateTime<Utc>,
) -> StoreResult<Option<AuthSession>> {
    type SessionColumns = (
        i64,
        String,
        Option<NaiveDateTime>,
        NaiveDateTime,
        Option<NaiveDateTime>,
        String,
    );
    let found = sessions::table
        .inner_join(users::table.inner_join(groups::table))
        .filter(sessions::token_hash.eq(token_hash))
        .select((
            (
                sessions::id,
                sessions::kind,
                sessions::idle_expires_at,
                sessions::expires_at,
                sessions::last_used_at,
                groups::path,
            ),
            UserRow::as_select(),
        ))
        .first::<(SessionColumns, UserRow)>(conn)
        .optional()?;
    let Some(((id, kind, idle, expires, last_used, path), row)) = found else {
        return Ok(None);
    };
    let idle_expires_at = idle.map(|t| t.and_utc());
    let expires_at = expires.and_utc();
    if now >= expires_at || idle_expires_at.is_some_and(|idle| now >= idle) {
        return Ok(None);
    }
    let user = User::try_from(row)?;
    Ok(Some(AuthSession {
        session_id: id,
        kind: if kind == SessionKind::Api.as_str() {
            SessionKind::Api
        } else {
            SessionKind::Session
        },
        group_id: user.group_id,
        group_path: TreePath::from_stored(path),
        user,
        idle_expires_at,
        expires_at,
        last_used_at: last_used.map(|t| t.and_utc()),
    }))
}

/// Records a use of a session or token: its last use, and for sessions the new idle expiry.
pub fn touch_session(
    w: &mut Writer<'_>,
    session_id: i64,
    now: DateTime<Utc>,
    idle_expires_at: Option<DateTime<Utc>>,
) -> StoreResult<()> {
    diesel::update(sessions::table.find(session_id))
        .set((
            sessions::last_used_at.eq(now.naive_utc()),
            sessions::idle_expires_at.eq(idle_expires_at.map(|t| t.naive_utc())),
        ))
        .execute(w.conn())?;
    Ok(())
}

/// Ends a session or revokes a token.
pub fn revoke_session(w: &mut Writer<'_>, session_id: i64) -> StoreResult<()> {
    diesel::delete(sessions::table.find(session_id)).execute(w.conn())?;
    Ok(())
}

/// An API token as listed: never the token itself, which only its creator ever saw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiToken {
    pub id: i64,
    pub user_id: UserId,
    pub name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

type TokenColumns = (
    i64,
    i64,
    Option<String>,
    NaiveDateTime,
    NaiveDateTime,
    Option<NaiveDateTime>,
);

fn token_from(columns: TokenColumns) -> ApiToken {
    let (id, user_id, name, created_at, expires_at, last_used_at) = columns;
    ApiToken {
        id,
        user_id: UserId(user_id),
        name,
        created_at: created_at.and_utc(),
        expires_at: expires_at.and_utc(),
        last_used_at: last_used_at.map(|t| t.and_utc()),
    }
}

const TOKEN_COLUMNS: (
    sessions::id,
    sessions::user_id,
    sessions::name,
    sessions::created_at,
    sessions::expires_at,
    sessions::last_used_at,
) = (
    sessions::id,
    sessions::user_id,
    sessions::name,
    sessions::created_at,
    sessions::expires_at,
    sessions::last_used_at,
);

/// Stores a new API token's hash for `user` (an API user the caller may manage).
pub fn create_api_token(
    w: &mut Writer<'_>,
    user: UserId,
    token_hash: &str,
    name: Option<&str>,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> StoreResult<ApiToken> {
    let conn = w.conn();
    // The user must still exist when its token is written.
    lock_row(conn, Locked::User, user.0)?;
    let exists = users::table
        .find(user.0)
        .select(users::id)
        .first::<i64>(conn)
        .optional()?;
    if exists.is_none() {
        return Err(DomainError::NotFound { what: "user" }.into());
    }
    let id = insert(
        conn,
        &NewSessionRow {
            user_id: user.0,
            token_hash,
            kind: SessionKind::Api.as_str(),
            name,
            created_at: now.naive_utc(),
            last_used_at: None,
            idle_expires_at: None,
            expires_at: expires_at.naive_utc(),
        },
    )?;
    let columns = sessions::table
        .find(id)
        .select(TOKEN_COLUMNS)
        .first::<TokenColumns>(conn)?;
    Ok(token_from(columns))
}

/// An API user's tokens, newest first, expired ones included (they show when they ended).
pub fn list_api_tokens(conn: &mut DbConnection, user: UserId) -> StoreResult<Vec<ApiToken>> {
    let rows = sessions::table
        .filter(sessions::user_id.eq(user.0))
        .filter(sessions::kind.eq(SessionKind::Api.as_str()))
        .order(sessions::id.desc())
        .select(TOKEN_COLUMNS)
        .load::<TokenColumns>(conn)?;
    Ok(rows.into_iter().map(token_from).collect())
}

/// Revokes one of an API user's tokens; `not_found` if the user has no such token.
pub fn revoke_api_token(w: &mut Writer<'_>, user: UserId, token: i64) -> StoreResult<()> {
    let removed = diesel::delete(
        sessions::table
            .filter(sessions::id.eq(token))
            .filter(sessions::user_id.eq(user.0))
            .filter(sessions::kind.eq(SessionKind::Api.as_str())),
    )
    .execute(w.conn())?;
    if removed == 0 {
        return Err(DomainError::NotFound { what: "token" }.into());
    }
    Ok(())
}
