//! Backup profiles and retention policies: owned by a group, used by it and its descendants,
//! changed only within the owner's callers' scope, kept while devices use them.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::dsl::count_star;
use diesel::prelude::*;
use tenantry_domain::{DomainError, Group, GroupId, SettingKind, TreePath, is_visible_from};

use crate::db::{DbConnection, Writer};
use crate::dialect::{Locked, lock_row};
use crate::error::{StoreError, StoreResult};
use crate::groups::{Scope, in_subtree};
use crate::page::{Page, PageRequest};
use crate::schema::{backup_settings, devices, groups};

/// A profile or a policy; `settings` is the JSON of its kind's fields.
#[derive(Clone, Debug, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = backup_settings)]
pub struct Setting {
    pub id: i64,
    pub kind: String,
    pub group_id: i64,
    pub name: String,
    pub settings: String,
    pub is_default: bool,
    pub version: i64,
    /// UTC.
    pub created_at: NaiveDateTime,
    /// UTC.
    pub updated_at: NaiveDateTime,
}

fn not_found(kind: SettingKind) -> StoreError {
    StoreError::Domain(DomainError::NotFound { what: kind.label() })
}

/// The installation's default retention policy, created on the first start (owned by the root).
pub fn ensure_default_policy(
    w: &mut Writer<'_>,
    root: GroupId,
    settings: &str,
    now: DateTime<Utc>,
) -> StoreResult<i64> {
    let conn = w.conn();
    // Replicas starting together on an empty database take turns here (the root's row lock):
    // one creates the default, the others find it.
    crate::dialect::lock_group(conn, root.0, crate::dialect::RowLock::Update)?;
    let existing = backup_settings::table
        .filter(backup_settings::kind.eq(SettingKind::RetentionPolicy.as_str()))
        .filter(backup_settings::is_default.eq(true))
        .select(backup_settings::id)
        .first::<i64>(conn)
        .optional()?;
    if let Some(id) = existing {
        return Ok(id);
    }
    insert(
        conn,
        SettingKind::RetentionPolicy,
        root,
        "Default",
        settings,
        true,
        now,
    )
    .map(|s| s.id)
}

/// The default retention policy's id, if the installation has one.
pub fn default_policy(conn: &mut DbConnection) -> StoreResult<Option<i64>> {
    Ok(backup_settings::table
        .filter(backup_settings::kind.eq(SettingKind::RetentionPolicy.as_str()))
        .filter(backup_settings::is_default.eq(true))
        .select(backup_settings::id)
        .first::<i64>(conn)
        .optional()?)
}

fn insert(
    conn: &mut DbConnection,
    kind: SettingKind,
    group: GroupId,
    name: &str,
    settings: &str,
    is_default: bool,
    now: DateTime<Utc>,
) -> StoreResult<Setting> {
    let values = (
        backup_settings::kind.eq(kind.as_str()),
        backup_settings::group_id.eq(group.0),
        backup_settings::name.eq(name),
        backup_settings::settings.eq(settings),
        backup_settings::is_default.eq(is_default),
        backup_settings::created_at.eq(now.naive_utc()),
        backup_settings::updated_at.eq(now.naive_utc()),
    );
    Ok(on_backend!(conn, |c| diesel::insert_into(
        backup_settings::table
    )
    .values(values)
    .returning(Setting::as_returning())
    .get_result(c)?))
}

/// Creates a setting owned by `group` (a group the caller may manage, from `groups::get`).
pub fn create(
    w: &mut Writer<'_>,
    kind: SettingKind,
    group: &Group,
    name: &str,
    settings: &str,
    now: DateTime<Utc>,
) -> StoreResult<Setting> {
    crate::dialect::lock_group(w.conn(), group.id.0, crate::dialect::RowLock::Share)?;
    insert(w.conn(), kind, group.id, name, settings, false, now)
}

/// The settings of a kind that `group` may use: its own and its ancestors', by id.
pub fn usable_by(
    conn: &mut DbConnection,
    kind: SettingKind,
    group: &Group,
    page: &PageRequest,
) -> StoreResult<Page<Setting>> {
    let after: i64 = page
        .after
        .as_ref()
        .and_then(|c| c.key().parse().ok())
        .unwrap_or(0);
    let owners: Vec<i64> = group.path.ids().into_iter().map(|g| g.0).collect();
    let rows = backup_settings::table
        .filter(backup_settings::kind.eq(kind.as_str()))
        .filter(backup_settings::group_id.eq_any(owners))
        .filter(backup_settings::id.gt(after))
        .order(backup_settings::id.asc())
        .limit(page.limit + 1)
        .select(Setting::as_select())
        .load::<Setting>(conn)?;
    let keyed: Vec<(Setting, String)> = rows
        .into_iter()
        .map(|s| {
            let key = s.id.to_string();
            (s, key)
        })
        .collect();
    let page = Page::from_overfetch(keyed, page.limit, |(_, key)| key.as_str());
    Ok(Page {
        items: page.items.into_iter().map(|(s, _)| s).collect(),
        next: page.next,
    })
}

