//! Loads the plugins an installation enables and calls them. Verification happens before any
//! plugin code runs beyond its ABI version function: the file must exist, match its SHA-256 pin
//! when one is configured, and report this host's ABI version. Libraries are never unloaded.

mod call;
mod load;

pub use call::{Failure, HostServices};
pub use load::{LoadError, LoadedPlugin, PluginSpec, load};
pub use tenantry_plugin_api as api;
