//! The few places where SQLite and PostgreSQL need different SQL, kept together.
//!
//! On SQLite every write transaction is `BEGIN IMMEDIATE`, so writers are already serialized and
//! the locks below are no-ops. On PostgreSQL writers run concurrently under READ COMMITTED and
//! take these locks so that checks and writes on the tree cannot interleave.

use diesel::prelude::*;
use diesel::sql_types::BigInt;

use crate::db::DbConnection;
use crate::error::StoreResult;

/// The advisory lock key that guards the tree's shape (an arbitrary constant: "TNTR").
const TREE_LOCK_KEY: i64 = 0x544e_5452;

/// How a transaction holds the tree's shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TreeLock {
    /// Creating or removing a leaf: many may run at once; row locks order them where they meet.
    Shared,
    /// Moving a subtree or changing a level: rewrites paths or level relations of many rows,
    /// so it runs alone (no create can slip a child under a subtree while its paths move).
    Exclusive,
}

pub fn lock_tree(conn: &mut DbConnection, mode: TreeLock) -> StoreResult<()> {
    if let DbConnection::Pg(c) = conn {
        let sql = match mode {
            TreeLock::Shared => "SELECT pg_advisory_xact_lock_shared($1)",
            TreeLock::Exclusive => "SELECT pg_advisory_xact_lock($1)",
        };
        diesel::sql_query(sql)
            .bind::<BigInt, _>(TREE_LOCK_KEY)
            .execute(c)?;
    }
    Ok(())
}

/// A row lock on one group until the transaction ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowLock {
    /// Reading a group whose level a new child or device depends on.
    Share,
    /// Changing or removing the group.
    Update,
}

pub fn lock_group(conn: &mut DbConnection, id: i64, mode: RowLock) -> StoreResult<()> {
    if let DbConnection::Pg(c) = conn {
        let sql = match mode {
            RowLock::Share => "SELECT 1 FROM groups WHERE id = $1 FOR SHARE",
            RowLock::Update => "SELECT 1 FROM groups WHERE id = $1 FOR UPDATE",
        };
        diesel::sql_query(sql).bind::<BigInt, _>(id).execute(c)?;
    }
    Ok(())
}

/// A row that changes under checks of its own, locked one at a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Locked {
    /// Failed logins and changes to one user are counted one after the other.
    User,
    /// Changes to one device, conditional on its version, one after the other.
    Device,
    /// Enrolments against one token are counted one after the other, so a one-use token enrols
    /// exactly one machine.
    DeploymentToken,
    /// A profile or policy: a change and a removal (refused while devices use it) take turns.
    Setting,
}

/// A row lock until the transaction ends (PostgreSQL `FOR UPDATE`; SQLite's single writer
/// needs none).
pub fn lock_row(conn: &mut DbConnection, row: Locked, id: i64) -> StoreResult<()> {
    if let DbConnection::Pg(c) = conn {
        let sql = match row {
            Locked::User => "SELECT 1 FROM users WHERE id = $1 FOR UPDATE",
            Locked::Device => "SELECT 1 FROM devices WHERE id = $1 FOR UPDATE",
            Locked::DeploymentToken => "SELECT 1 FROM deployment_tokens WHERE id = $1 FOR UPDATE",
            Locked::Setting => "SELECT 1 FROM backup_settings WHERE id = $1 FOR UPDATE",
        };
        diesel::sql_query(sql).bind::<BigInt, _>(id).execute(c)?;
    }
    Ok(())
}

diesel::table! {
    /// SQLite's own record of the highest id each AUTOINCREMENT table ever handed out.
    sqlite_sequence (name) {
        name -> Text,
        seq -> Nullable<BigInt>,
    }
}

#[derive(diesel::QueryableByName)]
struct NextId {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// The id the next group will get, known before the insert because the group's own id is part
/// of its path: a PostgreSQL sequence, or SQLite's AUTOINCREMENT counter (read under the write
/// lock, so no one else can take the same number).
pub fn next_group_id(conn: &mut DbConnection) -> StoreResult<i64> {
    next_ids(conn, IdTable::Groups, 1)
}

/// A table whose ids the bulk seed reserves up front.
#[derive(Clone, Copy, Debug)]
pub enum IdTable {
    Groups,
    Devices,
}

impl IdTable {
    fn name(self) -> &'static str {
        match self {
            IdTable::Groups => "groups",
            IdTable::Devices => "devices",
        }
    }
}

/// Reserves `count` consecutive ids of `table` and returns the first (groups: one at a time on
/// every create; both: in blocks for the bulk seed). Under the write lock (SQLite) or from the
/// sequence (PostgreSQL), so no one else can take the same numbers.
pub fn next_ids(conn: &mut DbConnection, table: IdTable, count: i64) -> StoreResult<i64> {
    let next = match conn {
        DbConnection::Sqlite(c) => {
            // A static query, so its statement is cached: this runs on every create.
            let seq = sqlite_sequence::table
                .find(table.name())
                .select(sqlite_sequence::seq)
                .first::<Option<i64>>(c)
                .optional()?
                .flatten()
                .unwrap_or(0);
            NextId { id: seq + 1 }
        }
        DbConnection::Pg(c) if count == 1 => {
            diesel::sql_query(format!("SELECT nextval('{}_id_seq') AS id", table.name()))
                .get_result::<NextId>(c)?
        }
        DbConnection::Pg(c) => {
            // Jump the sequence past the whole block in one statement; ids are handed out
            // strictly from it, so the block belongs to this transaction alone.
            let sequence = format!("{}_id_seq", table.name());
            diesel::sql_query(format!(
                "SELECT setval('{sequence}', nextval('{sequence}') + $1 - 1) - $1 + 1 AS id"
            ))
            .bind::<BigInt, _>(count)
            .get_result::<NextId>(c)?
        }
    };
    Ok(next.id)
}

/// After a bulk load: PostgreSQL's planner needs fresh statistics to see that a subtree listing
/// is best walked in index order (without them it may sort a million rows for a page of 50);
/// autovacuum would get there, later. SQLite's plans here need none.
pub fn refresh_statistics(conn: &mut DbConnection) -> StoreResult<()> {
    if let DbConnection::Pg(c) = conn {
        diesel::sql_query("ANALYZE groups, devices, device_history").execute(c)?;
    }
    Ok(())
}
