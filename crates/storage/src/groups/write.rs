use chrono::{DateTime, Utc};
use diesel::dsl::count_star;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::sql_types::{Integer, Text};
use tenantry_domain::{
    DomainError, Group, GroupChange, GroupChanges, GroupCreated, GroupDeleted, GroupEvent, GroupId,
    GroupMoved, GroupName, GroupState, GroupUpdated, Level, NewGroup, ServiceType, StoredState,
    TreePath, check_automatic_deployment, check_child_level,
};

use super::Scope;
use super::read::{child_count, get, get_unscoped, highest_child_level, in_subtree, root};
use crate::db::{DbConnection, Writer};
use crate::dialect::{RowLock, TreeLock, lock_group, lock_tree, next_group_id};
use crate::error::{StoreError, StoreResult};
use crate::schema::{devices, groups};

use super::row::NewGroupRow;

diesel::define_sql_function! {
    /// SQL's substring from a 1-based position to the end (same in SQLite and PostgreSQL).
    fn substr(text: Text, start: Integer) -> Text;
}

/// Creates the installation's root group on first start; later starts find it and leave it be.
pub fn create_root(
    w: &mut Writer<'_>,
    name: &GroupName,
    level: Level,
    now: DateTime<Utc>,
) -> StoreResult<Group> {
    let conn = w.conn();
    lock_tree(conn, TreeLock::Exclusive)?;
    if let Some(existing) = root(conn)? {
        return Ok(existing);
    }
    let id = GroupId(next_group_id(conn)?);
    let group = Group {
        id,
        parent_id: None,
        path: TreePath::root(id),
        name: name.as_str().to_owned(),
        level,
        service_type: ServiceType::AllInclusive,
        state: StoredState {
            state: GroupState::Production,
            trial_expires_at: None,
        },
        customer_reference: None,
        automatic_deployment: false,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    insert(conn, &group, name.key())?;
    Ok(group)
}

/// Creates a group under a parent in `scope`.
pub fn create(
    w: &mut Writer<'_>,
    scope: &Scope,
    new: NewGroup,
    now: DateTime<Utc>,
) -> StoreResult<(Group, GroupCreated)> {
    let conn = w.conn();
    lock_tree(conn, TreeLock::Shared)?;
    // Holding the parent row stops a concurrent level change or removal of the parent from
    // invalidating the checks below before this transaction commits.
    lock_group(conn, new.parent_id.0, RowLock::Share)?;
    let parent = get(conn, scope, new.parent_id).map_err(|e| parent_not_found(e, new.parent_id))?;
    create_below(conn, &parent, new, now)
}

/// Creates a group under `parent`, which this transaction holds: the tree lock shared, and the
/// parent's row locked (or written by this transaction, so that nobody else sees it yet). The
/// bulk import creates thousands of groups this way without taking the same locks each time.
pub(crate) fn create_below(
    conn: &mut DbConnection,
    parent: &Group,
    new: NewGroup,
    now: DateTime<Utc>,
) -> StoreResult<(Group, GroupCreated)> {
    check_child_level(parent.level, new.level)?;
    check_automatic_deployment(new.level, new.automatic_deployment)?;
    ensure_name_free(conn, &new.name, None)?;
    let id = GroupId(next_group_id(conn)?);
    let group = Group {
        id,
        parent_id: Some(parent.id),
        path: parent.path.child(id),
        name: new.name.as_str().to_owned(),
        level: new.level,
        service_type: new.service_type,
        state: new.state,
        customer_reference: new.customer_reference.map(|r| r.into_string()),
        automatic_deployment: new.automatic_deployment,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    insert(conn, &group, new.name.key())?;
    let event = GroupCreated {
        group_id: id,
        parent_id: parent.id,
        name: group.name.clone(),
        level: group.level,
        at: now,
    };
    Ok((group, event))
}

fn insert(conn: &mut DbConnection, group: &Group, name_key: String) -> StoreResult<()> {
    let row = NewGroupRow {
        id: group.id.0,
        parent_id: group.parent_id.map(|p| p.0),
        path: group.path.as_str().to_owned(),
        name: group.name.clone(),
        name_key,
        level: group.level.rank(),
        service_type: group.service_type.as_str().to_owned(),
        state: group.state.state.as_str().to_owned(),
        trial_expires_at: group.state.trial_expires_at.map(|t| t.naive_utc()),
        customer_reference: group.customer_reference.clone(),
        automatic_deployment: group.automatic_deployment,
        version: group.version,
        created_at: group.created_at.naive_utc(),
        updated_at: group.updated_at.naive_utc(),
    };
    diesel::insert_into(groups::table)
        .values(&row)
        .execute(conn)
        .map_err(|e| name_conflict(e, &group.name))?;
    Ok(())
}

/// Changes a group's own fields, and moves it (with its subtree) when the parent changes.
/// Every level rule in the moved or re-levelled subtree is checked again after the write, inside
/// the transaction: if any fails, nothing is kept.
pub fn update(
    w: &mut Writer<'_>,
    scope: &Scope,
    id: GroupId,
    changes: GroupChanges,
    if_match: Option<i64>,
    now: DateTime<Utc>,
) -> StoreResult<(Group, Vec<GroupEvent>)> {
    let conn = w.conn();
    let mode = if changes.reshapes_tree() {
        TreeLock::Exclusive
    } else {
        TreeLock::Shared
    };
    lock_tree(conn, mode)?;
    lock_group(conn, id.0, RowLock::Update)?;
    let before = get(conn, scope, id)?;
    if if_match.is_some_and(|version| version != before.version) {
        return Err(DomainError::PreconditionFailed.into());
    }

    let mut after = before.clone();
    let mut diff = Vec::new();
    if let Some(name) = changes
        .name
        .as_ref()
        .filter(|name| name.as_str() != before.name)
    {
        ensure_name_free(conn, name, Some(id))?;
        diff.push(GroupChange::Name {
            before: before.name.clone(),
            after: name.as_str().to_owned(),
        });
        after.name = name.as_str().to_owned();
    }
    if let Some(level) = changes.level.filter(|l| *l != before.level) {
        diff.push(GroupChange::Level {
            before: before.level,
            after: level,
        });
        after.level = level;
    }
    if let Some(service) = changes.service_type.filter(|s| *s != before.service_type) {
        diff.push(GroupChange::ServiceType {
            before: before.service_type,
            after: service,
        });
        after.service_type = service;
    }
    if let Some(change) = changes.state {
        let state = change.apply(before.state, now)?;
        if state.state != before.state.state {
            diff.push(GroupChange::State {
                before: before.state.state,
                after: state.state,
            });
        }
        if state.trial_expires_at != before.state.trial_expires_at {
            diff.push(GroupChange::TrialExpiresAt {
                before: before.state.trial_expires_at,
                after: state.trial_expires_at,
            });
        }
        after.state = state;
    }
    if let Some(reference) = changes.customer_reference.clone() {
        let reference = reference.map(|r| r.into_string());
        if reference != before.customer_reference {
            diff.push(GroupChange::CustomerReference {
                before: before.customer_reference.clone(),
                after: reference.clone(),
            });
            after.customer_reference = reference;
        }
    }
    if let Some(flag) = changes
        .automatic_deployment
        .filter(|f| *f != before.automatic_deployment)
    {
        diff.push(GroupChange::AutomaticDeployment {
            before: before.automatic_deployment,
            after: flag,
        });
        after.automatic_deployment = flag;
    }

    let new_parent = match changes.parent_id {
        Some(parent_id) if Some(parent_id) != before.parent_id => {
            Some(new_parent_for(conn, scope, &before, parent_id)?)
        }
        _ => None,
    };
    if let Some(parent) = &new_parent {
        after.parent_id = Some(parent.id);
        after.path = parent.path.child(id);
    }

    if new_parent.is_some() || after.level != before.level {
        let parent_level = match (&new_parent, before.parent_id) {
            (Some(parent), _) => Some(parent.level),
            (None, Some(parent_id)) => Some(get_unscoped(conn, parent_id)?.level),
            (None, None) => None,
        };
        if let Some(parent_level) = parent_level {
            check_child_level(parent_level, after.level)?;
        }
        if let Some(child_level) = highest_child_level(conn, id)? {
            check_child_level(after.level, child_level)?;
        }
    }
    check_automatic_deployment(after.level, after.automatic_deployment)?;

    if diff.is_empty() && new_parent.is_none() {
        return Ok((before, Vec::new()));
    }
    after.version = before.version + 1;
    after.updated_at = now;
    diesel::update(groups::table.find(id.0))
        .set((
            groups::name.eq(&after.name),
            groups::name_key.eq(GroupName::key_of(&after.name)),
            groups::parent_id.eq(after.parent_id.map(|p| p.0)),
            groups::level.eq(after.level.rank()),
            groups::service_type.eq(after.service_type.as_str()),
            groups::state.eq(after.state.state.as_str()),
            groups::trial_expires_at.eq(after.state.trial_expires_at.map(|t| t.naive_utc())),
            groups::customer_reference.eq(&after.customer_reference),
            groups::automatic_deployment.eq(after.automatic_deployment),
            groups::version.eq(after.version),
            groups::updated_at.eq(now.naive_utc()),
        ))
        .execute(conn)
        .map_err(|e| name_conflict(e, &after.name))?;

    let mut events = Vec::new();
    if let Some(parent) = &new_parent {
        let moved = move_subtree(conn, &before.path, &after.path)?;
        events.push(GroupEvent::GroupMoved(GroupMoved {
            group_id: id,
            from_parent: before.parent_id.unwrap_or(id),
            to_parent: parent.id,
            subtree_size: moved,
            at: now,
        }));
    }
    if new_parent.is_some() || after.level != before.level {
        ensure_levels_hold(conn, &after.path)?;
    }
    if !diff.is_empty() {
        events.insert(
            0,
            GroupEvent::GroupUpdated(GroupUpdated {
                group_id: id,
                changes: diff,
                at: now,
            }),
        );
    }
    Ok((after, events))
}

/// The new parent of a move, checked: visible to the caller, not the group itself or one of its
/// descendants, and the root stays where it is.
fn new_parent_for(
    conn: &mut DbConnection,
    scope: &Scope,
    group: &Group,
    parent_id: GroupId,
) -> StoreResult<Group> {
    if group.parent_id.is_none() {
        return Err(DomainError::Forbidden {
            message: "the root group cannot be moved".into(),
        }
        .into());
    }
    let parent = get(conn, scope, parent_id).map_err(|e| parent_not_found(e, parent_id))?;
    if group.path.contains(&parent.path) {
        return Err(DomainError::invalid_parent(
            "a group cannot be moved under itself or one of its own descendants",
        )
        .into());
    }
    Ok(parent)
}

/// Rewrites the paths of a whole subtree in one statement; returns how many groups moved.
fn move_subtree(conn: &mut DbConnection, from: &TreePath, to: &TreePath) -> StoreResult<i64> {
    let keep_from = i32::try_from(from.as_str().len() + 1)
        .map_err(|_| StoreError::Corrupt("path too long".into()))?;
    let moved = diesel::update(groups::table.filter(in_subtree(from)))
        .set(
            groups::path.eq(to
                .as_str()
                .to_owned()
                .into_sql::<Text>()
                .concat(substr(groups::path, keep_from))),
        )
        .execute(conn)?;
    Ok(moved as i64)
}

/// Every group in the subtree at `top` (itself included) is strictly lower than its parent.
/// The check runs on what was just written, so it holds whatever path led here.
fn ensure_levels_hold(conn: &mut DbConnection, top: &TreePath) -> StoreResult<()> {
    let parents = diesel::alias!(groups as parents);
    let violations: i64 = groups::table
        .inner_join(parents.on(groups::parent_id.eq(parents.field(groups::id).nullable())))
        .filter(groups::path.ge(top.as_str()))
        .filter(groups::path.lt(top.subtree_end()))
        .filter(groups::level.le(parents.field(groups::level)))
        .select(count_star())
        .first(conn)?;
    if violations > 0 {
        return Err(DomainError::level_violation(format!(
            "{violations} group(s) in the subtree would not be strictly lower than their parent"
        ))
        .into());
    }
    Ok(())
}

/// Removes a group that has no child groups and no devices. Cannot be undone.
pub fn delete(
    w: &mut Writer<'_>,
    scope: &Scope,
    id: GroupId,
    if_match: Option<i64>,
    now: DateTime<Utc>,
) -> StoreResult<GroupDeleted> {
    let conn = w.conn();
    lock_tree(conn, TreeLock::Shared)?;
    // Taken before counting: on PostgreSQL a device or child being added holds a share lock on
    // this row (through its foreign key), so we wait for it and then count it.
    lock_group(conn, id.0, RowLock::Update)?;
    let group = get(conn, scope, id)?;
    let Some(parent_id) = group.parent_id else {
        return Err(DomainError::Forbidden {
            message: "the root group cannot be removed".into(),
        }
        .into());
    };
    if if_match.is_some_and(|version| version != group.version) {
        return Err(DomainError::PreconditionFailed.into());
    }
    let children = child_count(conn, id)?;
    let devices: i64 = devices::table
        .filter(devices::group_id.eq(id.0))
        .select(count_star())
        .first(conn)?;
    if children > 0 || devices > 0 {
        return Err(DomainError::GroupNotEmpty { children, devices }.into());
    }
    diesel::delete(crate::schema::company_profiles::table.find(id.0)).execute(conn)?;
    diesel::delete(groups::table.find(id.0))
        .execute(conn)
        .map_err(not_empty_on_restrict)?;
    Ok(GroupDeleted {
        group_id: id,
        parent_id,
        name: group.name,
        at: now,
    })
}

fn ensure_name_free(
    conn: &mut DbConnection,
    name: &GroupName,
    except: Option<GroupId>,
) -> StoreResult<()> {
    // Ids start at 1, so 0 excludes nothing: one static (statement-cached) query either way.
    let except = except.map_or(0, |id| id.0);
    let clash = groups::table
        .filter(groups::name_key.eq(name.key()))
        .filter(groups::id.ne(except))
        .select(groups::id)
        .first::<i64>(conn)
        .optional()?;
    if clash.is_some() {
        return Err(DomainError::NameTaken {
            name: name.as_str().to_owned(),
        }
        .into());
    }
    Ok(())
}

/// The unique index on `name_key` is the last word when two writers race past the check above.
fn name_conflict(error: DieselError, name: &str) -> StoreError {
    match &error {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info)
            if info.constraint_name() == Some("groups_name_key")
                || info.message().contains("name_key") =>
        {
            DomainError::NameTaken {
                name: name.to_owned(),
            }
            .into()
        }
        _ => error.into(),
    }
}

/// The foreign keys are RESTRICT: if anything still points at the group, it is not empty.
fn not_empty_on_restrict(error: DieselError) -> StoreError {
    match error {
        DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => {
            log::warn!("group removal stopped by a foreign key: a row was added concurrently");
            DomainError::GroupNotEmpty {
                children: 0,
                devices: 0,
            }
            .into()
        }
        other => other.into(),
    }
}

/// A parent that is missing or outside the caller's scope is `invalid_parent` (422), the same
/// answer for both.
pub fn parent_not_found(error: StoreError, parent_id: GroupId) -> StoreError {
    match error {
        StoreError::Domain(DomainError::NotFound { .. }) => {
            DomainError::invalid_parent(format!("parent group {parent_id} not found")).into()
        }
        other => other,
    }
}

/// Holds a group's row for the rest of the transaction (`FOR UPDATE` on PostgreSQL; SQLite's one
/// writer holds everything already): what a plugin's write request runs under, so that two
/// requests changing the same group's plugin records take turns and a read-then-write in one
/// never loses the other's change. Taken first, as every write that touches a group takes it.
pub fn hold(conn: &mut DbConnection, id: GroupId) -> StoreResult<()> {
    lock_group(conn, id.0, RowLock::Update)
}
