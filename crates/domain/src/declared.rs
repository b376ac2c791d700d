//! Actions and modules that plugins declare in their manifests: rows of the permission table that
//! come from outside the core. They are checked when a plugin loads (a bad declaration stops
//! start-up, naming the plugin) and then authorized exactly as the core's own actions.

use std::sync::Arc;

use crate::permission::Rule;
use crate::{Action, Authority, Level, Module, Role};

/// A console module a plugin brings, with the levels where it is available.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeclaredModule {
    pub plugin: String,
    pub name: String,
    pub title: String,
    /// Distributor, Sub-distributor, Reseller, End-customer, Site.
    available: [bool; 5],
}

impl DeclaredModule {
    pub fn is_available_at(&self, level: Level) -> bool {
        self.available[(level.rank() - 1) as usize]
    }
}

/// The module an action belongs to: one of the manual's, or one a plugin declared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModuleRef {
    Core(Module),
    Declared(Arc<DeclaredModule>),
}

impl ModuleRef {
    pub fn is_available_at(&self, level: Level) -> bool {
        match self {
            ModuleRef::Core(module) => module.is_available_at(level),
            ModuleRef::Declared(module) => module.is_available_at(level),
        }
    }

    pub fn name(&self) -> &str {
        match self {
            ModuleRef::Core(module) => module.as_str(),
            ModuleRef::Declared(module) => &module.name,
        }
    }

    /// As people read it.
    pub fn title(&self) -> &str {
        match self {
            ModuleRef::Core(module) => module.title(),
            ModuleRef::Declared(module) => &module.title,
        }
    }
}

/// An action a plugin declares: who may take it, and the module it needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeclaredAction {
    pub plugin: String,
    pub name: String,
    pub description: String,
    pub module: Option<ModuleRef>,
    pub rule: Rule,
}

/// An action a route needs: the core's, or one a plugin declared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Permission {
    Core(Action),
    Declared(Arc<DeclaredAction>),
}

impl Permission {
    pub fn name(&self) -> String {
        match self {
            Permission::Core(action) => action.as_str(),
            Permission::Declared(action) => action.name.clone(),
        }
    }

    pub fn rule(&self) -> Rule {
        match self {
            Permission::Core(action) => action.rule(),
            Permission::Declared(action) => action.rule,
        }
    }

    pub fn module(&self) -> Option<ModuleRef> {
        match self {
            Permission::Core(action) => action.module().map(ModuleRef::Core),
            Permission::Declared(action) => action.module.clone(),
        }
    }

    pub fn permits(&self, authority: Authority) -> bool {
        self.rule().permits(authority)
    }
}

/// What a plugin declares, as the host reads it from the manifest.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ActionDeclaration<'a> {
    pub name: &'a str,
    pub description: &'a str,
    /// A core module's name or the plugin's own module's.
    pub module: Option<&'a str>,
    /// The least account type that may take the action (and every type above it).
    pub least: &'a str,
    /// Security Officers only, whatever their account type.
    pub security_officers_only: bool,
}

/// Every action and module the loaded plugins declared, in load order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Declarations {
    actions: Vec<Arc<DeclaredAction>>,
    modules: Vec<Arc<DeclaredModule>>,
}

