//! The console's theme, from the one plugin whose manifest says `themes` (the branding plugin
//! here, or any other): asked in the page's read transaction, with the reach of the group whose
//! console it is. A page is never refused for its theme: no theming plugin, one that fails or
//! one too old to know the request, and the page is drawn in the installation's own look.

use tenantry_domain::Group;
use tenantry_plugin_host::Failure;
use tenantry_plugin_host::api::{PluginErrorCode, Request, Theme, ThemeCall};
use tenantry_storage::DbConnection;

use super::Plugins;
use super::services::Services;
use crate::metrics::plugin_call;

impl Plugins {
    /// The theme of `group`'s console, or of the group whose login address `login` is (asked
    /// with the root as `group`); the images' bytes too with `with_images`.
    pub fn theme(
        &self,
        conn: &mut DbConnection,
        group: Group,
        login: Option<&str>,
        with_images: bool,
    ) -> Option<Theme> {
        let plugin = self.loaded.iter().find(|p| p.manifest.themes)?;
        let name = &plugin.manifest.name;
        let request = Request::Theme(ThemeCall {
            group_id: group.id.0,
            with_images,
            login_address: login.map(str::to_owned),
        });
        let mut services = Services::reading(conn, name, group);
        let outcome = plugin_call(&self.metrics, name, "theme", || {
            plugin.invoke(&request, &mut services)
        });
        let theme = match (services.failure(), outcome) {
            (Some(storage), _) => Err(format!("a host service failed: {storage}")),
            (None, Ok(bytes)) => serde_json::from_slice(&bytes).map_err(|e| e.to_string()),
            // An address no group has is no theme, and nothing to warn about.
            (None, Err(Failure::Error(error)))
                if login.is_some() && error.code == PluginErrorCode::NotFound =>
            {
                return None;
            }
            (None, Err(failure)) => Err(failure.to_string()),
        };
        match theme {
            Ok(theme) => Some(theme),
            Err(error) => {
                log::warn!("plugin {name}: no theme (the installation's look stands in): {error}");
                None
            }
        }
    }
}
