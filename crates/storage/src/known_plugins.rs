//! The plugins this installation has run, and their routes' paths: what lets a plugin that is
//! no longer enabled answer `plugin_not_enabled` on its old paths, rather than a bare 404 that
//! would read as "this group has no such thing".

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::db::{DbConnection, Writer};
use crate::error::{StoreError, StoreResult};
use crate::schema::known_plugins;

/// A plugin once run here, and the route paths it had then (`/groups/{id}/contacts`, …).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KnownPlugin {
    pub name: String,
    pub route_paths: Vec<String>,
}

/// Records a loaded plugin's route paths (replacing what an earlier start recorded).
pub fn remember(
    w: &mut Writer<'_>,
    name: &str,
    route_paths: &[String],
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let paths = serde_json::to_string(route_paths)
        .map_err(|e| StoreError::Corrupt(format!("route paths: {e}")))?;
    let now = now.naive_utc();
    let updated = diesel::update(known_plugins::table.find(name))
        .set((
            known_plugins::route_paths.eq(&paths),
            known_plugins::seen_at.eq(now),
        ))
        .execute(w.conn())?;
    if updated == 0 {
        diesel::insert_into(known_plugins::table)
            .values((
                known_plugins::name.eq(name),
                known_plugins::route_paths.eq(&paths),
                known_plugins::seen_at.eq(now),
            ))
            .execute(w.conn())?;
    }
    Ok(())
}

/// Every plugin ever recorded, by name.
pub fn all(conn: &mut DbConnection) -> StoreResult<Vec<KnownPlugin>> {
    let rows: Vec<(String, String)> = known_plugins::table
        .order(known_plugins::name)
        .select((known_plugins::name, known_plugins::route_paths))
        .load(conn)?;
    rows.into_iter()
        .map(|(name, paths)| {
            let route_paths = serde_json::from_str(&paths).map_err(|e| {
                StoreError::Corrupt(format!("the known routes of plugin {name}: {e}"))
            })?;
            Ok(KnownPlugin { name, route_paths })
        })
        .collect()
}
