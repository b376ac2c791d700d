//! Device listings: a group's own devices or its whole subtree's, filtered, in one of a few
//! orders, a page at a time with keyset cursors (a cursor holds the last row's sort key, so a
//! page costs the same however deep into the list it is).
//!
//! The default order is the tree's: devices grouped by their group, groups in tree order, by id
//! within a group. It is the one that needs no sorting: the groups' path index yields the
//! groups in order and the devices' `(group_id, id)` index each group's devices in order, so the
//! first page of a distributor with a million devices reads about one page of rows. The other
//! orders sort the matching devices of the subtree, at a cost that grows with it (measured in
//! `docs/benchmarks.md`).

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use tenantry_domain::{Device, DomainError, Group, SessionStatus};

use super::row::DeviceRow;
use crate::db::DbConnection;
use crate::error::StoreResult;
use crate::groups::in_subtree;
use crate::page::{Cursor, Page, PageRequest};
use crate::schema::{devices, groups};

diesel::define_sql_function! {
    /// SQL's lower() (the same in SQLite and PostgreSQL for what names hold).
    fn lower(text: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// The order of a listing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DeviceSort {
    /// By group in tree order, then by id.
    #[default]
    Tree,
    /// By name ignoring case, then id; `descending` reverses both.
    Name { descending: bool },
    /// By used storage, then id.
    UsedBytes { descending: bool },
    /// Ascending: never reported first, then the longest ago (the devices to worry about);
    /// descending: the most recent first, never reported last.
    LastSession { descending: bool },
}

impl DeviceSort {
    /// `tree`, `name`, `used_bytes`, `last_session_at`, each but `tree` also with a leading `-`
    /// for descending.
    pub fn parse(text: &str) -> Option<DeviceSort> {
        let (descending, key) = match text.strip_prefix('-') {
            Some(key) => (true, key),
            None => (false, text),
        };
        Some(match key {
            "tree" if !descending => DeviceSort::Tree,
            "name" => DeviceSort::Name { descending },
            "used_bytes" => DeviceSort::UsedBytes { descending },
            "last_session_at" => DeviceSort::LastSession { descending },
            _ => return None,
        })
    }

    /// The first letter of a cursor of this order: a cursor from another order is refused.
    fn tag(self) -> &'static str {
        match self {
            DeviceSort::Tree => "t",
            DeviceSort::Name { descending: false } => "n",
            DeviceSort::Name { descending: true } => "N",
            DeviceSort::UsedBytes { descending: false } => "u",
            DeviceSort::UsedBytes { descending: true } => "U",
            DeviceSort::LastSession { descending: false } => "l",
            DeviceSort::LastSession { descending: true } => "L",
        }
    }
}

/// Which devices to list.
#[derive(Clone, Debug, Default)]
pub struct DeviceFilter {
    /// The whole subtree of the group rather than the group alone.
    pub descendants: bool,
    /// `Some(None)`: devices that never reported a session.
    pub status: Option<Option<SessionStatus>>,
    /// Exactly (case-insensitive).
    pub os: Option<String>,
    /// A case-insensitive part of the name.
    pub name: Option<String>,
    /// Devices whose last session ended before this moment, or that never reported.
    pub last_session_before: Option<DateTime<Utc>>,
    /// Devices whose last session ended at or after this moment.
    pub last_session_since: Option<DateTime<Utc>>,
    pub sort: DeviceSort,
}

/// The sort key of the row a cursor points after.
#[derive(Clone, Debug, PartialEq)]
enum After {
    Tree { path: String, id: i64 },
    Name { name: String, id: i64 },
    UsedBytes { bytes: i64, id: i64 },
    LastSession { at: Option<NaiveDateTime>, id: i64 },
}

/// Microseconds: every timestamp the server keeps has that precision (`crate::now`, reports).
const TIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.6f";

