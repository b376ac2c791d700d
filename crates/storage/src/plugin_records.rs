//! Records that plugins keep in the host's database: each belongs to one plugin and one group,
//! in a named collection, with a sort key lists order and filter by. They go with their group
//! (a cascading foreign key, in the removal's own transaction).

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use tenantry_domain::{DomainError, GroupId, TreePath};

use crate::db::{DbConnection, Writer};
use crate::error::{StoreError, StoreResult};
use crate::page::{Cursor, Page};
use crate::schema::{groups, plugin_records};

/// A plugin's record; `data` is JSON text.
#[derive(Clone, Debug, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = plugin_records)]
pub struct PluginRecord {
    pub id: i64,
    pub plugin: String,
    pub group_id: i64,
    pub collection: String,
    pub sort_key: String,
    pub data: String,
    /// UTC.
    pub created_at: NaiveDateTime,
    /// UTC.
    pub updated_at: NaiveDateTime,
}

/// Which plugin's records of which group and collection.
#[derive(Clone, Copy, Debug)]
pub struct Collection<'a> {
    pub plugin: &'a str,
    pub group: GroupId,
    pub name: &'a str,
}

/// A page of records: newest (highest sort key) first when `descending`, and only sort keys in
/// `[from, to)` when given.
#[derive(Clone, Debug, Default)]
pub struct RecordQuery {
    pub descending: bool,
    pub from: Option<String>,
    pub to: Option<String>,
    pub after: Option<Cursor>,
    pub limit: i64,
}

const MAX_COLLECTION_CHARS: usize = 64;
const MAX_SORT_KEY_CHARS: usize = 200;
/// A record is small data (a contact, a branding); images are the largest (a 512 kB logo as
/// base64 is about 700 kB).
const MAX_DATA_BYTES: usize = 1 << 20;

fn check(collection: &Collection<'_>, sort_key: &str, data: &str) -> StoreResult<()> {
    let bad = |message: String| StoreError::Domain(DomainError::invalid("record", message));
    if collection.name.is_empty() || collection.name.chars().count() > MAX_COLLECTION_CHARS {
        return Err(bad(format!(
            "a collection name has 1 to {MAX_COLLECTION_CHARS} characters"
        )));
    }
    if sort_key.chars().count() > MAX_SORT_KEY_CHARS {
        return Err(bad(format!(
            "a sort key has at most {MAX_SORT_KEY_CHARS} characters"
        )));
    }
    if data.len() > MAX_DATA_BYTES {
        return Err(bad(format!(
            "a record holds at most {MAX_DATA_BYTES} bytes"
        )));
    }
    Ok(())
}

fn of(
    collection: &Collection<'_>,
) -> plugin_records::BoxedQuery<'static, <DbConnection as Connection>::Backend> {
    plugin_records::table
        .filter(plugin_records::plugin.eq(collection.plugin.to_owned()))
        .filter(plugin_records::group_id.eq(collection.group.0))
        .filter(plugin_records::collection.eq(collection.name.to_owned()))
        .into_boxed()
}

