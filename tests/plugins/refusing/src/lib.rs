//! For the tests: a plugin that writes a record of its own for every group it hears of, and
//! then refuses every removal and every new group or rename named "Forbidden…" — so that a test
//! can check that neither the change nor the plugin's own record survives the refusal.

use tenantry_plugin_api::{
    Event, Hook, HookCall, Host, Manifest, Plugin, PluginError, export_plugin, json,
};

#[derive(Debug, Default)]
pub struct Refusing;

impl Plugin for Refusing {
    fn manifest(&self) -> Manifest {
        Manifest {
            name: "refusing".to_owned(),
            ticks: false,
            version: "0.0.0".to_owned(),
            // With REFUSING_AFTER_CREATE set (the import benchmark), it also hears of every new
            // group after the commit, as a plugin that syncs to another system would.
            hooks: if std::env::var_os("REFUSING_AFTER_CREATE").is_some() {
                vec![
                    Hook::BeforeCreate,
                    Hook::BeforeUpdate,
                    Hook::BeforeDelete,
                    Hook::AfterCreate,
                ]
            } else {
                vec![Hook::BeforeCreate, Hook::BeforeUpdate, Hook::BeforeDelete]
            },
            routes: Vec::new(),
            ..Manifest::default()
        }
    }

    fn hook(&self, host: &Host, call: &HookCall) -> Result<(), PluginError> {
        for event in &call.events {
            let Some(group) = event.group_id() else {
                continue;
            };
            host.put_record(group, "seen", None, "", json!({"hook": call.hook}))?;
            match event {
                Event::GroupDeleted { .. } => {
                    log::warn!("refusing the removal of group {group}");
                    return Err(PluginError::refused("removals are frozen"));
                }
                Event::GroupCreated { name, .. } if name.starts_with("Forbidden") => {
                    return Err(PluginError::refused("that name is not allowed"));
                }
                Event::GroupUpdated { changes, .. }
                    if changes.iter().any(|c| {
                        c.field == "name"
                            && c.after.as_str().is_some_and(|n| n.starts_with("Forbidden"))
                    }) =>
                {
                    return Err(PluginError::refused("that name is not allowed"));
                }
                _ => {}
            }
        }
        Ok(())
    }
}

export_plugin!(Refusing);
