//! Changes to stored data that SQL alone cannot make, because they need the domain's own code:
//! each runs once per database, after the migrations, in one write transaction that first
//! records it in `data_steps`. A replica starting at the same time waits for that transaction
//! (trying again while the database is busy, as migrations do), then finds the step recorded
//! and skips it. A step that fails is logged and tried again at the next start: it mends data,
//! and the server serves meanwhile.

use std::time::{Duration, Instant};

use diesel::prelude::*;
use tenantry_domain::{GroupName, Username};

use crate::db::{DbConnection, Storage, Writer};
use crate::error::{StoreError, StoreResult};
use crate::schema::{groups, users};

/// A step's name, recorded once done, and what it does.
type Step = (&'static str, fn(&mut Writer<'_>) -> StoreResult<usize>);

/// Names are written into SQL text (see below): letters, digits and dashes only, which a test
/// checks.
const STEPS: [Step; 1] = [("2026-12-07-name-keys-nfkc", name_keys)];

/// How long a start waits for another replica's step, as for its migrations.
const PATIENCE: Duration = Duration::from_secs(600);

/// Runs every step this database has not had yet.
pub fn run_pending(storage: &Storage) {
    for (name, step) in STEPS {
        let started = Instant::now();
        let outcome = loop {
            match storage.write(|w| claim_and_run(w, name, step)) {
                Err(StoreError::Busy(_)) if started.elapsed() < PATIENCE => {
                    log::info!("data step {name}: waiting for another server");
                }
                other => break other,
            }
        };
        match outcome {
            Ok(Some(changed)) => log::info!("data step {name}: {changed} row(s) changed"),
            Ok(None) => {}
            Err(error) => {
                log::error!("data step {name} failed; tried again at the next start: {error}")
            }
        }
    }
}

fn claim_and_run(
    w: &mut Writer<'_>,
    name: &str,
    step: fn(&mut Writer<'_>) -> StoreResult<usize>,
) -> StoreResult<Option<usize>> {
    // The same SQL on both backends (diesel's upsert builder does not span them); the name is
    // one of the constants above.
    let claimed = diesel::sql_query(format!(
        "INSERT INTO data_steps (name, done_at) VALUES ('{name}', CURRENT_TIMESTAMP) \
         ON CONFLICT (name) DO NOTHING"
    ))
    .execute(w.conn())?;
    if claimed == 0 {
        return Ok(None);
    }
    step(w).map(Some)
}

const BATCH: i64 = 1000;

/// A stored name and its key: `(id, scope, name, key)`, where the key is unique within the
/// scope (the installation for groups, the group for usernames).
type Keyed = (i64, i64, String, String);

/// One kind of keyed name: how to read a batch, compute a key, find the key's holder and write it.
struct KeyedNames {
    what: &'static str,
    batch: fn(&mut DbConnection, i64) -> QueryResult<Vec<Keyed>>,
    key_of: fn(&str) -> String,
    holder: fn(&mut DbConnection, i64, &str) -> QueryResult<Option<i64>>,
    set: fn(&mut DbConnection, i64, &str) -> QueryResult<usize>,
}

const GROUP_NAMES: KeyedNames = KeyedNames {
    what: "group names",
    batch: |c, after| {
        groups::table
            .filter(groups::id.gt(after))
            .order(groups::id)
            .select((groups::id, groups::id, groups::name, groups::name_key))
            .limit(BATCH)
            .load(c)
    },
    key_of: GroupName::key_of,
    holder: |c, _, key| {
        groups::table
            .filter(groups::name_key.eq(key))
            .select(groups::id)
            .first(c)
            .optional()
    },
    set: |c, id, key| {
        diesel::update(groups::table.find(id))
            .set(groups::name_key.eq(key))
            .execute(c)
    },
};

const USERNAMES: KeyedNames = KeyedNames {
    what: "usernames",
    batch: |c, after| {
        users::table
            .filter(users::id.gt(after))
            .order(users::id)
            .select((
                users::id,
                users::group_id,
                users::username,
                users::username_key,
            ))
            .limit(BATCH)
            .load(c)
    },
    key_of: Username::key_of,
    holder: |c, group, key| {
        users::table
            .filter(users::group_id.eq(group))
            .filter(users::username_key.eq(key))
            .select(users::id)
            .first(c)
            .optional()
    },
    set: |c, id, key| {
        diesel::update(users::table.find(id))
            .set(users::username_key.eq(key))
            .execute(c)
    },
};

/// Group names and usernames are compared by a key: NFKC-normalised and lower-cased. Keys
/// written before the normalisation were only lower-cased, so a name stored with full-width
/// letters (`Ｗｉｄｅ Ｃｏ`) kept a key that a login typed any way could no longer match. Each
/// such key is written again, unless another row already holds the new one (two names that are
/// one name now: both kept as they are, and the log names them for an administrator to rename).
pub fn name_keys(w: &mut Writer<'_>) -> StoreResult<usize> {
    let mut changed = 0;
    for names in [GROUP_NAMES, USERNAMES] {
        let mut after = 0;
        loop {
            let batch = (names.batch)(w.conn(), after)?;
            let Some(last) = batch.last() else { break };
            after = last.0;
            for (id, scope, name, key) in batch {
                let new = (names.key_of)(&name);
                if new == key {
                    continue;
                }
                if let Some(other) = (names.holder)(w.conn(), scope, &new)? {
                    log::warn!(
                        "{}: {id} and {other} are one name now ({name:?}): rename one",
                        names.what
                    );
                    continue;
                }
                changed += (names.set)(w.conn(), id, &new)?;
            }
        }
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_names_are_safe_in_sql_text() {
        for (name, _) in STEPS {
            assert!(
                !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{name}"
            );
        }
    }
}
