//! Who may do what: the permission table (action × account type, with the Security Officer flag)
//! and the one function every endpoint's authorization goes through.
//!
//! The table follows what the real product documents (see `docs/permissions.md`, generated from
//! this file); where the product is silent the choice is the least surprising one, and the table
//! says so in the action's note.

use serde::{Deserialize, Serialize};

use crate::declared::{Declarations, Permission};
use crate::{Authority, DomainError, Group, GroupId, Level, Module, Role, UserId};

/// Something a caller asks to do to a group (or to something that belongs to a group).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Read a group, its ancestors, its module row and its company profile.
    ViewGroup,
    /// List a group's customers (children, descendants).
    ListCustomers,
    /// Add a customer below a group.
    CreateCustomer,
    /// Rename, change properties, change level, move.
    EditCustomer,
    RemoveCustomer,
    EditCompanyProfile,
    ViewUsers,
    /// Add, change and remove users and API users.
    ManageUsers,
    /// Create and revoke API users' tokens.
    ManageApiTokens,
    ViewDevices,
    AddDevices,
    ManageDevices,
    /// Launch backups, send remote commands, recover data.
    OperateDevices,
    /// Quick Installation: deployment tokens for self-installing devices.
    DeployDevices,
    GeneratePassphrases,
    /// List and fetch the installers this installation offers.
    ViewDownloads,
    ViewProfiles,
    ManageProfiles,
    ViewRetentionPolicies,
    ManageRetentionPolicies,
    ViewAudit,
}

/// Who may take an action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// These account types, whatever their Security Officer flag.
    Roles(&'static [Role]),
    /// This account type and every type above it (what plugins declare).
    AtLeast(Role),
    /// Security Officers only, whatever their account type.
    SecurityOfficers,
}

impl Rule {
    /// Whether an account type with the Security Officer flag (or without) may take the action.
    pub fn permits(self, authority: Authority) -> bool {
        match self {
            Rule::Roles(roles) => roles.contains(&authority.role),
            Rule::AtLeast(least) => authority.role >= least,
            Rule::SecurityOfficers => authority.security_officer,
        }
    }

    /// Whether this account type, without the Security Officer flag (`no`), with it (`so`), or
    /// either way (`yes`) may take the action: a cell of `docs/permissions.md`.
    fn cell(self, role: Role) -> &'static str {
        match self {
            Rule::SecurityOfficers => "SO",
            Rule::Roles(roles) if roles.contains(&role) => "✔",
            Rule::AtLeast(least) if role >= least => "✔",
            Rule::Roles(_) | Rule::AtLeast(_) => "—",
        }
    }
}

const EVERYONE: &[Role] = &Role::ALL;
const SUPER_ADMIN: &[Role] = &[Role::SuperUser, Role::Administrator];
const SUPER_ADMIN_MANAGER: &[Role] = &[Role::SuperUser, Role::Administrator, Role::Manager];
const SUPER_MANAGER: &[Role] = &[Role::SuperUser, Role::Manager];
const ALL_BUT_SUPPORTER: &[Role] = &[
    Role::SuperUser,
    Role::Administrator,
    Role::Manager,
    Role::Operator,
];

/// One row of the table: the rule, the module that must be available at the target group's
/// level (if any), and where the rule comes from.
struct Row {
    action: Action,
    rule: Rule,
    module: Option<Module>,
    source: Source,
}

/// Where a row of the table comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The real product's manual says so.
    Documented,
    /// The manual is silent; this is our least surprising choice, with the reason.
    Chosen(&'static str),
}

use Source::{Chosen, Documented};