/// A setting the caller may see: owned within its scope, or by one of its group's ancestors
/// (those it uses, read-only). Anything else is `not_found`.
pub fn visible(
    conn: &mut DbConnection,
    kind: SettingKind,
    scope: &Scope,
    id: i64,
) -> StoreResult<Setting> {
    let setting = backup_settings::table
        .filter(backup_settings::id.eq(id))
        .filter(backup_settings::kind.eq(kind.as_str()))
        .select(Setting::as_select())
        .first::<Setting>(conn)
        .optional()?
        .ok_or_else(|| not_found(kind))?;
    if is_visible_from(GroupId(setting.group_id), scope) || owned_within(conn, scope, &setting)? {
        Ok(setting)
    } else {
        Err(not_found(kind))
    }
}

/// Whether the setting's owner lies in `scope` (the caller may change it, bar the default).
pub fn owned_within(
    conn: &mut DbConnection,
    scope: &Scope,
    setting: &Setting,
) -> StoreResult<bool> {
    let found = groups::table
        .filter(groups::id.eq(setting.group_id))
        .filter(in_subtree(scope))
        .select(groups::id)
        .first::<i64>(conn)
        .optional()?;
    Ok(found.is_some())
}

/// A setting the caller may change: owned within its scope, and not the installation's default.
fn changeable(
    conn: &mut DbConnection,
    kind: SettingKind,
    scope: &Scope,
    id: i64,
    if_match: Option<i64>,
) -> StoreResult<Setting> {
    let setting = visible(conn, kind, scope, id)?;
    if !owned_within(conn, scope, &setting)? {
        return Err(DomainError::Forbidden {
            message: format!(
                "this {} belongs to a group above yours: it is yours to use, not to change",
                kind.label()
            ),
        }
        .into());
    }
    if setting.is_default {
        return Err(DomainError::Forbidden {
            message: "the installation's default policy cannot be changed or removed".to_owned(),
        }
        .into());
    }
    lock_row(conn, Locked::Setting, id)?;
    if if_match.is_some_and(|v| v != setting.version) {
        return Err(DomainError::PreconditionFailed.into());
    }
    Ok(setting)
}

/// Changes a setting's name or fields (owned within `scope`, not the default).
#[allow(clippy::too_many_arguments)]
pub fn update(
    w: &mut Writer<'_>,
    kind: SettingKind,
    scope: &Scope,
    id: i64,
    name: Option<&str>,
    settings: Option<&str>,
    if_match: Option<i64>,
    now: DateTime<Utc>,
) -> StoreResult<Setting> {
    let conn = w.conn();
    let before = changeable(conn, kind, scope, id, if_match)?;
    diesel::update(backup_settings::table.find(id))
        .set((
            backup_settings::name.eq(name.unwrap_or(&before.name)),
            backup_settings::settings.eq(settings.unwrap_or(&before.settings)),
            backup_settings::version.eq(before.version + 1),
            backup_settings::updated_at.eq(now.naive_utc()),
        ))
        .execute(conn)?;
    visible(conn, kind, scope, id)
}

/// Removes a setting (owned within `scope`, not the default) that no device uses.
pub fn delete(
    w: &mut Writer<'_>,
    kind: SettingKind,
    scope: &Scope,
    id: i64,
    if_match: Option<i64>,
) -> StoreResult<()> {
    let conn = w.conn();
    changeable(conn, kind, scope, id, if_match)?;
    let users: i64 = match kind {
        SettingKind::Profile => devices::table
            .filter(devices::profile_id.eq(id))
            .select(count_star())
            .first(conn)?,
        SettingKind::RetentionPolicy => devices::table
            .filter(devices::retention_policy_id.eq(id))
            .select(count_star())
            .first(conn)?,
    };
    if users > 0 {
        return Err(DomainError::InUse {
            what: kind.label(),
            devices: users,
        }
        .into());
    }
    let defaults = crate::backup_defaults::groups_using(conn, kind, id)?;
    if defaults > 0 {
        return Err(DomainError::Conflict {
            message: format!(
                "this {} is the default of {defaults} group(s): choose another default there first",
                kind.label()
            ),
        }
        .into());
    }
    diesel::delete(backup_settings::table.find(id)).execute(conn)?;
    Ok(())
}

/// Checks that a device in the group at `path` may use setting `id` of `kind` (it exists, is of
/// that kind, and is owned by the group or an ancestor), holding it until the transaction ends
/// so that a removal racing the assignment waits and then counts the device.
pub fn check_usable(
    conn: &mut DbConnection,
    kind: SettingKind,
    id: i64,
    path: &TreePath,
) -> StoreResult<()> {
    lock_row(conn, Locked::Setting, id)?;
    let owner: Option<i64> = backup_settings::table
        .filter(backup_settings::id.eq(id))
        .filter(backup_settings::kind.eq(kind.as_str()))
        .select(backup_settings::group_id)
        .first(conn)
        .optional()?;
    match owner {
        Some(owner) if is_visible_from(GroupId(owner), path) => Ok(()),
        _ => Err(DomainError::NotAvailable {
            message: format!(
                "{} {id} is not available to this group: only its own and its ancestors' are",
                kind.label()
            ),
        }
        .into()),
    }
}
