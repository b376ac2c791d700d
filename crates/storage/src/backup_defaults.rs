//! A group's default backup profile and retention policy: what a device added in its subtree
//! gets when nothing else is said, the nearest group's default winning (as settings are
//! inherited), the installation's default policy last.

use diesel::prelude::*;
use tenantry_domain::{DomainError, Group, GroupId, SettingKind, TreePath};

use crate::db::{DbConnection, Writer};
use crate::error::{StoreError, StoreResult};
use crate::schema::backup_defaults;
use crate::settings;

/// What a group sets itself (none: it inherits).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Defaults {
    pub profile_id: Option<i64>,
    pub retention_policy_id: Option<i64>,
}

/// A default in effect, and the group whose it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Inherited {
    pub id: i64,
    pub from: GroupId,
}

/// What a device added at a group gets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Effective {
    pub profile: Option<Inherited>,
    pub retention_policy: Option<Inherited>,
}

/// The group's own defaults.
pub fn own(conn: &mut DbConnection, group: GroupId) -> StoreResult<Defaults> {
    let found: Option<(Option<i64>, Option<i64>)> = backup_defaults::table
        .find(group.0)
        .select((
            backup_defaults::profile_id,
            backup_defaults::retention_policy_id,
        ))
        .first(conn)
        .optional()?;
    Ok(found
        .map(|(profile_id, retention_policy_id)| Defaults {
            profile_id,
            retention_policy_id,
        })
        .unwrap_or_default())
}

/// A stored row: the group, its profile, its policy.
type Row = (i64, Option<i64>, Option<i64>);

/// The defaults in effect at the group at `path`: for each kind, the nearest group's (itself
/// first); for the policy, the installation's default when no group on the way has one.
pub fn effective(conn: &mut DbConnection, path: &TreePath) -> StoreResult<Effective> {
    let ids: Vec<i64> = path.ids().iter().map(|g| g.0).collect();
    let rows: Vec<Row> = backup_defaults::table
        .filter(backup_defaults::group_id.eq_any(&ids))
        .select((
            backup_defaults::group_id,
            backup_defaults::profile_id,
            backup_defaults::retention_policy_id,
        ))
        .load(conn)?;
    let depth = |group: i64| ids.iter().position(|g| *g == group).unwrap_or(0);
    let nearest = |pick: fn(&Row) -> Option<i64>| {
        rows.iter()
            .filter_map(|row| {
                pick(row).map(|id| {
                    (
                        depth(row.0),
                        Inherited {
                            id,
                            from: GroupId(row.0),
                        },
                    )
                })
            })
            .max_by_key(|(at, _)| *at)
            .map(|(_, inherited)| inherited)
    };
    let profile = nearest(|row| row.1);
    let mut retention_policy = nearest(|row| row.2);
    if retention_policy.is_none()
        && let Some(id) = settings::default_policy(conn)?
    {
        retention_policy = Some(Inherited {
            id,
            from: ids.first().copied().map_or(GroupId(0), GroupId),
        });
    }
    Ok(Effective {
        profile,
        retention_policy,
    })
}

/// Sets a group's own defaults (the caller may manage it, from `groups::get`): each must be a
/// setting of its kind the group may use (its own or an ancestor's), held until the commit so
/// that a removal racing this waits and then sees it in use.
pub fn set(w: &mut Writer<'_>, group: &Group, defaults: Defaults) -> StoreResult<Defaults> {
    let conn = w.conn();
    crate::dialect::lock_group(conn, group.id.0, crate::dialect::RowLock::Update)?;
    for (kind, id) in [
        (SettingKind::Profile, defaults.profile_id),
        (SettingKind::RetentionPolicy, defaults.retention_policy_id),
    ] {
        if let Some(id) = id {
            settings::check_usable(conn, kind, id, &group.path).map_err(|e| match e {
                StoreError::Domain(DomainError::NotAvailable { message }) => {
                    StoreError::Domain(DomainError::invalid(field_of(kind), message))
                }
                other => other,
            })?;
        }
    }
    diesel::delete(backup_defaults::table.find(group.id.0)).execute(conn)?;
    if defaults != Defaults::default() {
        diesel::insert_into(backup_defaults::table)
            .values((
                backup_defaults::group_id.eq(group.id.0),
                backup_defaults::profile_id.eq(defaults.profile_id),
                backup_defaults::retention_policy_id.eq(defaults.retention_policy_id),
            ))
            .execute(conn)?;
    }
    Ok(defaults)
}

fn field_of(kind: SettingKind) -> &'static str {
    match kind {
        SettingKind::Profile => "profile_id",
        SettingKind::RetentionPolicy => "retention_policy_id",
    }
}

/// How many groups have setting `id` as a default (a setting so used is not removed).
pub fn groups_using(conn: &mut DbConnection, kind: SettingKind, id: i64) -> StoreResult<i64> {
    use diesel::dsl::count_star;
    Ok(match kind {
        SettingKind::Profile => backup_defaults::table
            .filter(backup_defaults::profile_id.eq(id))
            .select(count_star())
            .first(conn)?,
        SettingKind::RetentionPolicy => backup_defaults::table
            .filter(backup_defaults::retention_policy_id.eq(id))
            .select(count_star())
            .first(conn)?,
    })
}
