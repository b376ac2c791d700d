//! The plugins this installation runs: loaded at start-up from `[plugins]`, called with the
//! group lifecycle hooks they ask for, and serving their HTTP routes behind the host's checks.

mod http;
mod openapi;
mod services;
mod theme;

use std::path::Path;
use std::sync::Arc;

use tenantry_domain::{ActionDeclaration, Declarations, DomainError, GroupEvent};
use tenantry_plugin_host::api::{Actor, Hook, Manifest, Request, Route, TickAnswer, TickCall};
use tenantry_plugin_host::{Failure, LoadedPlugin, PluginSpec};
use tenantry_storage::known_plugins::{self, KnownPlugin};
use tenantry_storage::{Storage, StoreError, Writer, groups};

pub(crate) use http::{Body, Prepared, PreparedBody, RouteCall, call_route};
pub use http::{configure, openapi_paths};
pub use openapi::plugin_details;
pub use services::Reach;
use services::Services;

use crate::caller::Caller;
use crate::config::PluginSettings;
use crate::metrics::{Metrics, plugin_call};

/// The loaded plugins, in the order `plugins.enabled` lists them.
#[derive(Debug, Default)]
pub struct Plugins {
    loaded: Vec<Arc<LoadedPlugin>>,
    /// The actions and modules the loaded plugins declared, beside the core's.
    pub declarations: Declarations,
    /// Plugins an earlier start ran that are not loaded now: their route paths answer
    /// `plugin_not_enabled` (see [`Plugins::remember`]).
    absent: Vec<KnownPlugin>,
    /// Woken after a commit that queued mail, so that the mailer sends it now, not at its next
    /// poll.
    pub mail_queued: Arc<tokio::sync::Notify>,
    pub metrics: Arc<Metrics>,
}

impl Plugins {
    /// Loads every enabled plugin; any failure stops start-up with a message naming the file.
    pub fn load(settings: &PluginSettings, metrics: Arc<Metrics>) -> anyhow::Result<Plugins> {
        let specs: Vec<PluginSpec> = settings
            .enabled
            .iter()
            .map(|name| PluginSpec {
                name: name.clone(),
                sha256: settings.sha256.get(name).cloned(),
            })
            .collect();
        let loaded = tenantry_plugin_host::load(Path::new(&settings.dir), &specs)?;
        for plugin in &loaded {
            log::info!(
                "plugin {} {} loaded from {} (hooks: {:?}; {} routes)",
                plugin.manifest.name,
                plugin.manifest.version,
                plugin.path.display(),
                plugin.manifest.hooks,
                plugin.manifest.routes.len()
            );
        }
        let declarations = declare(&loaded)?;
        Ok(Plugins {
            loaded: loaded.into_iter().map(Arc::new).collect(),
            declarations,
            absent: Vec::new(),
            mail_queued: Arc::default(),
            metrics,
        })
    }

