//! Everything a Tenantry plugin author needs: implement [`Plugin`], call [`export_plugin!`], and
//! build the crate as a `cdylib`. The macro writes the C entry points; every call runs inside
//! `catch_unwind`, so a panic in a plugin becomes an error the host handles, never a crash.
//! `log::info!` and friends go to the host's log. See `docs/plugins.md` for a complete example.

pub mod event;
mod export;
pub mod host;
pub mod messages;
pub mod panel;
pub mod schema;
pub mod theme;

pub use event::{Change, Event};
pub use host::{
    Attachment, DayStats, DeviceUsage, Host, HostAnswer, HostRequest, ListRecords, Mail,
    MailStatus, Page, Record,
};
pub use messages::{
    ActionSpec, Actor, BodyKind, GroupInfo, Hook, HookCall, HttpAnswer, HttpRequest, Manifest,
    ModuleSpec, PluginError, PluginErrorCode, Request, Route, RouteSchemas, TickAnswer, TickCall,
    UserInfo,
};
pub use panel::Panel;
pub use serde_json::{Value, json};
pub use theme::{Theme, ThemeCall, ThemeImage};

/// A plugin. One value serves every call, from any thread.
pub trait Plugin: Send + Sync + 'static {
    /// Name, version, hooks and routes: asked once, at load time.
    fn manifest(&self) -> Manifest;

    /// A lifecycle hook the manifest lists. From a `before_*` hook, an error refuses the change
    /// (its message is the reason the API gives); from an `after_*` hook it is only logged.
    fn hook(&self, _host: &Host, _call: &HookCall) -> Result<(), PluginError> {
        Ok(())
    }

    /// A request for one of the manifest's routes, already authenticated and authorized.
    fn http(&self, _host: &Host, _request: &HttpRequest) -> Result<HttpAnswer, PluginError> {
        Err(PluginError::not_found("route"))
    }

    /// The host's periodic call, for plugins whose manifest says `ticks`.
    fn tick(&self, _host: &Host, _call: &TickCall) -> Result<TickAnswer, PluginError> {
        Ok(TickAnswer::default())
    }

    /// A group's console theme, for the plugin whose manifest says `themes`.
    fn theme(&self, _host: &Host, _call: &ThemeCall) -> Result<Theme, PluginError> {
        Err(PluginError::unsupported("themes"))
    }
}

/// Writes the two C entry points of a plugin library around a constructor of its [`Plugin`]:
/// `export_plugin!(Branding::default());`
#[macro_export]
macro_rules! export_plugin {
    ($constructor:expr) => {
        /// The ABI version this plugin was built against (checked by the host first).
        #[allow(unsafe_code)]
        #[unsafe(no_mangle)]
        pub extern "C" fn tenantry_plugin_abi_version() -> u32 {
            $crate::__export::ABI_VERSION
        }

        /// Called once by the host with its table; answers the plugin's table.
        ///
        /// # Safety
        /// `host` must point at a valid host table that outlives the library.
        #[allow(unsafe_code)]
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn tenantry_plugin_register(
            host: *const $crate::__export::HostTable,
        ) -> $crate::__export::PluginTable {
            // SAFETY: passed on from the host, which guarantees the table.
            unsafe { $crate::__export::register(host, || ::std::boxed::Box::new($constructor)) }
        }
    };
}

#[doc(hidden)]
pub mod __export {
    pub use crate::export::register;
    pub use tenantry_plugin_abi::{ABI_VERSION, HostTable, PluginTable};
}
