use diesel::prelude::*;
use tenantry_domain::{Device, DeviceId, DomainError};

use super::row::DeviceRow;
use crate::db::DbConnection;
use crate::error::{StoreError, StoreResult};
use crate::groups::{Scope, in_subtree};
use crate::schema::{devices, groups};

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
