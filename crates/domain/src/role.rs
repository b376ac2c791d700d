use serde::{Deserialize, Serialize};

use crate::DomainError;

/// A user's account type. The order of the variants is the order of power: a SuperUser may do
/// everything an Administrator may, and so on down to the read-mostly Supporter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Role {
    /// Read-mostly. `reporter`, the legacy name, is accepted as input.
    #[serde(alias = "reporter")]
    Supporter,
    Operator,
    Manager,
    Administrator,
    #[serde(rename = "superuser")]
    SuperUser,
}

impl Role {
    /// Every account type, most powerful first (the order of the permission table's columns).
    pub const ALL: [Role; 5] = [
        Role::SuperUser,
        Role::Administrator,
        Role::Manager,
        Role::Operator,
        Role::Supporter,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Role::SuperUser => "superuser",
            Role::Administrator => "administrator",
            Role::Manager => "manager",
            Role::Operator => "operator",
            Role::Supporter => "supporter",
        }
    }

    /// The stored or requested name; `reporter` is the legacy name of `supporter`.
    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "reporter" => Some(Role::Supporter),
            _ => Role::ALL.into_iter().find(|role| role.as_str() == text),
        }
    }

    /// The name people read, as the manual spells it.
    pub const fn label(self) -> &'static str {
        match self {
            Role::SuperUser => "SuperUser",
            Role::Administrator => "Administrator",
            Role::Manager => "Manager",
            Role::Operator => "Operator",
            Role::Supporter => "Supporter",
        }
    }

    /// Whether the Security Officer flag may be added to this account type: every type but
    /// Supporter, which is read-mostly.
    pub const fn may_be_security_officer(self) -> bool {
        !matches!(self, Role::Supporter)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a user reaches the console.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum UserKind {
    /// A person: logs in with group name, username and password.
    Interactive,
    /// Automation: never logs in; uses long-lived tokens created for it, each shown once.
    Api,
}

impl UserKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            UserKind::Interactive => "interactive",
            UserKind::Api => "api",
        }
    }

    pub fn parse(text: &str) -> Option<UserKind> {
        [UserKind::Interactive, UserKind::Api]
            .into_iter()
            .find(|kind| kind.as_str() == text)
    }
}

/// An account type together with the Security Officer flag, checked to go together.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Authority {
    pub role: Role,
    pub security_officer: bool,
}

impl Authority {
    pub fn new(role: Role, security_officer: bool) -> Result<Authority, DomainError> {
        if security_officer && !role.may_be_security_officer() {
            return Err(DomainError::invalid(
                "security_officer",
                format!("a {} cannot be a Security Officer", role.label()),
            ));
        }
        Ok(Authority {
            role,
            security_officer,
        })
    }

    /// Whether someone with this authority may hand `granted` to a user: never a type above
    /// their own, and the Security Officer flag only if they carry it themselves.
    pub fn may_grant(self, granted: Authority) -> bool {
        granted.role <= self.role && (!granted.security_officer || self.security_officer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered_by_power() {
        assert!(Role::SuperUser > Role::Administrator);
        assert!(Role::Administrator > Role::Manager);
        assert!(Role::Manager > Role::Operator);
        assert!(Role::Operator > Role::Supporter);
    }

    #[test]
    fn reporter_is_the_legacy_name_of_supporter() {
        assert_eq!(Role::parse("reporter"), Some(Role::Supporter));
        assert_eq!(
            serde_json::from_str::<Role>("\"reporter\"").ok(),
            Some(Role::Supporter)
        );
        assert_eq!(Role::Supporter.as_str(), "supporter");
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
            assert_eq!(
                serde_json::to_string(&role).ok(),
                Some(format!("\"{}\"", role.as_str()))
            );
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn only_the_first_four_types_may_be_security_officers() {
        for role in Role::ALL {
            assert_eq!(
                Authority::new(role, true).is_ok(),
                role != Role::Supporter,
                "{role}"
            );
            assert!(Authority::new(role, false).is_ok());
        }
    }

    #[test]
    fn nobody_grants_above_their_own_authority() {
        for granter in Role::ALL {
            for granted in Role::ALL {
                let plain = |role| Authority {
                    role,
                    security_officer: false,
                };
                assert_eq!(
                    plain(granter).may_grant(plain(granted)),
                    granted <= granter,
                    "{granter} granting {granted}"
                );
            }
        }
        let officer = Authority::new(Role::Administrator, true).unwrap();
        let plain_admin = Authority::new(Role::Administrator, false).unwrap();
        let officer_operator = Authority::new(Role::Operator, true).unwrap();
        assert!(officer.may_grant(officer_operator));
        assert!(!plain_admin.may_grant(officer_operator));
    }
}