/// Creates a record (`id` none) or replaces one of the same collection (`not_found` if there
/// is none with that id). With `if_sort_key`, replaces it only if its sort key still is that
/// (`conflict` otherwise): a compare-and-set, so that of two servers claiming the same due
/// record one wins (on PostgreSQL the loser's update waits for the winner's commit, then finds
/// the key changed).
pub fn put(
    w: &mut Writer<'_>,
    collection: Collection<'_>,
    id: Option<i64>,
    if_sort_key: Option<&str>,
    sort_key: &str,
    data: &str,
    now: DateTime<Utc>,
) -> StoreResult<PluginRecord> {
    check(&collection, sort_key, data)?;
    let conn = w.conn();
    if let Some(id) = id {
        let target = plugin_records::table
            .filter(plugin_records::id.eq(id))
            .filter(plugin_records::plugin.eq(collection.plugin))
            .filter(plugin_records::group_id.eq(collection.group.0))
            .filter(plugin_records::collection.eq(collection.name));
        let changes = (
            plugin_records::sort_key.eq(sort_key),
            plugin_records::data.eq(data),
            plugin_records::updated_at.eq(now.naive_utc()),
        );
        let changed = match if_sort_key {
            Some(expected) => diesel::update(target.filter(plugin_records::sort_key.eq(expected)))
                .set(changes)
                .execute(conn)?,
            None => diesel::update(target).set(changes).execute(conn)?,
        };
        if changed == 0 {
            if if_sort_key.is_some() && get(conn, collection, id)?.is_some() {
                return Err(DomainError::Conflict {
                    message: "the record changed meanwhile".to_owned(),
                }
                .into());
            }
            return Err(DomainError::NotFound { what: "record" }.into());
        }
        return get(conn, collection, id)?
            .ok_or(StoreError::Domain(DomainError::NotFound { what: "record" }));
    }
    let row = (
        plugin_records::plugin.eq(collection.plugin),
        plugin_records::group_id.eq(collection.group.0),
        plugin_records::collection.eq(collection.name),
        plugin_records::sort_key.eq(sort_key),
        plugin_records::data.eq(data),
        plugin_records::created_at.eq(now.naive_utc()),
        plugin_records::updated_at.eq(now.naive_utc()),
    );
    let id = on_backend!(conn, |c| diesel::insert_into(plugin_records::table)
        .values(row)
        .returning(plugin_records::id)
        .get_result(c)?);
    // Everything else is what was just written: no second read (hooks write on hot paths).
    Ok(PluginRecord {
        id,
        plugin: collection.plugin.to_owned(),
        group_id: collection.group.0,
        collection: collection.name.to_owned(),
        sort_key: sort_key.to_owned(),
        data: data.to_owned(),
        created_at: now.naive_utc(),
        updated_at: now.naive_utc(),
    })
}

pub fn get(
    conn: &mut DbConnection,
    collection: Collection<'_>,
    id: i64,
) -> StoreResult<Option<PluginRecord>> {
    Ok(of(&collection)
        .filter(plugin_records::id.eq(id))
        .select(PluginRecord::as_select())
        .first(conn)
        .optional()?)
}

/// A page of a collection, ordered by sort key then id.
pub fn list(
    conn: &mut DbConnection,
    collection: Collection<'_>,
    query: &RecordQuery,
) -> StoreResult<Page<PluginRecord>> {
    let mut rows = of(&collection);
    if let Some(from) = &query.from {
        rows = rows.filter(plugin_records::sort_key.ge(from.clone()));
    }
    if let Some(to) = &query.to {
        rows = rows.filter(plugin_records::sort_key.lt(to.clone()));
    }
    if let Some((id, key)) = query.after.as_ref().and_then(|c| split_cursor(&c.key())) {
        rows = if query.descending {
            rows.filter(
                plugin_records::sort_key
                    .lt(key.clone())
                    .or(plugin_records::sort_key
                        .eq(key)
                        .and(plugin_records::id.lt(id))),
            )
        } else {
            rows.filter(
                plugin_records::sort_key
                    .gt(key.clone())
                    .or(plugin_records::sort_key
                        .eq(key)
                        .and(plugin_records::id.gt(id))),
            )
        };
    }
    rows = if query.descending {
        rows.order((plugin_records::sort_key.desc(), plugin_records::id.desc()))
    } else {
        rows.order((plugin_records::sort_key.asc(), plugin_records::id.asc()))
    };
    let found = rows
        .select(PluginRecord::as_select())
        .limit(query.limit + 1)
        .load::<PluginRecord>(conn)?;
    let keyed: Vec<(PluginRecord, String)> = found
        .into_iter()
        .map(|r| {
            let key = format!("{}:{}", r.id, r.sort_key);
            (r, key)
        })
        .collect();
    let page = Page::from_overfetch(keyed, query.limit, |(_, key)| key.as_str());
    Ok(Page {
        items: page.items.into_iter().map(|(r, _)| r).collect(),
        next: page.next,
    })
}

/// Records of a collection, in every group of the subtree at `scope`, whose sort key is not
/// empty and at most `until`, lowest first: for a scheduler whose sort key is a record's next
/// run (an RFC 3339 UTC time, whose text order is time order).
pub fn due(
    conn: &mut DbConnection,
    plugin: &str,
    collection: &str,
    scope: &TreePath,
    until: &str,
    limit: i64,
) -> StoreResult<Vec<PluginRecord>> {
    Ok(plugin_records::table
        .inner_join(groups::table)
        .filter(plugin_records::plugin.eq(plugin))
        .filter(plugin_records::collection.eq(collection))
        .filter(plugin_records::sort_key.ne(""))
        .filter(plugin_records::sort_key.le(until))
        .filter(groups::path.ge(scope.as_str()))
        .filter(groups::path.lt(scope.subtree_end()))
        .order((plugin_records::sort_key, plugin_records::id))
        .limit(limit)
        .select(PluginRecord::as_select())
        .load(conn)?)
}

