use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{
    CustomerReference, DomainError, GroupName, GroupState, Level, Module, StateChange, StoredState,
    TreePath,
};

/// A group's id. It never changes, whatever happens to the group (rename, move, level change).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct GroupId(pub i64);

impl std::fmt::Display for GroupId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// What the provider delivers to the group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ServiceType {
    AllInclusive,
    SoftwareOnly,
}

impl ServiceType {
    pub const ALL: [ServiceType; 2] = [ServiceType::AllInclusive, ServiceType::SoftwareOnly];

    pub const fn as_str(self) -> &'static str {
        match self {
            ServiceType::AllInclusive => "all_inclusive",
            ServiceType::SoftwareOnly => "software_only",
        }
    }

    pub fn parse(text: &str) -> Option<ServiceType> {
        ServiceType::ALL
            .into_iter()
            .find(|service| service.as_str() == text)
    }
}

/// A group (customer) as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    pub id: GroupId,
    pub parent_id: Option<GroupId>,
    pub path: TreePath,
    pub name: String,
    pub level: Level,
    pub service_type: ServiceType,
    pub state: StoredState,
    pub customer_reference: Option<String>,
    pub automatic_deployment: bool,
    /// Bumped on every change of the group's own fields; the HTTP layer's ETag.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A validated request to create a group.
#[derive(Clone, Debug)]
pub struct NewGroup {
    pub name: GroupName,
    pub parent_id: GroupId,
    pub level: Level,
    pub service_type: ServiceType,
    pub state: StoredState,
    pub customer_reference: Option<CustomerReference>,
    pub automatic_deployment: bool,
}

/// A validated partial update. `None` leaves a field as it is; the nested `Option` of
/// `customer_reference` distinguishes "clear it" from "leave it".
#[derive(Clone, Debug, Default)]
pub struct GroupChanges {
    pub name: Option<GroupName>,
    pub parent_id: Option<GroupId>,
    pub level: Option<Level>,
    pub service_type: Option<ServiceType>,
    pub state: Option<StateChange>,
    pub customer_reference: Option<Option<CustomerReference>>,
    pub automatic_deployment: Option<bool>,
}

impl GroupChanges {
    /// Changes that touch the shape of the tree (and so need the tree lock, not just the row).
    pub fn reshapes_tree(&self) -> bool {
        self.parent_id.is_some() || self.level.is_some()
    }
}

/// The level rule between a parent and a (new or changed) child.
pub fn check_child_level(parent: Level, child: Level) -> Result<(), DomainError> {
    if parent.may_parent(child) {
        Ok(())
    } else if parent == Level::Site {
        Err(DomainError::level_violation(
            "a site cannot have child groups",
        ))
    } else {
        Err(DomainError::level_violation(format!(
            "a group of level {} cannot be placed under one of level {}: a child's level must be strictly lower than its parent's",
            child.label(),
            parent.label()
        )))
    }
}

/// Automatic deployment is a Quick Installation feature, so it may only be switched on at the
/// levels where that module is available.
pub fn check_automatic_deployment(level: Level, enabled: bool) -> Result<(), DomainError> {
    if enabled && !Module::QuickInstallation.is_available_at(level) {
        return Err(DomainError::ModuleUnavailable {
            module: Module::QuickInstallation.title().to_owned(),
            level,
        });
    }
    Ok(())
}

impl Group {
    pub fn effective_state(&self, now: DateTime<Utc>) -> GroupState {
        self.state.effective(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn child_level_errors_say_why() {
        assert!(check_child_level(Level::Reseller, Level::Site).is_ok());
        let Err(DomainError::LevelViolation { message }) =
            check_child_level(Level::Site, Level::Site)
        else {
            panic!("expected a level violation");
        };
        assert!(message.contains("site cannot have child"));
        assert!(matches!(
            check_child_level(Level::Reseller, Level::Reseller),
            Err(DomainError::LevelViolation { .. })
        ));
    }

    #[test]
    fn automatic_deployment_follows_quick_installation() {
        for level in Level::ALL {
            let allowed = Module::QuickInstallation.is_available_at(level);
            assert_eq!(
                check_automatic_deployment(level, true).is_ok(),
                allowed,
                "{level}"
            );
            assert!(check_automatic_deployment(level, false).is_ok());
        }
    }
}
