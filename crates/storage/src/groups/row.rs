use chrono::NaiveDateTime;
use diesel::prelude::*;
use tenantry_domain::{Group, GroupId, GroupState, Level, ServiceType, StoredState, TreePath};

use crate::error::StoreError;
use crate::schema::groups;

/// A `groups` row as diesel reads it.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = groups)]
pub(crate) struct GroupRow {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub path: String,
    pub name: String,
    pub level: i32,
    pub service_type: String,
    pub state: String,
    pub trial_expires_at: Option<NaiveDateTime>,
    pub customer_reference: Option<String>,
    pub automatic_deployment: bool,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A `groups` row as diesel writes it. `None` is written as NULL rather than DEFAULT, so the
/// INSERT's SQL is the same for every row and its prepared statement is cached.
#[derive(Debug, Insertable)]
#[diesel(table_name = groups, treat_none_as_default_value = false)]
pub(crate) struct NewGroupRow {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub path: String,
    pub name: String,
    pub name_key: String,
    pub level: i32,
    pub service_type: String,
    pub state: String,
    pub trial_expires_at: Option<NaiveDateTime>,
    pub customer_reference: Option<String>,
    pub automatic_deployment: bool,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl TryFrom<GroupRow> for Group {
    type Error = StoreError;

    fn try_from(row: GroupRow) -> Result<Group, StoreError> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("group {}: bad {what}", row.id));
        Ok(Group {
            id: GroupId(row.id),
            parent_id: row.parent_id.map(GroupId),
            level: Level::from_rank(row.level).ok_or_else(|| corrupt("level"))?,
            service_type: ServiceType::parse(&row.service_type)
                .ok_or_else(|| corrupt("service type"))?,
            state: StoredState {
                state: GroupState::parse(&row.state).ok_or_else(|| corrupt("state"))?,
                trial_expires_at: row.trial_expires_at.map(|t| t.and_utc()),
            },
            path: TreePath::from_stored(row.path),
            name: row.name,
            customer_reference: row.customer_reference,
            automatic_deployment: row.automatic_deployment,
            version: row.version,
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
        })
    }
}

pub(crate) fn into_groups(rows: Vec<GroupRow>) -> Result<Vec<Group>, StoreError> {
    rows.into_iter().map(Group::try_from).collect()
}