/// Names of actions and modules: what routes and manifests spell, and the API shows.
fn is_name(text: &str) -> bool {
    (1..=64).contains(&text.len())
        && text.starts_with(|c: char| c.is_ascii_lowercase())
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl Declarations {
    /// Adds a plugin's module: a new name, and levels the table knows.
    pub fn add_module(
        &mut self,
        plugin: &str,
        name: &str,
        title: &str,
        levels: &[&str],
    ) -> Result<(), String> {
        let taken = Module::ALL.iter().any(|m| m.as_str() == name)
            || self.modules.iter().any(|m| m.name == name);
        if !is_name(name) || taken {
            return Err(format!(
                "plugin {plugin}: module {name:?} is taken or not a name (a-z, 0-9, _)"
            ));
        }
        if title.trim().is_empty() {
            return Err(format!("plugin {plugin}: module {name} needs a title"));
        }
        let mut available = [false; 5];
        for level in levels {
            let level = Level::parse(level).ok_or_else(|| {
                format!("plugin {plugin}: module {name} names the unknown level {level:?}")
            })?;
            available[(level.rank() - 1) as usize] = true;
        }
        self.modules.push(Arc::new(DeclaredModule {
            plugin: plugin.to_owned(),
            name: name.to_owned(),
            title: title.trim().to_owned(),
            available,
        }));
        Ok(())
    }

    /// Adds a plugin's action: a new name, a known account type, and a module that is the
    /// core's or the plugin's own.
    pub fn add_action(
        &mut self,
        plugin: &str,
        declared: &ActionDeclaration<'_>,
    ) -> Result<(), String> {
        let name = declared.name;
        if !is_name(name) || self.find(name).is_some() {
            return Err(format!(
                "plugin {plugin}: action {name:?} is taken or not a name (a-z, 0-9, _)"
            ));
        }
        let least = Role::parse(declared.least).ok_or_else(|| {
            format!(
                "plugin {plugin}: action {name} names the unknown account type {:?}",
                declared.least
            )
        })?;
        let module = match declared.module {
            None => None,
            Some(wanted) => Some(
                Module::ALL
                    .into_iter()
                    .find(|m| m.as_str() == wanted)
                    .map(ModuleRef::Core)
                    .or_else(|| {
                        self.modules
                            .iter()
                            .find(|m| m.name == wanted && m.plugin == plugin)
                            .map(|m| ModuleRef::Declared(Arc::clone(m)))
                    })
                    .ok_or_else(|| {
                        format!(
                            "plugin {plugin}: action {name} names the module {wanted:?}, which is \
                             neither a core module nor the plugin's own"
                        )
                    })?,
            ),
        };
        self.actions.push(Arc::new(DeclaredAction {
            plugin: plugin.to_owned(),
            name: name.to_owned(),
            description: declared.description.trim().to_owned(),
            module,
            rule: if declared.security_officers_only {
                Rule::SecurityOfficers
            } else {
                Rule::AtLeast(least)
            },
        }));
        Ok(())
    }

    /// The action of this name: the core's, or a declared one.
    pub fn find(&self, name: &str) -> Option<Permission> {
        Action::all()
            .find(|action| action.as_str() == name)
            .map(Permission::Core)
            .or_else(|| {
                self.actions
                    .iter()
                    .find(|action| action.name == name)
                    .map(|action| Permission::Declared(Arc::clone(action)))
            })
    }

    /// The action a plugin's route names: the core's, or one that plugin declared (never
    /// another plugin's: a plugin cannot borrow what it did not declare).
    pub fn for_route(&self, plugin: &str, name: &str) -> Result<Permission, String> {
        match self.find(name) {
            Some(Permission::Declared(action)) if action.plugin != plugin => Err(format!(
                "plugin {plugin}: a route names the action {name}, which the {} plugin declares",
                action.plugin
            )),
            Some(found) => Ok(found),
            None => Err(format!(
                "plugin {plugin}: a route names the undeclared action {name:?}"
            )),
        }
    }

    /// Every action, the core's first, as the table lists them.
    pub fn all(&self) -> impl Iterator<Item = Permission> + '_ {
        Action::all().map(Permission::Core).chain(
            self.actions
                .iter()
                .map(|action| Permission::Declared(Arc::clone(action))),
        )
    }

    pub fn actions(&self) -> &[Arc<DeclaredAction>] {
        &self.actions
    }

    pub fn modules(&self) -> &[Arc<DeclaredModule>] {
        &self.modules
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn journal() -> Declarations {
        let mut d = Declarations::default();
        d.add_module(
            "journal",
            "journal",
            "Journal",
            &["distributor", "reseller"],
        )
        .unwrap();
        d.add_action(
            "journal",
            &ActionDeclaration {
                name: "manage_journal",
                module: Some("journal"),
                least: "manager",
                ..ActionDeclaration::default()
            },
        )
        .unwrap();
        d
    }

    #[test]
    fn a_declared_action_permits_its_least_type_and_every_type_above() {
        let d = journal();
        let Some(Permission::Declared(action)) = d.find("manage_journal") else {
            panic!("declared");
        };
        let allowed: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|&role| {
                action.rule.permits(Authority {
                    role,
                    security_officer: false,
                })
            })
            .collect();
        assert_eq!(
            allowed,
            [Role::SuperUser, Role::Administrator, Role::Manager]
        );
        let module = action.module.as_ref().unwrap();
        assert!(module.is_available_at(Level::Reseller));
        assert!(!module.is_available_at(Level::Site));
    }

    #[test]
    fn names_are_not_taken_twice_and_modules_not_borrowed() {
        let mut d = journal();
        let action = |name, module| ActionDeclaration {
            name,
            module,
            least: "supporter",
            ..ActionDeclaration::default()
        };
        for (plugin, declared) in [
            ("other", action("manage_journal", None)),
            ("other", action("view_group", None)),
            ("other", action("View Notes", None)),
            ("other", action("x", Some("journal"))),
            ("other", action("y", Some("nowhere"))),
        ] {
            assert!(d.add_action(plugin, &declared).is_err(), "{declared:?}");
        }
        assert!(
            d.add_action("other", &action("z", Some("customers")))
                .is_ok()
        );
        assert!(
            d.add_module("other", "journal", "Journal again", &[])
                .is_err()
        );
        assert!(d.add_module("other", "users", "Users", &[]).is_err());
        assert!(d.add_module("other", "mine", "Mine", &["moon"]).is_err());
        assert!(
            d.add_action(
                "other",
                &ActionDeclaration {
                    least: "boss",
                    ..action("w", None)
                }
            )
            .is_err()
        );
    }

    #[test]
    fn a_route_names_the_cores_actions_or_its_own() {
        let d = journal();
        assert!(d.for_route("journal", "manage_journal").is_ok());
        assert!(d.for_route("crm", "view_group").is_ok());
        assert!(d.for_route("crm", "manage_journal").is_err());
        let error = d.for_route("journal", "edit_journal").unwrap_err();
        assert!(
            error.contains("journal") && error.contains("edit_journal"),
            "{error}"
        );
    }
}