/// A record cursor's key is `id:sort_key`.
fn split_cursor(key: &str) -> Option<(i64, String)> {
    let (id, sort_key) = key.split_once(':')?;
    Some((id.parse().ok()?, sort_key.to_owned()))
}

/// Whether there was such a record to delete.
pub fn delete(w: &mut Writer<'_>, collection: Collection<'_>, id: i64) -> StoreResult<bool> {
    let removed = diesel::delete(
        plugin_records::table
            .filter(plugin_records::id.eq(id))
            .filter(plugin_records::plugin.eq(collection.plugin))
            .filter(plugin_records::group_id.eq(collection.group.0))
            .filter(plugin_records::collection.eq(collection.name)),
    )
    .execute(w.conn())?;
    Ok(removed > 0)
}

/// Removes a whole collection of a group; returns how many records went.
pub fn delete_collection(w: &mut Writer<'_>, collection: Collection<'_>) -> StoreResult<i64> {
    let removed = diesel::delete(
        plugin_records::table
            .filter(plugin_records::plugin.eq(collection.plugin))
            .filter(plugin_records::group_id.eq(collection.group.0))
            .filter(plugin_records::collection.eq(collection.name)),
    )
    .execute(w.conn())?;
    Ok(removed as i64)
}

/// At most this many characters in a record's unique key.
const MAX_KEY_CHARS: usize = 200;

/// Gives a record a key that no other record of the plugin's collection holds, in any group (a
/// white-label login address), or takes its key away (`None`). A key another record holds:
/// `conflict`. Two transactions taking one key at once meet at the unique index: the second
/// fails with the same `conflict` when the first commits.
pub fn set_key(
    w: &mut Writer<'_>,
    collection: Collection<'_>,
    id: i64,
    key: Option<&str>,
) -> StoreResult<()> {
    let taken = || {
        StoreError::Domain(DomainError::Conflict {
            message: "another record holds this key".to_owned(),
        })
    };
    let conn = w.conn();
    if let Some(key) = key {
        if key.is_empty() || key.chars().count() > MAX_KEY_CHARS {
            return Err(StoreError::Domain(DomainError::invalid(
                "key",
                format!("a key has 1 to {MAX_KEY_CHARS} characters"),
            )));
        }
        // Said before the write, so that PostgreSQL's transaction is not aborted by the index.
        let holder: Option<i64> = plugin_records::table
            .filter(plugin_records::plugin.eq(collection.plugin))
            .filter(plugin_records::collection.eq(collection.name))
            .filter(plugin_records::unique_key.eq(key))
            .select(plugin_records::id)
            .first(conn)
            .optional()?;
        if holder.is_some_and(|holder| holder != id) {
            return Err(taken());
        }
    }
    let target = plugin_records::table
        .filter(plugin_records::id.eq(id))
        .filter(plugin_records::plugin.eq(collection.plugin))
        .filter(plugin_records::group_id.eq(collection.group.0))
        .filter(plugin_records::collection.eq(collection.name));
    let changed = diesel::update(target)
        .set(plugin_records::unique_key.eq(key))
        .execute(conn)
        .map_err(|error| match error {
            diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            ) => taken(),
            other => other.into(),
        })?;
    if changed == 0 {
        return Err(DomainError::NotFound { what: "record" }.into());
    }
    Ok(())
}

/// The record of a plugin's collection that holds `key`, in whichever group.
pub fn find_by_key(
    conn: &mut DbConnection,
    plugin: &str,
    collection: &str,
    key: &str,
) -> StoreResult<Option<PluginRecord>> {
    Ok(plugin_records::table
        .filter(plugin_records::plugin.eq(plugin))
        .filter(plugin_records::collection.eq(collection))
        .filter(plugin_records::unique_key.eq(key))
        .select(PluginRecord::as_select())
        .first(conn)
        .optional()?)
}
