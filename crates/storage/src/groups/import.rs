//! A customer tree in bulk: an import planned against the tree and written in one transaction,
//! and the export that writes the same rows back out.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use tenantry_domain::{
    Action, CompanyProfile, DomainError, Existing, FieldError, Group, GroupCreated, GroupId,
    ImportRow, Level, PlannedParent, TreePath, names_to_look_up, plan_import,
};

use super::Scope;
use super::company::{companies_in_subtree, put_company};
use super::read::{get, in_subtree};
use super::row::{GroupRow, into_groups};
use super::write::create_below;
use crate::db::{DbConnection, Writer};
use crate::dialect::{RowLock, TreeLock, lock_group, lock_tree};
use crate::error::{StoreError, StoreResult};
use crate::schema::groups;

/// A group an import created, with the line it came from.
#[derive(Clone, Debug)]
pub struct Imported {
    pub line: u64,
    pub group: Group,
    pub event: GroupCreated,
}

/// Imports `rows` below the group `top_id`: parents are named groups of `top_id`'s subtree or
/// rows above. Every row is checked before the first is written, and every problem comes back
/// at once with its line; then the groups are created in file order, each through the same
/// checks as a single create, under locks taken once for the whole import. `authorize` is
/// asked, as for single requests, before a child goes under a parent and before a company
/// profile is saved.
pub fn import(
    w: &mut Writer<'_>,
    scope: &Scope,
    top_id: GroupId,
    rows: &[ImportRow],
    now: DateTime<Utc>,
    trial_days: i64,
    authorize: impl Fn(Action, &Group) -> Result<(), DomainError>,
) -> StoreResult<Vec<Imported>> {
    // Held to the end: no move can change the subtree between the plan and the writes (moves
    // take the tree exclusively), and the top cannot go away under the import.
    lock_tree(w.conn(), TreeLock::Shared)?;
    lock_group(w.conn(), top_id.0, RowLock::Share)?;
    let top = get(w.conn(), scope, top_id)?;
    authorize(Action::CreateCustomer, &top)?;
    let existing = existing_names(w.conn(), &top.path, &names_to_look_up(rows))?;
    let plan = plan_import(rows, &existing, (top.id, top.level), now, trial_days)?;
    let mut made: Vec<Imported> = Vec::with_capacity(plan.len());
    let mut parents: HashMap<GroupId, Group> = HashMap::new();
    for step in &plan {
        let parent = match step.parent {
            PlannedParent::Row(index) => made
                .get(index)
                .map(|earlier| earlier.group.clone())
                .ok_or_else(|| StoreError::Corrupt("an import row's parent is missing".into()))?,
            PlannedParent::Existing(id) => match parents.get(&id) {
                Some(parent) => parent.clone(),
                None => {
                    // Locked once, as a single create locks its parent: no level change or
                    // removal of it can slip in before the commit.
                    lock_group(w.conn(), id.0, RowLock::Share)?;
                    // Gone since the plan read it: removed meanwhile by another request.
                    let parent = get(w.conn(), scope, id).map_err(|e| on_line(step.line, e))?;
                    authorize(Action::CreateCustomer, &parent)?;
                    parents.insert(id, parent.clone());
                    parent
                }
            },
        };
        if matches!(step.parent, PlannedParent::Row(_)) {
            authorize(Action::CreateCustomer, &parent)?;
        }
        // The plan checked every rule; what still fails here is a change another request
        // committed meanwhile (the same name, say), reported on the row it hit.
        let (group, event) = create_below(w.conn(), &parent, step.new_group(parent.id), now)
            .map_err(|e| on_line(step.line, e))?;
        if step.company != CompanyProfile::default() {
            authorize(Action::EditCompanyProfile, &group)?;
            put_company(w, scope, group.id, step.company.clone(), None, now)?;
        }
        made.push(Imported {
            line: step.line,
            group,
            event,
        });
    }
    Ok(made)
}

/// A rule a row broke at creation, as a problem of that row's field.
fn on_line(line: u64, error: StoreError) -> StoreError {
    let field = match &error {
        StoreError::Domain(DomainError::NameTaken { .. }) => "name",
        StoreError::Domain(DomainError::LevelViolation { .. }) => "level",
        StoreError::Domain(DomainError::InvalidParent { .. } | DomainError::NotFound { .. }) => {
            "parent"
        }
        _ => return error,
    };
    StoreError::Domain(DomainError::Validation(vec![
        FieldError::new(field, error.to_string()).at_line(line),
    ]))
}

/// What the tree holds under each name key: a possible parent when it lies in `top`'s subtree,
/// a taken name otherwise. (Names are unique across the installation.)
fn existing_names(
    conn: &mut DbConnection,
    top: &TreePath,
    keys: &[String],
) -> StoreResult<HashMap<String, Existing>> {
    let mut found = HashMap::new();
    // Well under the bound-parameter limits of both databases.
    for chunk in keys.chunks(1_000) {
        let rows: Vec<(String, i64, String, i32)> = groups::table
            .filter(groups::name_key.eq_any(chunk))
            .select((groups::name_key, groups::id, groups::path, groups::level))
            .load(conn)?;
        for (key, id, path, rank) in rows {
            let level = Level::from_rank(rank)
                .ok_or_else(|| StoreError::Corrupt(format!("group {id}: bad level")))?;
            let known = if top.contains(&TreePath::from_stored(path)) {
                Existing::InScope {
                    id: GroupId(id),
                    level,
                }
            } else {
                Existing::Elsewhere
            };
            found.insert(key, known);
        }
    }
    Ok(found)
}

/// One group of an export, with what a row of the import format needs.
#[derive(Clone, Debug)]
pub struct Exported {
    pub group: Group,
    pub parent_name: String,
    pub company: CompanyProfile,
}

/// Every group below `top` (a group the caller may see, from [`get`]; not `top` itself) in tree
/// order, so that parents come before their children, exactly as an import wants them. Two
/// reads, whatever the size of the subtree.
pub fn export(conn: &mut DbConnection, top: &Group) -> StoreResult<Vec<Exported>> {
    let below = groups::table
        .filter(in_subtree(&top.path))
        .filter(groups::id.ne(top.id.0))
        .select(GroupRow::as_select())
        .order(groups::path.asc())
        .load(conn)?;
    let below = into_groups(below)?;
    let mut companies = companies_in_subtree(conn, &top.path)?;
    let mut names: HashMap<GroupId, String> = HashMap::from([(top.id, top.name.clone())]);
    let mut out = Vec::with_capacity(below.len());
    for group in below {
        let parent_name = group
            .parent_id
            .and_then(|parent| names.get(&parent).cloned())
            .ok_or_else(|| {
                StoreError::Corrupt(format!("group {}: parent not above it", group.id))
            })?;
        names.insert(group.id, group.name.clone());
        out.push(Exported {
            company: companies.remove(&group.id).unwrap_or_default(),
            parent_name,
            group,
        });
    }
    Ok(out)
}
