use chrono::NaiveDateTime;
use diesel::prelude::*;
use tenantry_domain::{GroupId, Role, User, UserId, UserKind};

use crate::error::StoreError;
use crate::schema::users;

/// A `users` row as diesel reads it, without the credential columns.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = users)]
pub(crate) struct UserRow {
    pub id: i64,
    pub group_id: i64,
    pub username: String,
    pub name: Option<String>,
    pub role: String,
    pub security_officer: bool,
    pub kind: String,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub last_login_at: Option<NaiveDateTime>,
    pub locked_until: Option<NaiveDateTime>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = users, treat_none_as_default_value = false)]
pub(crate) struct NewUserRow<'a> {
    pub group_id: i64,
    pub username: &'a str,
    pub username_key: &'a str,
    pub name: Option<&'a str>,
    pub role: &'a str,
    pub security_officer: bool,
    pub kind: &'a str,
    pub password_hash: Option<&'a str>,
    pub failed_logins: i32,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl TryFrom<UserRow> for User {
    type Error = StoreError;

    fn try_from(row: UserRow) -> Result<User, StoreError> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("user {}: bad {what}", row.id));
        Ok(User {
            id: UserId(row.id),
            group_id: GroupId(row.group_id),
            role: Role::parse(&row.role).ok_or_else(|| corrupt("role"))?,
            kind: UserKind::parse(&row.kind).ok_or_else(|| corrupt("kind"))?,
            username: row.username,
            name: row.name,
            security_officer: row.security_officer,
            version: row.version,
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
            last_login_at: row.last_login_at.map(|t| t.and_utc()),
            locked_until: row.locked_until.map(|t| t.and_utc()),
        })
    }
}
