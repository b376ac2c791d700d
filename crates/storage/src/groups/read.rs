use chrono::{DateTime, Utc};
use diesel::dsl::{self, count_star};
use diesel::prelude::*;
use tenantry_domain::{DomainError, Group, GroupId, GroupState, Level, TreePath};

use super::Scope;
use super::row::{GroupRow, into_groups};
use crate::db::DbConnection;
use crate::error::{StoreError, StoreResult};
use crate::page::{Page, PageRequest};
use crate::schema::groups;

/// The filter "the group at `root` and all its descendants": one range over the path index.
/// A concrete type (not a boxed expression) so that diesel caches the prepared statement.
pub(crate) type InSubtree =
    dsl::And<dsl::GtEq<groups::path, String>, dsl::Lt<groups::path, String>>;

pub(crate) fn in_subtree(root: &TreePath) -> InSubtree {
    groups::path
        .ge(root.as_str().to_owned())
        .and(groups::path.lt(root.subtree_end()))
}

/// The installation's root group, if it was created already.
pub fn root(conn: &mut DbConnection) -> StoreResult<Option<Group>> {
    let row = groups::table
        .filter(groups::parent_id.is_null())
        .select(GroupRow::as_select())
        .first::<GroupRow>(conn)
        .optional()?;
    row.map(Group::try_from).transpose()
}

/// One group, if it lies in `scope`; `not_found` otherwise, exactly as for an id that never existed.
pub fn get(conn: &mut DbConnection, scope: &Scope, id: GroupId) -> StoreResult<Group> {
    groups::table
        .filter(groups::id.eq(id.0))
        .filter(in_subtree(scope))
        .select(GroupRow::as_select())
        .first::<GroupRow>(conn)
        .optional()?
        .ok_or(StoreError::Domain(DomainError::NotFound { what: "group" }))
        .and_then(Group::try_from)
}

/// One group regardless of scope: for rule checks against a parent the caller may not see.
pub(crate) fn get_unscoped(conn: &mut DbConnection, id: GroupId) -> StoreResult<Group> {
    groups::table
        .find(id.0)
        .select(GroupRow::as_select())
        .first::<GroupRow>(conn)
        .optional()?
        .ok_or(StoreError::Domain(DomainError::NotFound { what: "group" }))
        .and_then(Group::try_from)
}

/// The direct children of `parent` (a group the caller may see, from [`get`]), in tree order.
pub fn children(
    conn: &mut DbConnection,
    scope: &Scope,
    parent: &Group,
    page: &PageRequest,
) -> StoreResult<Page<Group>> {
    in_scope(scope, parent)?;
    // Every path sorts after "", so no cursor needs no second form of the query.
    let after = page
        .after
        .as_ref()
        .map(|cursor| absolute(scope, &cursor.key()))
        .unwrap_or_default();
    let rows = groups::table
        .filter(groups::parent_id.eq(parent.id.0))
        .filter(groups::path.gt(after))
        .select(GroupRow::as_select())
        .order(groups::path.asc())
        .limit(page.limit + 1)
        .load(conn)?;
    let rows = into_groups(rows)?;
    Ok(Page::from_overfetch(rows, page.limit, |g| {
        relative(scope, g.path.as_str())
    }))
}

/// Listings take a group the caller found with [`get`]; this holds them to it all the same.
pub(super) fn in_scope(scope: &Scope, group: &Group) -> StoreResult<()> {
    if scope.contains(&group.path) {
        Ok(())
    } else {
        Err(StoreError::Domain(DomainError::NotFound { what: "group" }))
    }
}

/// A group's path as a cursor key: relative to the caller's scope (`/a1/b17/c342/` seen from
/// `/a1/b17/` is `/c342/`), so that a cursor never names a group above the caller.
fn relative<'p>(scope: &Scope, path: &'p str) -> &'p str {
    path.get(scope.as_str().len() - 1..).unwrap_or(path)
}

/// The absolute path a cursor key stands for, within the caller's scope.
fn absolute(scope: &Scope, key: &str) -> String {
    let prefix = scope.as_str();
    format!("{}{key}", &prefix[..prefix.len() - 1])
}

/// Which descendants to list.
#[derive(Clone, Debug, Default)]
pub struct DescendantFilter {
    pub level: Option<Level>,
    pub state: Option<StateFilter>,
    /// Case-insensitive substring of the name.
    pub name: Option<String>,
}

impl DescendantFilter {
    pub fn is_empty(&self) -> bool {
        self.level.is_none() && self.state.is_none() && self.name.is_none()
    }
}