    /// Records the loaded plugins' routes in the database, and learns which plugins an earlier
    /// start ran that are not loaded now. Two replicas starting at once may both insert a
    /// plugin's first row: the second then finds it and updates it.
    pub fn remember(&mut self, storage: &Storage) -> Result<(), StoreError> {
        let now = chrono::Utc::now();
        let record = |w: &mut Writer<'_>| {
            for plugin in &self.loaded {
                let paths: Vec<String> = plugin
                    .manifest
                    .routes
                    .iter()
                    .map(|r| r.path.clone())
                    .collect();
                known_plugins::remember(w, &plugin.manifest.name, &paths, now)?;
            }
            Ok(())
        };
        if let Err(StoreError::Domain(DomainError::Conflict { .. })) = storage.write(record) {
            storage.write(record)?;
        }
        let known = storage.read(known_plugins::all)?;
        self.absent = known
            .into_iter()
            .filter(|known| !self.is_loaded(&known.name))
            .collect();
        Ok(())
    }

    /// Calls every plugin whose manifest asks for ticks, each in write transactions of its own
    /// that reach the whole tree, again while it answers `more` (at most `MAX_ROUNDS` times).
    /// A failing plugin is logged and its transaction rolled back; the others still run.
    pub fn tick(&self, storage: &Storage, now: chrono::DateTime<chrono::Utc>) {
        const MAX_ROUNDS: usize = 50;
        let call = Request::Tick(TickCall {
            now: now.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        });
        for plugin in self.loaded.iter().filter(|p| p.manifest.ticks) {
            let name = &plugin.manifest.name;
            for _ in 0..MAX_ROUNDS {
                let round = storage.write(|w| {
                    let root = groups::root(w.conn())?
                        .ok_or_else(|| StoreError::Corrupt("no root group".to_owned()))?;
                    let mut services = Services::ticking(w, name, root.id);
                    let outcome = plugin_call(&self.metrics, name, "tick", || {
                        plugin.invoke(&call, &mut services)
                    });
                    if let Some(storage) = services.failure() {
                        return Err(failed(name, &Failure::Host(storage.to_owned())).into());
                    }
                    let bytes = outcome.map_err(|f| StoreError::from(failed(name, &f)))?;
                    let answer: TickAnswer = serde_json::from_slice(&bytes).map_err(|e| {
                        StoreError::from(failed(name, &Failure::Garbled(e.to_string())))
                    })?;
                    Ok((answer.more, services.queued_mail()))
                });
                match round {
                    Ok((more, queued)) => {
                        if queued {
                            self.mail_queued.notify_one();
                        }
                        if !more {
                            break;
                        }
                    }
                    Err(error) => {
                        log::error!("plugin {name}: tick failed: {error}");
                        break;
                    }
                }
            }
        }
    }

    pub fn manifests(&self) -> impl Iterator<Item = &Manifest> {
        self.loaded.iter().map(|p| &p.manifest)
    }

    pub fn is_loaded(&self, name: &str) -> bool {
        self.manifests().any(|m| m.name == name)
    }

    fn with_hook(&self, hook: Hook) -> impl Iterator<Item = &Arc<LoadedPlugin>> {
        self.loaded
            .iter()
            .filter(move |p| p.manifest.hooks.contains(&hook))
    }

    /// Whether any plugin asked for `hook` (so that callers skip building its payload).
    pub fn wants(&self, hook: Hook) -> bool {
        self.with_hook(hook).next().is_some()
    }

    /// Runs a `before_*` hook inside the change's transaction. A refusal or failure of any plugin
    /// is returned as an error, which rolls the whole change back. The events are about one
    /// group, which the plugin may write records of.
    pub fn before(
        &self,
        w: &mut Writer<'_>,
        hook: Hook,
        events: &[GroupEvent],
        caller: &Caller,
    ) -> Result<(), StoreError> {
        match events.first() {
            Some(_) => self.before_in(w, hook, events, caller, Reach::Group(target_of(events)?)),
            None => Ok(()),
        }
    }

    /// [`Plugins::before`] for a batch of events about many groups (an import): one call per
    /// plugin with all of them, whose writes reach the subtree the batch lies in.
    pub fn before_in(
        &self,
        w: &mut Writer<'_>,
        hook: Hook,
        events: &[GroupEvent],
        caller: &Caller,
        reach: Reach,
    ) -> Result<(), StoreError> {
        if !self.wants(hook) || events.is_empty() {
            return Ok(());
        }
        let call = hook_message(hook, events, caller)?;
        for plugin in self.with_hook(hook) {
            let name = &plugin.manifest.name;
            let mut services = Services::writing(w, name, reach);
            let outcome = plugin_call(&self.metrics, name, hook.as_str(), || {
                plugin.invoke_encoded(&call, &mut services)
            });
            if let Some(storage) = services.failure() {
                return Err(failed(name, &Failure::Host(storage.to_owned())).into());
            }
            match outcome {
                Ok(_) => {}
                // An older plugin that does not know this hook's message: it has no say.
                Err(Failure::Error(error)) if error.is_unsupported() => {
                    log::warn!("plugin {name}: {hook:?} is unsupported: {}", error.message);
                }
                Err(Failure::Error(error)) => {
                    return Err(DomainError::Plugin {
                        plugin: name.clone(),
                        code: "plugin_refused".to_owned(),
                        message: format!("the {name} plugin refused: {}", error.message),
                        field: None,
                    }
                    .into());
                }
                Err(failure) => return Err(failed(name, &failure).into()),
            }
        }
        Ok(())
    }

    /// Runs an `after_*` hook once the change is committed, in a transaction of its own per
    /// plugin: one call with every event, whose writes reach `reach` (the events' one group, or
    /// for a batch the subtree it lies in). It cannot fail the request: errors and panics are
    /// logged.
    pub fn after(
        &self,
        storage: &tenantry_storage::Storage,
        hook: Hook,
        events: &[GroupEvent],
        caller: &Caller,
        reach: Option<Reach>,
    ) {
        if !self.wants(hook) || events.is_empty() {
            return;
        }
        let reach = reach.map_or_else(|| target_of(events).map(Reach::Group), Ok);
        let (call, reach) = match (hook_message(hook, events, caller), reach) {
            (Ok(call), Ok(reach)) => (call, reach),
            (Err(e), _) | (_, Err(e)) => {
                log::error!("cannot build the {hook:?} hook: {e}");
                return;
            }
        };
        for plugin in self.with_hook(hook) {
            let name = &plugin.manifest.name;
            let outcome = storage.write(|w| {
                let mut services = Services::writing(w, name, reach);
                let outcome = plugin_call(&self.metrics, name, hook.as_str(), || {
                    plugin.invoke_encoded(&call, &mut services)
                });
                if let Some(storage) = services.failure() {
                    return Err(failed(name, &Failure::Host(storage.to_owned())).into());
                }
                outcome.map_err(|failure| StoreError::from(failed(name, &failure)))
            });
            if let Err(error) = outcome {
                log::error!("plugin {name}: {hook:?} failed (the change stands): {error}");
            }
        }
    }
}

