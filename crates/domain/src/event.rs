use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::{GroupId, GroupState, Level, ServiceType};

/// What happened to a group, as plain data: storage returns these from each change it commits,
/// and the server hands them on (to the log now; to plugins and the audit log later).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum GroupEvent {
    GroupCreated(GroupCreated),
    GroupUpdated(GroupUpdated),
    GroupMoved(GroupMoved),
    GroupDeleted(GroupDeleted),
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GroupCreated {
    pub group_id: GroupId,
    pub parent_id: GroupId,
    pub name: String,
    pub level: Level,
    pub at: DateTime<Utc>,
}

/// One changed field with its value before and after.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "field", rename_all = "snake_case")]
pub enum GroupChange {
    Name {
        before: String,
        after: String,
    },
    Level {
        before: Level,
        after: Level,
    },
    ServiceType {
        before: ServiceType,
        after: ServiceType,
    },
    State {
        before: GroupState,
        after: GroupState,
    },
    TrialExpiresAt {
        before: Option<DateTime<Utc>>,
        after: Option<DateTime<Utc>>,
    },
    CustomerReference {
        before: Option<String>,
        after: Option<String>,
    },
    AutomaticDeployment {
        before: bool,
        after: bool,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GroupUpdated {
    pub group_id: GroupId,
    pub changes: Vec<GroupChange>,
    pub at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GroupMoved {
    pub group_id: GroupId,
    pub from_parent: GroupId,
    pub to_parent: GroupId,
    /// How many groups moved along (the group itself included).
    pub subtree_size: i64,
    pub at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GroupDeleted {
    pub group_id: GroupId,
    pub parent_id: GroupId,
    pub name: String,
    pub at: DateTime<Utc>,
}
