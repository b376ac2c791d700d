//! Lifecycle events as plugins receive them: the same JSON the host's domain events serialize
//! to (a host test pins that), read tolerantly so that new fields and new kinds of event do not
//! break an older plugin.

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    GroupCreated {
        group_id: i64,
        parent_id: i64,
        name: String,
        level: String,
        at: String,
    },
    GroupUpdated {
        group_id: i64,
        /// One entry per changed field: `{"field": "name", "before": …, "after": …}`.
        changes: Vec<Change>,
        at: String,
    },
    GroupMoved {
        group_id: i64,
        from_parent: i64,
        to_parent: i64,
        #[serde(default)]
        subtree_size: i64,
        at: String,
    },
    GroupDeleted {
        group_id: i64,
        parent_id: i64,
        name: String,
        at: String,
    },
    /// A kind of event this plugin was built before.
    #[serde(other)]
    Unknown,
}

impl Event {
    /// The group the event is about (`None` for an unknown kind).
    pub fn group_id(&self) -> Option<i64> {
        match self {
            Event::GroupCreated { group_id, .. }
            | Event::GroupUpdated { group_id, .. }
            | Event::GroupMoved { group_id, .. }
            | Event::GroupDeleted { group_id, .. } => Some(*group_id),
            Event::Unknown => None,
        }
    }
}

/// One changed field of a `GroupUpdated`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub field: String,
    #[serde(default)]
    pub before: Value,
    #[serde(default)]
    pub after: Value,
}