/// The actions and modules the plugins declare, checked: names new and well formed, modules
/// known, and every route naming an action that is the core's or its own plugin's. Any fault
/// stops start-up, naming the plugin.
fn declare(loaded: &[LoadedPlugin]) -> anyhow::Result<Declarations> {
    let mut declarations = Declarations::default();
    let themers: Vec<&str> = loaded
        .iter()
        .filter(|p| p.manifest.themes)
        .map(|p| p.manifest.name.as_str())
        .collect();
    if themers.len() > 1 {
        anyhow::bail!(
            "plugins {} all theme the console: enable at most one of them",
            themers.join(", ")
        );
    }
    for plugin in loaded {
        let manifest = &plugin.manifest;
        if let Some(module) = &manifest.module {
            let levels: Vec<&str> = module.levels.iter().map(String::as_str).collect();
            declarations
                .add_module(&manifest.name, &module.name, &module.title, &levels)
                .map_err(anyhow::Error::msg)?;
        }
        for action in &manifest.actions {
            let declared = ActionDeclaration {
                name: &action.name,
                description: &action.description,
                module: action.module.as_deref(),
                least: &action.least,
                security_officers_only: action.security_officers_only,
            };
            declarations
                .add_action(&manifest.name, &declared)
                .map_err(anyhow::Error::msg)?;
        }
    }
    for plugin in loaded {
        for route in &plugin.manifest.routes {
            declarations
                .for_route(&plugin.manifest.name, &route.action)
                .map_err(|e| anyhow::anyhow!("{e} ({} {})", route.method, route.path))?;
            check_creates(&plugin.manifest, route)?;
        }
        check_panels(&plugin.manifest, &declarations)?;
        check_uploads(&plugin.manifest)?;
    }
    Ok(declarations)
}

