use chrono::NaiveDateTime;
use diesel::prelude::*;
use tenantry_domain::{Device, DeviceId, GroupId, SessionStatus};

use crate::error::StoreError;
use crate::schema::devices;

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = devices)]
pub(crate) struct DeviceRow {
    pub id: i64,
    pub group_id: i64,
    pub name: String,
    pub os: String,
    pub enrolled: bool,
    pub status: Option<String>,
    pub selected_bytes: i64,
    pub used_bytes: i64,
    pub last_session_at: Option<NaiveDateTime>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub passphrase_by: Option<i64>,
    pub passphrase_at: Option<NaiveDateTime>,
    pub profile_id: Option<i64>,
    pub retention_policy_id: Option<i64>,
    pub machine_id: Option<String>,
}

impl TryFrom<DeviceRow> for Device {
    type Error = StoreError;

    fn try_from(row: DeviceRow) -> Result<Device, StoreError> {
        let status = row
            .status
            .as_deref()
            .map(|s| {
                SessionStatus::parse(s)
                    .ok_or_else(|| StoreError::Corrupt(format!("device {}: status {s:?}", row.id)))
            })
            .transpose()?;
        Ok(Device {
            id: DeviceId(row.id),
            group_id: GroupId(row.group_id),
            name: row.name,
            os: row.os,
            enrolled: row.enrolled,
            status,
            selected_bytes: row.selected_bytes,
            used_bytes: row.used_bytes,
            last_session_at: row.last_session_at.map(|t| t.and_utc()),
            version: row.version,
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
            passphrase_by: row.passphrase_by.map(tenantry_domain::UserId),
            passphrase_at: row.passphrase_at.map(|t| t.and_utc()),
            profile_id: row.profile_id,
            retention_policy_id: row.retention_policy_id,
            machine_id: row.machine_id,
        })
    }
}