/// A state filter, with the moment that decides whether a trial has expired.
#[derive(Clone, Copy, Debug)]
pub struct StateFilter {
    pub state: GroupState,
    pub now: DateTime<Utc>,
}

/// All groups below `top` (a group the caller may see, from [`get`]; not `top` itself),
/// depth-first in tree order.
pub fn descendants(
    conn: &mut DbConnection,
    scope: &Scope,
    top: &Group,
    filter: &DescendantFilter,
    page: &PageRequest,
) -> StoreResult<Page<Group>> {
    in_scope(scope, top)?;
    let after = match &page.after {
        Some(cursor) => absolute(scope, &cursor.key()).max(top.path.as_str().to_owned()),
        None => top.path.as_str().to_owned(),
    };
    let query = groups::table
        .filter(groups::path.gt(after))
        .filter(groups::path.lt(top.path.subtree_end()))
        .select(GroupRow::as_select())
        .order(groups::path.asc())
        .limit(page.limit + 1);
    // The unfiltered listing is the common one: it stays a static query, whose prepared
    // statement diesel caches; filters make it a boxed query, prepared each time.
    let rows = if filter.is_empty() {
        query.load(conn)?
    } else {
        filtered(query.into_boxed(), filter).load(conn)?
    };
    let rows = into_groups(rows)?;
    Ok(Page::from_overfetch(rows, page.limit, |g| {
        relative(scope, g.path.as_str())
    }))
}

type BoxedGroups<'a> = groups::BoxedQuery<
    'a,
    <DbConnection as Connection>::Backend,
    diesel::dsl::SqlTypeOf<diesel::dsl::AsSelect<GroupRow, <DbConnection as Connection>::Backend>>,
>;

fn filtered<'a>(mut query: BoxedGroups<'a>, filter: &DescendantFilter) -> BoxedGroups<'a> {
    if let Some(level) = filter.level {
        query = query.filter(groups::level.eq(level.rank()));
    }
    if let Some(StateFilter { state, now }) = filter.state {
        let now = now.naive_utc();
        // The same rule as StoredState::effective: a trial past its expiry is expired.
        query = match state {
            GroupState::Expired => query.filter(
                groups::state.eq("expired").or(groups::state
                    .eq("trial")
                    .and(groups::trial_expires_at.le(now))),
            ),
            GroupState::Trial => query.filter(
                groups::state.eq("trial").and(
                    groups::trial_expires_at
                        .is_null()
                        .or(groups::trial_expires_at.gt(now)),
                ),
            ),
            other => query.filter(groups::state.eq(other.as_str())),
        };
    }
    if let Some(name) = &filter.name {
        query = query.filter(groups::name_key.like(contains_pattern(name)).escape('\\'));
    }
    query
}

/// `%text%` for LIKE, with the caller's own `%`, `_` and `\` taken literally.
fn contains_pattern(text: &str) -> String {
    let mut pattern = String::from("%");
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// The ancestors of a group that lie within `scope`, root first (the group itself excluded).
pub fn ancestors(conn: &mut DbConnection, scope: &Scope, id: GroupId) -> StoreResult<Vec<Group>> {
    let group = get(conn, scope, id)?;
    let mut ids: Vec<i64> = group.path.ids().into_iter().map(|id| id.0).collect();
    ids.pop();
    let rows = groups::table
        .filter(groups::id.eq_any(ids))
        .filter(in_subtree(scope))
        .select(GroupRow::as_select())
        .order(groups::path.asc())
        .load(conn)?;
    into_groups(rows)
}

/// How many groups have `id` as parent.
pub(crate) fn child_count(conn: &mut DbConnection, id: GroupId) -> StoreResult<i64> {
    Ok(groups::table
        .filter(groups::parent_id.eq(id.0))
        .select(count_star())
        .first(conn)?)
}

/// The highest level among a group's children, if it has any.
pub(crate) fn highest_child_level(
    conn: &mut DbConnection,
    id: GroupId,
) -> StoreResult<Option<Level>> {
    let rank: Option<i32> = groups::table
        .filter(groups::parent_id.eq(id.0))
        .select(diesel::dsl::min(groups::level))
        .first(conn)?;
    rank.map(|r| Level::from_rank(r).ok_or_else(|| StoreError::Corrupt(format!("child level {r}"))))
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::contains_pattern;

    #[test]
    fn like_patterns_take_wildcards_literally() {
        assert_eq!(contains_pattern("Acme"), "%acme%");
        assert_eq!(contains_pattern("100%_a\\b"), "%100\\%\\_a\\\\b%");
    }
}