/// A plugin's panels name an action it may name, and routes it serves with the method they
/// say: a `GET` for a table, a route with a JSON body for a form, a route with a record's
/// parameter for a row's action. Otherwise the console would draw a screen that cannot work.
fn check_panels(manifest: &Manifest, declarations: &Declarations) -> anyhow::Result<()> {
    let name = &manifest.name;
    let serves = |method: &str, path: &str| {
        manifest
            .routes
            .iter()
            .find(|r| r.method == method && r.path == path)
    };
    let mut seen = std::collections::BTreeSet::new();
    for panel in &manifest.panels {
        let fault = |what: String| anyhow::anyhow!("plugin {name}: panel {:?}: {what}", panel.name);
        let well_formed = !panel.name.is_empty()
            && panel
                .name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !well_formed || !seen.insert(panel.name.as_str()) {
            return Err(fault(
                "the name must be snake_case and unique in the plugin".into(),
            ));
        }
        declarations
            .for_route(name, &panel.action)
            .map_err(&fault)?;
        if let Some(table) = &panel.table {
            if serves("GET", &table.route).is_none() {
                return Err(fault(format!(
                    "its table's GET {} is not a route of the plugin",
                    table.route
                )));
            }
            for action in &table.row_actions {
                if let Some(opened) = &action.opens {
                    let detail = manifest.panels.iter().any(|p| {
                        &p.name == opened
                            && p.place == tenantry_plugin_host::api::panel::PanelPlace::RowDetail
                    });
                    if !detail {
                        return Err(fault(format!(
                            "its row action opens {opened:?}, which is no row_detail panel of the plugin"
                        )));
                    }
                    continue;
                }
                let key = action.key.as_deref().unwrap_or("id");
                if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    return Err(fault(format!(
                        "its row action's key {key:?} is not a field name"
                    )));
                }
                let record = action
                    .route
                    .split('/')
                    .filter_map(|part| part.strip_prefix('{')?.strip_suffix('}'))
                    .any(|param| param != "id");
                if serves(&action.method, &action.route).is_none() || !record {
                    return Err(fault(format!(
                        "its row action {} {} is not a route of the plugin naming a record",
                        action.method, action.route
                    )));
                }
            }
        }
        if let Some(form) = &panel.form {
            let route = serves(&form.method, &form.route);
            if !route.is_some_and(|r| r.body == Some(tenantry_plugin_host::api::BodyKind::Json)) {
                return Err(fault(format!(
                    "its form's {} {} is not a route of the plugin that takes JSON",
                    form.method, form.route
                )));
            }
            if let Some(source) = &form.source
                && serves("GET", source).is_none()
            {
                return Err(fault(format!(
                    "its form's source GET {source} is not a route of the plugin"
                )));
            }
        }
    }
    Ok(())
}

/// A route that says it creates what a path parameter names is a `POST` that some other route
/// of the plugin addresses by that parameter: otherwise its OpenAPI links would lead nowhere.
fn check_creates(manifest: &Manifest, route: &Route) -> anyhow::Result<()> {
    let Some(param) = &route.schemas.creates else {
        return Ok(());
    };
    let placeholder = format!("{{{param}}}");
    let addressed = manifest
        .routes
        .iter()
        .any(|other| other.path.contains(&placeholder));
    if route.method != "POST" || route.path.contains(&placeholder) || !addressed {
        anyhow::bail!(
            "plugin {}: {} {} says it creates {placeholder}, but only a POST whose path lacks \
             it may, and another of the plugin's routes must name it",
            manifest.name,
            route.method,
            route.path
        );
    }
    Ok(())
}

/// A panel's image uploads go to routes of the plugin that take images; its chart is a `GET`
/// route of the plugin whose path parameters its choices fill, each choice with options.
fn check_uploads(manifest: &Manifest) -> anyhow::Result<()> {
    for panel in &manifest.panels {
        if let Some(chart) = &panel.chart {
            let fault = |what: &str| {
                anyhow::anyhow!(
                    "plugin {}: panel {:?}: its chart {what}",
                    manifest.name,
                    panel.name
                )
            };
            if !manifest
                .routes
                .iter()
                .any(|r| r.method == "GET" && r.path == chart.route)
            {
                return Err(fault(&format!(
                    "GET {} is not a route of the plugin",
                    chart.route
                )));
            }
            let unfilled = chart
                .route
                .split('/')
                .filter_map(|part| part.strip_prefix('{')?.strip_suffix('}'))
                .any(|param| param != "id" && !chart.choices.iter().any(|c| c.name == param));
            if unfilled || chart.choices.iter().any(|c| c.choices.is_empty()) {
                return Err(fault(
                    "must fill every path parameter but {id} with a choice that has options",
                ));
            }
        }
        for upload in &panel.uploads {
            let takes_image = manifest.routes.iter().any(|r| {
                r.method == upload.method
                    && r.path == upload.route
                    && r.body == Some(tenantry_plugin_host::api::BodyKind::Image)
            });
            if !takes_image {
                anyhow::bail!(
                    "plugin {}: panel {:?}: its upload's {} {} is not a route of the plugin that \
                     takes an image",
                    manifest.name,
                    panel.name,
                    upload.method,
                    upload.route
                );
            }
        }
    }
    Ok(())
}