impl After {
    /// The cursor key of a listed device: `tag|id|key`, the key last because a name may hold
    /// any character. Tree paths are relative to the listed group, so no cursor names a group
    /// above it.
    fn key_of(sort: DeviceSort, device: &Device, path: &str, top: &Group) -> String {
        let key = match sort {
            DeviceSort::Tree => path
                .get(top.path.as_str().len() - 1..)
                .unwrap_or(path)
                .to_owned(),
            DeviceSort::Name { .. } => device.name.to_lowercase(),
            DeviceSort::UsedBytes { .. } => device.used_bytes.to_string(),
            DeviceSort::LastSession { .. } => device
                .last_session_at
                .map(|t| t.naive_utc().format(TIME_FORMAT).to_string())
                .unwrap_or_default(),
        };
        format!("{}|{}|{key}", sort.tag(), device.id.0)
    }

    fn parse(sort: DeviceSort, cursor: &Cursor, top: &Group) -> Result<After, DomainError> {
        let bad = || DomainError::invalid("cursor", "is not a cursor of this listing's order");
        let text = cursor.key();
        let mut parts = text.splitn(3, '|');
        let (Some(tag), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad());
        };
        let id: i64 = id.parse().map_err(|_| bad())?;
        if tag != sort.tag() {
            return Err(bad());
        }
        Ok(match sort {
            DeviceSort::Tree => {
                if !key.starts_with('/') || !key.ends_with('/') {
                    return Err(bad());
                }
                let top = top.path.as_str();
                After::Tree {
                    path: format!("{}{key}", &top[..top.len() - 1]),
                    id,
                }
            }
            DeviceSort::Name { .. } => After::Name {
                name: key.to_owned(),
                id,
            },
            DeviceSort::UsedBytes { .. } => After::UsedBytes {
                bytes: key.parse().map_err(|_| bad())?,
                id,
            },
            DeviceSort::LastSession { .. } => After::LastSession {
                at: match key {
                    "" => None,
                    text => {
                        Some(NaiveDateTime::parse_from_str(text, TIME_FORMAT).map_err(|_| bad())?)
                    }
                },
                id,
            },
        })
    }
}

