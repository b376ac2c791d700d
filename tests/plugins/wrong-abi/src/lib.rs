//! For the tests: a library that claims another plugin ABI version. The host must refuse it
//! before touching any other symbol (there is no other symbol to touch).

/// Not this host's version.
#[allow(unsafe_code)]
#[unsafe(no_mangle)]
pub extern "C" fn tenantry_plugin_abi_version() -> u32 {
    tenantry_plugin_api::__export::ABI_VERSION + 1000
}
