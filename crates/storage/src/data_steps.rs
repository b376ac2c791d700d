//! Changes to stored data that SQL alone cannot make, because they need the domain's own code:
//! each runs once per database, after the migrations, in one write transaction that first
//! records it in `data_steps` (a replica starting at the same time finds it recorded and skips
//! it; one that fails is tried again at the next start).

use diesel::prelude::*;
use tenantry_domain::{GroupName, Username};

use crate::db::{Storage, Writer};
use crate::error::StoreResult;
use crate::schema::{groups, users};

/// A step's name, recorded once done, and what it does.
type Step = (&'static str, fn(&mut Writer<'_>) -> StoreResult<usize>);

const STEPS: [Step; 1] = [("2026-12-07-name-keys-nfkc", name_keys)];

/// Runs every step this database has not had yet.
pub fn run_pending(storage: &Storage) -> StoreResult<()> {
    for (name, step) in STEPS {
        let changed = storage.write(|w| {
            // The same SQL on both backends (diesel's upsert builder does not span them); the
            // name is one of the constants above.
            let claimed = diesel::sql_query(format!(
                "INSERT INTO data_steps (name, done_at) VALUES ('{name}', CURRENT_TIMESTAMP) \
                 ON CONFLICT (name) DO NOTHING"
            ))
            .execute(w.conn())?;
            if claimed == 0 {
                return Ok(None);
            }
            step(w).map(Some)
        })?;
        if let Some(changed) = changed {
            log::info!("data step {name}: {changed} row(s) changed");
        }
    }
    Ok(())
}

const BATCH: i64 = 1000;

/// Group names and usernames are compared by a key: NFKC-normalised and lower-cased. Keys
/// written before the normalisation were only lower-cased, so a name stored with full-width
/// letters (`Ａｃｍｅ`) kept a key that a login typed any way could no longer match. Each such
/// key is written again, unless another row already holds the new one (two names that are one
/// name now: both kept as they are, and the server logs them for an administrator to rename).
pub fn name_keys(w: &mut Writer<'_>) -> StoreResult<usize> {
    let mut changed = 0;
    let mut after = 0_i64;
    loop {
        let batch: Vec<(i64, String, String)> = groups::table
            .filter(groups::id.gt(after))
            .order(groups::id)
            .select((groups::id, groups::name, groups::name_key))
            .limit(BATCH)
            .load(w.conn())?;
        let Some(last) = batch.last() else { break };
        after = last.0;
        for (id, name, key) in batch {
            let new = GroupName::key_of(&name);
            if new == key {
                continue;
            }
            let taken = groups::table
                .filter(groups::name_key.eq(&new))
                .select(groups::id)
                .first::<i64>(w.conn())
                .optional()?;
            if let Some(other) = taken {
                log::warn!("groups {id} and {other} now have the same name ({name:?}): rename one");
                continue;
            }
            diesel::update(groups::table.find(id))
                .set(groups::name_key.eq(&new))
                .execute(w.conn())?;
            changed += 1;
        }
    }
    let mut after = 0_i64;
    loop {
        let batch: Vec<(i64, i64, String, String)> = users::table
            .filter(users::id.gt(after))
            .order(users::id)
            .select((
                users::id,
                users::group_id,
                users::username,
                users::username_key,
            ))
            .limit(BATCH)
            .load(w.conn())?;
        let Some(last) = batch.last() else { break };
        after = last.0;
        for (id, group, username, key) in batch {
            let new = Username::key_of(&username);
            if new == key {
                continue;
            }
            let taken = users::table
                .filter(users::group_id.eq(group))
                .filter(users::username_key.eq(&new))
                .select(users::id)
                .first::<i64>(w.conn())
                .optional()?;
            if let Some(other) = taken {
                log::warn!(
                    "users {id} and {other} of group {group} now have the same username \
                     ({username:?}): change one"
                );
                continue;
            }
            diesel::update(users::table.find(id))
                .set(users::username_key.eq(&new))
                .execute(w.conn())?;
            changed += 1;
        }
    }
    Ok(changed)
}