const TABLE: [Row; 21] = [
    row(Action::ViewGroup, Rule::Roles(EVERYONE), None, Documented),
    row(
        Action::ListCustomers,
        Rule::Roles(EVERYONE),
        Some(Module::Customers),
        Documented,
    ),
    row(
        Action::CreateCustomer,
        Rule::Roles(SUPER_ADMIN),
        Some(Module::Customers),
        Chosen("customers are the provider's business: the two types that also manage users"),
    ),
    row(
        Action::EditCustomer,
        Rule::Roles(SUPER_ADMIN),
        None,
        Chosen("as adding a customer; a group is edited from its parent, never by itself"),
    ),
    row(
        Action::RemoveCustomer,
        Rule::Roles(SUPER_ADMIN),
        None,
        Chosen("as adding a customer; a group is removed from its parent, never by itself"),
    ),
    row(
        Action::EditCompanyProfile,
        Rule::Roles(SUPER_ADMIN),
        None,
        Chosen("billing data: the types that manage customers"),
    ),
    row(
        Action::ViewUsers,
        Rule::Roles(EVERYONE),
        Some(Module::Users),
        Chosen("everyone can read, as for contacts"),
    ),
    row(
        Action::ManageUsers,
        Rule::Roles(SUPER_ADMIN),
        Some(Module::Users),
        Documented,
    ),
    row(
        Action::ManageApiTokens,
        Rule::Roles(SUPER_ADMIN),
        Some(Module::Users),
        Documented,
    ),
    row(
        Action::ViewDevices,
        Rule::Roles(EVERYONE),
        Some(Module::Dashboard),
        Documented,
    ),
    row(
        Action::AddDevices,
        Rule::Roles(&[Role::SuperUser]),
        Some(Module::Dashboard),
        Documented,
    ),
    row(
        Action::ManageDevices,
        Rule::Roles(SUPER_MANAGER),
        Some(Module::Dashboard),
        Documented,
    ),
    row(
        Action::OperateDevices,
        Rule::Roles(ALL_BUT_SUPPORTER),
        Some(Module::Dashboard),
        Chosen("the manual only says Supporters cannot launch backups, send commands or recover"),
    ),
    row(
        Action::DeployDevices,
        Rule::Roles(SUPER_MANAGER),
        Some(Module::QuickInstallation),
        Documented,
    ),
    row(
        Action::GeneratePassphrases,
        Rule::SecurityOfficers,
        Some(Module::QuickInstallation),
        Documented,
    ),
    row(
        Action::ViewDownloads,
        Rule::Roles(EVERYONE),
        Some(Module::Downloads),
        Chosen("installers are what every account type hands to the people it supports"),
    ),
    row(
        Action::ViewProfiles,
        Rule::Roles(EVERYONE),
        Some(Module::Profiles),
        Chosen("everyone can read"),
    ),
    row(
        Action::ManageProfiles,
        Rule::Roles(SUPER_ADMIN_MANAGER),
        Some(Module::Profiles),
        Chosen("profiles configure devices: the types that manage users or devices"),
    ),
    row(
        Action::ViewRetentionPolicies,
        Rule::Roles(EVERYONE),
        Some(Module::RetentionPolicies),
        Chosen("everyone can read"),
    ),
    row(
        Action::ManageRetentionPolicies,
        Rule::Roles(SUPER_ADMIN),
        Some(Module::RetentionPolicies),
        Documented,
    ),
    row(
        Action::ViewAudit,
        Rule::Roles(SUPER_ADMIN),
        None,
        Chosen("who changed what, including users: the types that manage users"),
    ),
];

const fn row(action: Action, rule: Rule, module: Option<Module>, source: Source) -> Row {
    Row {
        action,
        rule,
        module,
        source,
    }
}

impl Action {
    /// Every action, in the table's order.
    pub fn all() -> impl Iterator<Item = Action> {
        TABLE.iter().map(|row| row.action)
    }

    fn row(self) -> &'static Row {
        // Every action has exactly one row (pinned by a test), so the fallback is never taken;
        // it refuses everyone rather than panics all the same.
        const REFUSED: Row = row(Action::ViewAudit, Rule::Roles(&[]), None, Documented);
        TABLE
            .iter()
            .find(|row| row.action == self)
            .unwrap_or(&REFUSED)
    }

    pub fn rule(self) -> Rule {
        self.row().rule
    }

    /// The module the target group's level must allow, if any.
    pub fn module(self) -> Option<Module> {
        self.row().module
    }

    pub fn source(self) -> Source {
        self.row().source
    }

    pub fn as_str(self) -> String {
        serde_plain_name(self)
    }

    /// Whether an account type with the Security Officer flag (or without) may take this action.
    pub fn permits(self, authority: Authority) -> bool {
        self.rule().permits(authority)
    }
}

