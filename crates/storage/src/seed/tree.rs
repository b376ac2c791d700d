//! A large group tree, in bulk.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use tenantry_domain::{DomainError, GroupId, GroupName, TreePath};

use crate::db::{DbConnection, Storage};
use crate::dialect::{IdTable, TreeLock, lock_tree, next_ids, refresh_statistics};
use crate::error::{StoreError, StoreResult};
use crate::groups::{self, row::NewGroupRow};
use crate::schema::groups as table;

/// Rows per INSERT: 500 rows × 14 columns stays under both backends' bind-parameter limits.
const ROWS_PER_INSERT: usize = 500;

/// What a seed run created.
#[derive(Debug)]
pub struct SeedReport {
    pub groups: usize,
    /// The groups created directly under the root.
    pub top_ids: Vec<GroupId>,
}

/// Creates a tree under the root: `shape[0]` children of the root, `shape[1]` children of each of
/// those, and so on, each generation one level lower than the one above (the root's level comes
/// first). All in one transaction with multi-row inserts and ids reserved up front.
pub fn seed_tree(
    storage: &Storage,
    shape: &[usize],
    name_prefix: &str,
    now: DateTime<Utc>,
) -> StoreResult<SeedReport> {
    storage.write(|w| {
        let conn = w.conn();
        lock_tree(conn, TreeLock::Exclusive)?;
        let root =
            groups::root(conn)?.ok_or_else(|| StoreError::Corrupt("no root group yet".into()))?;
        let mut levels = Vec::with_capacity(shape.len());
        let mut level = root.level;
        for _ in shape {
            level = level.next_lower().ok_or_else(|| {
                DomainError::level_violation(format!(
                    "a {}-generation tree does not fit below a {} root: {} levels are left",
                    shape.len(),
                    root.level,
                    5 - root.level.rank()
                ))
            })?;
            levels.push(level);
        }
        let total: usize = shape
            .iter()
            .scan(1usize, |width, n| {
                *width *= n;
                Some(*width)
            })
            .sum();
        let mut next_id = next_ids(
            conn,
            IdTable::Groups,
            i64::try_from(total).map_err(|_| StoreError::Corrupt("too many".into()))?,
        )?;

        let mut parents: Vec<TreePath> = vec![root.path.clone()];
        let mut top_ids = Vec::new();
        let mut batch: Vec<NewGroupRow> = Vec::with_capacity(ROWS_PER_INSERT);
        let stamp = now.naive_utc();
        for (generation, (&fanout, &level)) in shape.iter().zip(&levels).enumerate() {
            let mut children = Vec::with_capacity(parents.len() * fanout);
            for parent in &parents {
                let parent_id = parent.ids().last().copied().map(|id| id.0);
                for _ in 0..fanout {
                    let id = GroupId(next_id);
                    next_id += 1;
                    let path = parent.child(id);
                    if generation == 0 {
                        top_ids.push(id);
                    }
                    let name = format!("{name_prefix} {} {id}", level.label());
                    batch.push(NewGroupRow {
                        id: id.0,
                        parent_id,
                        path: path.as_str().to_owned(),
                        name_key: GroupName::key_of(&name),
                        name,
                        level: level.rank(),
                        service_type: "all_inclusive".into(),
                        state: "production".into(),
                        trial_expires_at: None,
                        customer_reference: None,
                        automatic_deployment: false,
                        version: 1,
                        created_at: stamp,
                        updated_at: stamp,
                    });
                    if batch.len() == ROWS_PER_INSERT {
                        insert_rows(conn, &batch)?;
                        batch.clear();
                    }
                    children.push(path);
                }
            }
            parents = children;
        }
        if !batch.is_empty() {
            insert_rows(conn, &batch)?;
        }
        refresh_statistics(conn)?;
        Ok(SeedReport {
            groups: total,
            top_ids,
        })
    })
}

/// Multi-row inserts are per backend: diesel's multi-connection has no batch insert of its own.
fn insert_rows(conn: &mut DbConnection, rows: &[NewGroupRow]) -> StoreResult<()> {
    on_backend!(conn, |c| diesel::insert_into(table::table)
        .values(rows)
        .execute(c)?);
    Ok(())
}
