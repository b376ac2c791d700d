//! Small reads that views of the tree need beside the listings: what a group holds, a group by
//! its exact name, and the names along a path (for search results shown with their place).

use std::collections::HashMap;

use diesel::dsl::{count_star, sql};
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use tenantry_domain::{DomainError, Group, GroupId, GroupName};

use super::Scope;
use super::read::{child_count, in_scope, in_subtree};
use super::row::GroupRow;
use crate::db::DbConnection;
use crate::error::{StoreError, StoreResult};
use crate::schema::{devices, groups};

/// What a group holds of its own: its child groups and its devices (what keeps it from being
/// removed).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Contents {
    pub children: i64,
    pub devices: i64,
}

/// The child groups and devices of a group the caller may see (from `get`).
pub fn contents(conn: &mut DbConnection, scope: &Scope, group: &Group) -> StoreResult<Contents> {
    in_scope(scope, group)?;
    let devices = devices::table
        .filter(devices::group_id.eq(group.id.0))
        .select(count_star())
        .first(conn)?;
    Ok(Contents {
        children: child_count(conn, group.id)?,
        devices,
    })
}

/// The group of this exact name (compared as names are: case-insensitively) within the scope.
pub fn by_name(conn: &mut DbConnection, scope: &Scope, name: &str) -> StoreResult<Group> {
    let key = GroupName::key_of(name.trim());
    let row = groups::table
        .filter(groups::name_key.eq(key))
        .filter(in_subtree(scope))
        .select(GroupRow::as_select())
        .first::<GroupRow>(conn)
        .optional()?
        .ok_or(StoreError::Domain(DomainError::NotFound { what: "group" }))?;
    Group::try_from(row)
}

/// The names of the groups with these ids that lie within the scope (one read; ids outside it
/// are left out, so a path shown from them starts at the caller's own group).
pub fn names(
    conn: &mut DbConnection,
    scope: &Scope,
    ids: &[GroupId],
) -> StoreResult<HashMap<GroupId, String>> {
    let ids: Vec<i64> = ids.iter().map(|id| id.0).collect();
    let rows: Vec<(i64, String)> = groups::table
        .filter(groups::id.eq_any(ids))
        .filter(in_subtree(scope))
        .select((groups::id, groups::name))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, name)| (GroupId(id), name))
        .collect())
}

/// How many devices each of these groups holds across its whole subtree: the sum of its
/// groups' own counts, over the path index (a customer of 100,000 devices in 11,111 groups is
/// 11,111 rows, not 100,000).
pub fn subtree_device_counts(
    conn: &mut DbConnection,
    scope: &Scope,
    tops: &[Group],
) -> StoreResult<Vec<i64>> {
    tops.iter()
        .map(|top| {
            in_scope(scope, top)?;
            Ok(groups::table
                .filter(in_subtree(&top.path))
                // SUM of a BIGINT is NUMERIC on PostgreSQL: cast back; no rows sum to NULL.
                .select(sql::<BigInt>(
                    "CAST(COALESCE(SUM(own_devices), 0) AS BIGINT)",
                ))
                .first(conn)?)
        })
        .collect()
}