fn serde_plain_name(action: Action) -> String {
    // The snake_case name serde gives the variant, without a JSON library in the domain.
    let debug = format!("{action:?}");
    let mut name = String::with_capacity(debug.len() + 4);
    for (i, c) in debug.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                name.push('_');
            }
            name.push(c.to_ascii_lowercase());
        } else {
            name.push(c);
        }
    }
    name
}

/// The authenticated user a request acts for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Actor {
    pub user_id: UserId,
    pub group_id: GroupId,
    pub authority: Authority,
}

/// The one authorization decision, for a target the caller's scope already contains (scope is
/// checked by the query that found the target: outside it, the target does not exist).
///
/// In this order: the module must be available at the target group's level
/// (`module_unavailable`, whatever the account type), then the account type must allow the action
/// (`forbidden`). A group is never edited or removed by its own users, only from above; the root
/// group, which has nothing above it, is edited by its own users.
pub fn authorize(actor: &Actor, action: Action, target: &Group) -> Result<(), DomainError> {
    authorize_permission(actor, &Permission::Core(action), target)
}

/// [`authorize`], for any action: the core's, or one a plugin declared.
pub fn authorize_permission(
    actor: &Actor,
    permission: &Permission,
    target: &Group,
) -> Result<(), DomainError> {
    if let Some(module) = permission.module()
        && !module.is_available_at(target.level)
    {
        return Err(DomainError::ModuleUnavailable {
            module: module.title().to_owned(),
            level: target.level,
        });
    }
    if !permission.permits(actor.authority) {
        return Err(DomainError::Forbidden {
            message: match permission.rule() {
                Rule::SecurityOfficers => "only Security Officers may do this".to_owned(),
                Rule::Roles(_) | Rule::AtLeast(_) => {
                    let role = actor.authority.role.label();
                    let article = if role.starts_with(['A', 'E', 'I', 'O', 'U']) {
                        "an"
                    } else {
                        "a"
                    };
                    format!(
                        "{article} {role} may not {}",
                        permission.name().replace('_', " ")
                    )
                }
            },
        });
    }
    let own_group = target.id == actor.group_id && target.parent_id.is_some();
    if own_group
        && matches!(
            permission,
            Permission::Core(Action::EditCustomer | Action::RemoveCustomer)
        )
    {
        return Err(DomainError::Forbidden {
            message: "your own group is managed by the group above it".to_owned(),
        });
    }
    Ok(())
}

