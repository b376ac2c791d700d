//! Plugins, end to end: the real plugin libraries loaded by the real server.

mod branding;
mod crm;
mod notes;
mod reporting;
mod scheduled_reports;
mod system;

use tenantry_storage::plugin_records::{self, Collection, RecordQuery};
use tenantry_tests::TestServer;

use crate::groups::delete::storage_of;

/// How many records a plugin keeps for a group in a collection, read from the database itself.
pub fn records(server: &TestServer, plugin: &str, group: i64, collection: &str) -> usize {
    let storage = storage_of(server);
    let query = RecordQuery {
        limit: 500,
        ..RecordQuery::default()
    };
    storage
        .read(|c| {
            plugin_records::list(
                c,
                Collection {
                    plugin,
                    group: tenantry_domain::GroupId(group),
                    name: collection,
                },
                &query,
            )
        })
        .unwrap()
        .items
        .len()
}
