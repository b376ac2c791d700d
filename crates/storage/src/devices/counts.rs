//! How many devices each group of a subtree holds itself: one read of the groups' own counts,
//! for a tree view with device counts (the client adds each group's count to its ancestors').

use diesel::prelude::*;
use tenantry_domain::Group;

use crate::db::DbConnection;
use crate::error::StoreResult;
use crate::schema::groups;

/// `(group id, devices)` for each group of `top`'s subtree that holds any, in tree order.
pub fn counts(conn: &mut DbConnection, top: &Group) -> StoreResult<Vec<(i64, i64)>> {
    Ok(groups::table
        .filter(groups::path.ge(top.path.as_str()))
        .filter(groups::path.lt(top.path.subtree_end()))
        .filter(groups::own_devices.gt(0))
        .order(groups::path)
        .select((groups::id, groups::own_devices))
        .load(conn)?)
}