/// `docs/permissions.md`, generated from the table and what the plugins declare, so that the
/// document cannot drift from either.
pub fn permissions_markdown(declared: &Declarations) -> String {
    let mut out = String::from(
        "# Permissions\n\n\
         Generated by `cargo xtask docs` (`tenantry-server permissions`, with every plugin of \
         this repository loaded) from the core's table in `crates/domain/src/permission.rs` and \
         the plugins' manifests; a test fails when this file and that output differ.\n\n\
         Every request passes three checks, in this order:\n\n\
         1. **scope**: the target is the caller's own group or one of its descendants; anything \
         else answers `404 not_found`, exactly as an id that does not exist;\n\
         2. **module**: the module must be available at the target group's level \
         (`403 module_unavailable`, whatever the account type);\n\
         3. **account type**: the table below (`403 forbidden`).\n\n\
         A group is edited and removed only from above (by users of an ancestor), never by its own \
         users; the root group, which has nothing above it, is edited by its own users and never \
         removed. Nobody raises their own account type, grants a type above their own, grants \
         the Security Officer flag without carrying it, or changes a user whose type is above \
         their own; the root group always keeps at least one SuperUser.\n\n\
         ✔ allowed · — refused · SO: Security Officers only, whatever their account type.\n\n",
    );
    out.push_str("| Action | Module |");
    for role in Role::ALL {
        out.push_str(&format!(" {} |", role.label()));
    }
    out.push_str(" Source |\n|---|---|");
    for _ in Role::ALL {
        out.push_str("---|");
    }
    out.push_str("---|\n");
    let cells = |out: &mut String, rule: Rule| {
        for role in Role::ALL {
            out.push_str(&format!(" {} |", rule.cell(role)));
        }
    };
    for row in &TABLE {
        let module = row.module.map_or("—", Module::title);
        out.push_str(&format!("| `{}` | {module} |", row.action.as_str()));
        cells(&mut out, row.rule);
        let source = match row.source {
            Documented => "the manual".to_owned(),
            Chosen(why) => format!("our choice: {why}"),
        };
        out.push_str(&format!(" {source} |\n"));
    }
    out.push_str(
        "\n## Actions plugins declare\n\n\
         Each plugin's manifest declares its own actions: the least account type that may take \
         each (every type above it may too), or Security Officers only, and the module it needs. \
         The server adds them to the table above when it loads the plugin; `GET /api/v1/me` \
         lists those the caller's account type allows. This section lists the plugins that were \
         loaded when it was printed (`tenantry-server permissions`; `cargo xtask docs` loads \
         every plugin of this repository, the test plugin of `docs/plugins.md` included).\n\n",
    );
    out.push_str("| Action | Plugin | Module |");
    for role in Role::ALL {
        out.push_str(&format!(" {} |", role.label()));
    }
    out.push_str(" Description |\n|---|---|---|");
    for _ in Role::ALL {
        out.push_str("---|");
    }
    out.push_str("---|\n");
    for action in declared.actions() {
        let module = action.module.as_ref().map_or("—", |m| m.title());
        out.push_str(&format!(
            "| `{}` | {} | {module} |",
            action.name, action.plugin
        ));
        cells(&mut out, action.rule);
        out.push_str(&format!(" {} |\n", action.description));
    }
    if !declared.modules().is_empty() {
        out.push_str("\n## Modules plugins declare\n\n| Module | Plugin |");
        for level in Level::ALL {
            out.push_str(&format!(" {} |", level.label()));
        }
        out.push_str("\n|---|---|");
        for _ in Level::ALL {
            out.push_str("---|");
        }
        out.push('\n');
        for module in declared.modules() {
            out.push_str(&format!(
                "| {} (`{}`) | {} |",
                module.title, module.name, module.plugin
            ));
            for level in Level::ALL {
                let cell = if module.is_available_at(level) {
                    "✔"
                } else {
                    "—"
                };
                out.push_str(&format!(" {cell} |"));
            }
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TreePath;

    /// The table again, as text a reader can hold against `docs/permissions.md` and the manual.
    /// Columns: SuperUser, Administrator, Manager, Operator, Supporter (without the flag); then
    /// the same five with the Security Officer flag (Supporters never carry it: `-`).
    const EXPECTED: &str = "
        view_group                  y y y y y  y y y y -
        list_customers              y y y y y  y y y y -
        create_customer             y y n n n  y y n n -
        edit_customer               y y n n n  y y n n -
        remove_customer             y y n n n  y y n n -
        edit_company_profile        y y n n n  y y n n -
        view_users                  y y y y y  y y y y -
        manage_users                y y n n n  y y n n -
        manage_api_tokens           y y n n n  y y n n -
        view_devices                y y y y y  y y y y -
        add_devices                 y n n n n  y n n n -
        manage_devices              y n y n n  y n y n -
        operate_devices             y y y y n  y y y y -
        deploy_devices              y n y n n  y n y n -
        generate_passphrases        n n n n n  y y y y -
        view_downloads              y y y y y  y y y y -
        view_profiles               y y y y y  y y y y -
        manage_profiles             y y y n n  y y y n -
        view_retention_policies     y y y y y  y y y y -
        manage_retention_policies   y y n n n  y y n n -
        view_audit                  y y n n n  y y n n -
    ";

    #[test]
    fn the_table_cell_by_cell() {
        let mut seen = Vec::new();
        for line in EXPECTED.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let mut words = line.split_whitespace();
            let name = words.next().unwrap();
            let action = Action::all()
                .find(|a| a.as_str() == name)
                .unwrap_or_else(|| panic!("no action {name}"));
            let cells: Vec<&str> = words.collect();
            assert_eq!(cells.len(), 10, "{name}");
            for (i, role) in Role::ALL.into_iter().enumerate() {
                for (flag, cell) in [(false, cells[i]), (true, cells[i + 5])] {
                    let Ok(authority) = Authority::new(role, flag) else {
                        assert_eq!(cell, "-", "{name} {role} officer");
                        continue;
                    };
                    assert_eq!(
                        action.permits(authority),
                        cell == "y",
                        "{name} for {role} (security officer: {flag})"
                    );
                }
            }
            seen.push(action);
        }
        let all: Vec<Action> = Action::all().collect();
        assert_eq!(seen, all, "every action once, in the table's order");
    }

    #[test]
    fn modules_of_the_actions() {
        assert_eq!(Action::ListCustomers.module(), Some(Module::Customers));
        assert_eq!(Action::CreateCustomer.module(), Some(Module::Customers));
        assert_eq!(Action::ViewGroup.module(), None);
        assert_eq!(Action::ManageUsers.module(), Some(Module::Users));
        assert_eq!(
            Action::GeneratePassphrases.module(),
            Some(Module::QuickInstallation)
        );
        assert_eq!(
            Action::DeployDevices.module(),
            Some(Module::QuickInstallation)
        );
    }

    fn group(id: i64, parent: Option<i64>, level: Level) -> Group {
        let now = chrono::DateTime::UNIX_EPOCH;
        Group {
            id: GroupId(id),
            parent_id: parent.map(GroupId),
            path: TreePath::root(GroupId(id)),
            name: format!("g{id}"),
            level,
            service_type: crate::ServiceType::AllInclusive,
            state: crate::StoredState {
                state: crate::GroupState::Production,
                trial_expires_at: None,
            },
            customer_reference: None,
            automatic_deployment: false,
            version: 1,
            created_at: now,
            updated_at: now,
        }
    }

    fn actor(group: i64, role: Role, officer: bool) -> Actor {
        Actor {
            user_id: UserId(1),
            group_id: GroupId(group),
            authority: Authority::new(role, officer).unwrap(),
        }
    }

    #[test]
    fn the_module_is_checked_before_the_account_type() {
        let site = group(5, Some(4), Level::Site);
        let supporter = actor(1, Role::Supporter, false);
        assert!(matches!(
            authorize(&supporter, Action::CreateCustomer, &site),
            Err(DomainError::ModuleUnavailable {
                level: Level::Site,
                ..
            })
        ));
        let superuser = actor(1, Role::SuperUser, true);
        assert!(matches!(
            authorize(&superuser, Action::ListCustomers, &site),
            Err(DomainError::ModuleUnavailable { .. })
        ));
        for level in [Level::Distributor, Level::SubDistributor] {
            assert!(matches!(
                authorize(
                    &superuser,
                    Action::GeneratePassphrases,
                    &group(2, Some(1), level)
                ),
                Err(DomainError::ModuleUnavailable { .. })
            ));
        }
        assert!(authorize(&superuser, Action::GeneratePassphrases, &site).is_ok());
        assert!(matches!(
            authorize(&supporter, Action::ManageUsers, &site),
            Err(DomainError::Forbidden { .. })
        ));
    }

    #[test]
    fn a_group_is_managed_from_above_except_the_root() {
        let reseller = group(7, Some(1), Level::Reseller);
        let own = actor(7, Role::SuperUser, false);
        let above = actor(1, Role::SuperUser, false);
        for action in [Action::EditCustomer, Action::RemoveCustomer] {
            assert!(matches!(
                authorize(&own, action, &reseller),
                Err(DomainError::Forbidden { .. })
            ));
            assert!(authorize(&above, action, &reseller).is_ok());
        }
        assert!(authorize(&own, Action::EditCompanyProfile, &reseller).is_ok());
        let root = group(1, None, Level::Distributor);
        assert!(authorize(&above, Action::EditCustomer, &root).is_ok());
    }

    #[test]
    fn action_names_are_snake_case() {
        assert_eq!(Action::ViewGroup.as_str(), "view_group");
        assert_eq!(
            Action::ManageRetentionPolicies.as_str(),
            "manage_retention_policies"
        );
    }
}
