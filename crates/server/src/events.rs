//! Where lifecycle events go once their change is committed: the log, one JSON line each under
//! the `tenantry::events` target. (Plugins hear of changes through their hooks, called from
//! `plugins/mod.rs` inside and after the change's transaction, not from here.)

use tenantry_domain::GroupEvent;

use crate::caller::Caller;

/// Publishes what `caller` just changed.
pub fn publish(caller: &Caller, events: &[GroupEvent]) {
    if !log::log_enabled!(target: "tenantry::events", log::Level::Info) {
        return;
    }
    for event in events {
        match serde_json::to_string(event) {
            Ok(json) => {
                log::info!(
                    target: "tenantry::events",
                    "by user {} of group {}: {json}",
                    caller.actor.user_id,
                    caller.actor.group_id
                )
            }
            Err(error) => {
                log::warn!(target: "tenantry::events", "cannot encode {event:?}: {error}")
            }
        }
    }
}
