use diesel::prelude::*;
use tenantry_domain::{Device, DeviceId, DomainError, Group, SessionStatus};

use super::row::DeviceRow;
use crate::db::DbConnection;
use crate::error::{StoreError, StoreResult};
use crate::groups::{Scope, in_subtree};
use crate::page::{Page, PageRequest};
use crate::schema::{devices, groups};

diesel::define_sql_function! {
    /// SQL's lower() (the same in SQLite and PostgreSQL for what names hold).
    fn lower(text: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// One device whose group lies in `scope`; `not_found` otherwise, as for an id never used.
pub fn get(conn: &mut DbConnection, scope: &Scope, id: DeviceId) -> StoreResult<Device> {
    devices::table
        .inner_join(groups::table)
        .filter(devices::id.eq(id.0))
        .filter(in_subtree(scope))
        .select(DeviceRow::as_select())
        .first::<DeviceRow>(conn)
        .optional()?
        .ok_or(StoreError::Domain(DomainError::NotFound { what: "device" }))
        .and_then(Device::try_from)
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
}

/// The devices of `group` (a group the caller may see, from `groups::get`), or of its whole
/// subtree, by id.
pub fn list(
    conn: &mut DbConnection,
    group: &Group,
    filter: &DeviceFilter,
    page: &PageRequest,
) -> StoreResult<Page<Device>> {
    let after: i64 = page
        .after
        .as_ref()
        .and_then(|cursor| cursor.key().parse().ok())
        .unwrap_or(0);
    let mut query = devices::table
        .inner_join(groups::table)
        .filter(devices::id.gt(after))
        .select(DeviceRow::as_select())
        .order(devices::id.asc())
        .limit(page.limit + 1)
        .into_boxed();
    query = if filter.descendants {
        query.filter(in_subtree(&group.path))
    } else {
        query.filter(devices::group_id.eq(group.id.0))
    };
    match filter.status {
        Some(Some(status)) => query = query.filter(devices::status.eq(status.as_str())),
        Some(None) => query = query.filter(devices::status.is_null()),
        None => {}
    }
    if let Some(os) = &filter.os {
        query = query.filter(devices::os.eq(os.clone()));
    }
    if let Some(name) = &filter.name {
        // lower() on both sides: PostgreSQL's LIKE minds case, SQLite's does not.
        query = query.filter(
            lower(devices::name)
                .like(contains(&name.to_lowercase()))
                .escape('\\'),
        );
    }
    let rows = query.load::<DeviceRow>(conn)?;
    let devices = rows
        .into_iter()
        .map(Device::try_from)
        .collect::<StoreResult<Vec<_>>>()?;
    let keyed: Vec<(Device, String)> = devices
        .into_iter()
        .map(|d| {
            let key = d.id.0.to_string();
            (d, key)
        })
        .collect();
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
