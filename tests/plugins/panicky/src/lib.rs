//! For the tests: a plugin whose hooks panic (before a create; after an update), and a route that
//! panics. The host must stay up, fail the request cleanly and write nothing.

use tenantry_plugin_api::{
    Hook, HookCall, Host, HttpAnswer, HttpRequest, Manifest, Plugin, PluginError, Route,
    export_plugin,
};

#[derive(Debug, Default)]
pub struct Panicky;

impl Plugin for Panicky {
    fn manifest(&self) -> Manifest {
        Manifest {
            name: "panicky".to_owned(),
            ticks: false,
            version: "0.0.0".to_owned(),
            hooks: vec![Hook::BeforeCreate, Hook::AfterUpdate],
            // The action its route needs: `view_group`, or what the test that checks
            // undeclared actions asks for.
            routes: vec![Route::new(
                "GET",
                "/groups/{id}/panic",
                &std::env::var("PANICKY_ROUTE_ACTION").unwrap_or_else(|_| "view_group".to_owned()),
                "Panics",
            )],
            ..Manifest::default()
        }
    }

    fn hook(&self, _host: &Host, call: &HookCall) -> Result<(), PluginError> {
        panic!("panicky plugin: {:?}", call.hook);
    }

    fn http(&self, _host: &Host, _request: &HttpRequest) -> Result<HttpAnswer, PluginError> {
        panic!("panicky plugin: a route");
    }
}

export_plugin!(Panicky);
