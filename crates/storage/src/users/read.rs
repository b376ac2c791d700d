use chrono::NaiveDateTime;
use diesel::prelude::*;
use tenantry_domain::{DomainError, Failures, Group, GroupId, GroupName, User, UserId, Username};

use super::row::UserRow;
use crate::db::DbConnection;
use crate::error::{StoreError, StoreResult};
use crate::groups::Scope;
use crate::groups::in_subtree;
use crate::page::{Page, PageRequest};
use crate::schema::{groups, users};

fn not_found() -> StoreError {
    StoreError::Domain(DomainError::NotFound { what: "user" })
}

/// One user whose group lies in `scope`; `not_found` otherwise, as for an id that never existed.
pub fn get(conn: &mut DbConnection, scope: &Scope, id: UserId) -> StoreResult<User> {
    users::table
        .inner_join(groups::table)
        .filter(users::id.eq(id.0))
        .filter(in_subtree(scope))
        .select(UserRow::as_select())
        .first::<UserRow>(conn)
        .optional()?
        .ok_or_else(not_found)
        .and_then(User::try_from)
}

/// The users of one group (a group the caller may see, from `groups::get`), by username.
pub fn list(conn: &mut DbConnection, group: &Group, page: &PageRequest) -> StoreResult<Page<User>> {
    let after = page
        .after
        .as_ref()
        .map(|cursor| cursor.key())
        .unwrap_or_default();
    let rows = users::table
        .filter(users::group_id.eq(group.id.0))
        .filter(users::username_key.gt(after))
        .order(users::username_key.asc())
        .select((UserRow::as_select(), users::username_key))
        .limit(page.limit + 1)
        .load::<(UserRow, String)>(conn)?;
    let rows = rows
        .into_iter()
        .map(|(row, key)| Ok((User::try_from(row)?, key)))
        .collect::<StoreResult<Vec<_>>>()?;
    let page = Page::from_overfetch(rows, page.limit, |(_, key)| key.as_str());
    Ok(Page {
        items: page.items.into_iter().map(|(user, _)| user).collect(),
        next: page.next,
    })
}

/// Whether a group has any user at all (the first start creates the root's first SuperUser).
pub fn has_users(conn: &mut DbConnection, group: GroupId) -> StoreResult<bool> {
    let any = users::table
        .filter(users::group_id.eq(group.0))
        .select(users::id)
        .first::<i64>(conn)
        .optional()?;
    Ok(any.is_some())
}

/// What a login attempt needs to know about the account it names.
#[derive(Debug)]
pub struct LoginRecord {
    pub user: User,
    /// `None` for API users: they never log in.
    pub password_hash: Option<String>,
    pub failures: Failures,
}

/// The account a login names by group name and username, both compared case-insensitively.
pub fn for_login(
    conn: &mut DbConnection,
    group_name: &str,
    username: &str,
) -> StoreResult<Option<LoginRecord>> {
    type Credentials = (
        Option<String>,
        i32,
        Option<NaiveDateTime>,
        Option<NaiveDateTime>,
    );
    // No group name or username holds a control character (both refuse them), and PostgreSQL
    // cannot compare with NUL: such a login is simply no one's.
    if group_name
        .chars()
        .chain(username.chars())
        .any(char::is_control)
    {
        return Ok(None);
    }
    let found = users::table
        .inner_join(groups::table)
        .filter(groups::name_key.eq(GroupName::key_of(group_name.trim())))
        .filter(users::username_key.eq(Username::key_of(username)))
        .select((
            UserRow::as_select(),
            (
                users::password_hash,
                users::failed_logins,
                users::first_failed_at,
                users::locked_until,
            ),
        ))
        .first::<(UserRow, Credentials)>(conn)
        .optional()?;
    let Some((row, (password_hash, count, first_failed_at, locked_until))) = found else {
        return Ok(None);
    };
    Ok(Some(LoginRecord {
        user: User::try_from(row)?,
        password_hash,
        failures: Failures {
            count,
            first_failed_at: first_failed_at.map(|t| t.and_utc()),
            locked_until: locked_until.map(|t| t.and_utc()),
        },
    }))
}

/// The stored password hash of a user (for a user's own password change, which must prove the
/// current password); `None` for API users.
pub fn password_hash(conn: &mut DbConnection, id: UserId) -> StoreResult<Option<String>> {
    Ok(users::table
        .find(id.0)
        .select(users::password_hash)
        .first::<Option<String>>(conn)
        .optional()?
        .flatten())
}