/// A plugin's failure (not a refusal): logged, and answered as `plugin_failed`.
pub(crate) fn failed(plugin: &str, failure: &Failure) -> DomainError {
    DomainError::Plugin {
        plugin: plugin.to_owned(),
        code: "plugin_failed".to_owned(),
        message: failure.to_string(),
        field: None,
    }
}

/// The group a change is about (the first event's).
fn target_of(events: &[GroupEvent]) -> Result<tenantry_domain::GroupId, StoreError> {
    events
        .first()
        .map(|event| match event {
            GroupEvent::GroupCreated(e) => e.group_id,
            GroupEvent::GroupUpdated(e) => e.group_id,
            GroupEvent::GroupMoved(e) => e.group_id,
            GroupEvent::GroupDeleted(e) => e.group_id,
        })
        .ok_or_else(|| StoreError::Corrupt("a hook without events".to_owned()))
}

/// A hook's message, encoded once: the domain's events serialize to exactly the JSON of the
/// plugin API's `Event` (pinned by a test below), so they are written straight into it.
fn hook_message(hook: Hook, events: &[GroupEvent], caller: &Caller) -> Result<Vec<u8>, StoreError> {
    #[derive(serde::Serialize)]
    struct Message<'a> {
        kind: &'static str,
        hook: Hook,
        events: &'a [GroupEvent],
        actor: Actor,
    }
    serde_json::to_vec(&Message {
        kind: "hook",
        hook,
        events,
        actor: actor_of(caller),
    })
    .map_err(|e| StoreError::Corrupt(format!("a hook plugins cannot read: {e}")))
}

pub(crate) fn actor_of(caller: &Caller) -> Actor {
    Actor {
        user_id: caller.actor.user_id.0,
        group_id: caller.actor.group_id.0,
        role: caller.actor.authority.role.as_str().to_owned(),
        security_officer: caller.actor.authority.security_officer,
    }
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;
    use tenantry_domain::{
        GroupChange, GroupCreated, GroupDeleted, GroupId, GroupMoved, GroupUpdated, Level,
    };

    use super::*;
    use tenantry_plugin_host::api::{Event, Request};

    /// The domain's event, as plugins receive it: the same JSON (pinned by a test below).
    fn to_plugin_event(event: &GroupEvent) -> Result<Event, serde_json::Error> {
        serde_json::from_value(serde_json::to_value(event)?)
    }

    #[test]
    fn hook_messages_are_requests_plugins_read() {
        let caller_free = serde_json::json!({
            "kind": "hook", "hook": "before_update", "events": [], "actor": {
                "user_id": 1, "group_id": 1, "role": "superuser", "security_officer": true
            }
        });
        let request: Request = serde_json::from_value(caller_free).unwrap();
        assert!(matches!(request, Request::Hook(call) if call.hook == Hook::BeforeUpdate));
    }

    #[test]
    fn every_domain_event_reaches_plugins_whole() {
        let at = DateTime::UNIX_EPOCH;
        let events = [
            GroupEvent::GroupCreated(GroupCreated {
                group_id: GroupId(5),
                parent_id: GroupId(1),
                name: "Acme".into(),
                level: Level::Reseller,
                at,
            }),
            GroupEvent::GroupUpdated(GroupUpdated {
                group_id: GroupId(5),
                changes: vec![GroupChange::Name {
                    before: "Acme".into(),
                    after: "Acme 2".into(),
                }],
                at,
            }),
            GroupEvent::GroupMoved(GroupMoved {
                group_id: GroupId(5),
                from_parent: GroupId(1),
                to_parent: GroupId(2),
                subtree_size: 3,
                at,
            }),
            GroupEvent::GroupDeleted(GroupDeleted {
                group_id: GroupId(5),
                parent_id: GroupId(2),
                name: "Acme 2".into(),
                at,
            }),
        ];
        for event in &events {
            let seen = to_plugin_event(event).unwrap();
            assert_ne!(seen, Event::Unknown, "{event:?}");
            assert_eq!(seen.group_id(), Some(5));
            assert_eq!(
                serde_json::to_value(&seen).unwrap(),
                serde_json::to_value(event).unwrap(),
                "nothing lost on the way"
            );
        }
        let Event::GroupUpdated { changes, .. } = to_plugin_event(&events[1]).unwrap() else {
            panic!("not an update");
        };
        assert_eq!(changes[0].field, "name");
        assert_eq!(changes[0].after, "Acme 2");
    }
}