/// The devices of `top` (a group the caller may see, from `groups::get`), or of its whole
/// subtree, filtered and in the filter's order.
pub fn list(
    conn: &mut DbConnection,
    top: &Group,
    filter: &DeviceFilter,
    page: &PageRequest,
) -> StoreResult<Page<Device>> {
    let after = page
        .after
        .as_ref()
        .map(|cursor| After::parse(filter.sort, cursor, top))
        .transpose()?;
    let mut query = devices::table
        .inner_join(groups::table)
        .select((DeviceRow::as_select(), groups::path))
        .limit(page.limit + 1)
        .into_boxed();
    query = if filter.descendants {
        query.filter(in_subtree(&top.path))
    } else {
        query.filter(devices::group_id.eq(top.id.0))
    };
    match filter.status {
        Some(Some(status)) => query = query.filter(devices::status.eq(status.as_str())),
        Some(None) => query = query.filter(devices::status.is_null()),
        None => {}
    }
    if let Some(os) = &filter.os {
        query = query.filter(lower(devices::os).eq(os.to_lowercase()));
    }
    if let Some(name) = &filter.name {
        // lower() on both sides: PostgreSQL's LIKE minds case, SQLite's does not.
        query = query.filter(
            lower(devices::name)
                .like(contains(&name.to_lowercase()))
                .escape('\\'),
        );
    }
    if let Some(before) = filter.last_session_before {
        query = query.filter(
            devices::last_session_at
                .lt(before.naive_utc())
                .or(devices::last_session_at.is_null()),
        );
    }
    if let Some(since) = filter.last_session_since {
        query = query.filter(devices::last_session_at.ge(since.naive_utc()));
    }
    query = match filter.sort {
        DeviceSort::Tree => query.order((groups::path.asc(), devices::id.asc())),
        DeviceSort::Name { descending: false } => {
            query.order((lower(devices::name).asc(), devices::id.asc()))
        }
        DeviceSort::Name { descending: true } => {
            query.order((lower(devices::name).desc(), devices::id.desc()))
        }
        DeviceSort::UsedBytes { descending: false } => {
            query.order((devices::used_bytes.asc(), devices::id.asc()))
        }
        DeviceSort::UsedBytes { descending: true } => {
            query.order((devices::used_bytes.desc(), devices::id.desc()))
        }
        // Never reported first, then oldest first: `false` sorts before `true` in both backends.
        DeviceSort::LastSession { descending: false } => query.order((
            devices::last_session_at.is_not_null().asc(),
            devices::last_session_at.asc(),
            devices::id.asc(),
        )),
        DeviceSort::LastSession { descending: true } => query.order((
            devices::last_session_at.is_null().asc(),
            devices::last_session_at.desc(),
            devices::id.desc(),
        )),
    };
    // After the cursor's row, in the same order. The leading `>=` (or `<=`) on the first key
    // lets an index seek straight to the cursor; the rest settles ties.
    query = match (filter.sort, after) {
        (_, None) => query,
        (DeviceSort::Tree, Some(After::Tree { path, id })) => query.filter(
            groups::path.ge(path.clone()).and(
                groups::path
                    .gt(path.clone())
                    .or(groups::path.eq(path).and(devices::id.gt(id))),
            ),
        ),
        (DeviceSort::Name { descending }, Some(After::Name { name, id })) => {
            let key = lower(devices::name);
            if descending {
                query.filter(
                    key.lt(name.clone())
                        .or(key.eq(name).and(devices::id.lt(id))),
                )
            } else {
                query.filter(
                    key.gt(name.clone())
                        .or(key.eq(name).and(devices::id.gt(id))),
                )
            }
        }
        (DeviceSort::UsedBytes { descending }, Some(After::UsedBytes { bytes, id })) => {
            let key = devices::used_bytes;
            if descending {
                query.filter(key.lt(bytes).or(key.eq(bytes).and(devices::id.lt(id))))
            } else {
                query.filter(key.gt(bytes).or(key.eq(bytes).and(devices::id.gt(id))))
            }
        }
        (DeviceSort::LastSession { descending }, Some(After::LastSession { at, id })) => {
            let key = devices::last_session_at;
            match (descending, at) {
                (false, None) => query.filter(key.is_not_null().or(devices::id.gt(id))),
                (false, Some(at)) => {
                    query.filter(key.gt(at).or(key.eq(at).and(devices::id.gt(id))))
                }
                (true, None) => query.filter(key.is_null().and(devices::id.lt(id))),
                (true, Some(at)) => query.filter(
                    key.is_null()
                        .or(key.lt(at))
                        .or(key.eq(at).and(devices::id.lt(id))),
                ),
            }
        }
        (_, Some(_)) => {
            return Err(
                DomainError::invalid("cursor", "is not a cursor of this listing's order").into(),
            );
        }
    };
    let rows = query.load::<(DeviceRow, String)>(conn)?;
    let mut keyed = Vec::with_capacity(rows.len());
    for (row, path) in rows {
        let device = Device::try_from(row)?;
        let key = After::key_of(filter.sort, &device, &path, top);
        keyed.push((device, key));
    }
    let page = Page::from_overfetch(keyed, page.limit, |(_, key)| key.as_str());
    Ok(Page {
        items: page.items.into_iter().map(|(d, _)| d).collect(),
        next: page.next,
    })
}

/// `%text%` for LIKE, with the caller's own wildcards taken literally.
fn contains(text: &str) -> String {
    let mut pattern = String::from("%");
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_parse_with_their_direction() {
        assert_eq!(DeviceSort::parse("tree"), Some(DeviceSort::Tree));
        assert_eq!(DeviceSort::parse("-tree"), None);
        assert_eq!(
            DeviceSort::parse("-name"),
            Some(DeviceSort::Name { descending: true })
        );
        assert_eq!(
            DeviceSort::parse("last_session_at"),
            Some(DeviceSort::LastSession { descending: false })
        );
        for bad in ["", "-", "id", "Name", "--name", "name "] {
            assert_eq!(DeviceSort::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn like_wildcards_are_taken_literally() {
        assert_eq!(contains("50%_a\\b"), "%50\\%\\_a\\\\b%");
    }
}
