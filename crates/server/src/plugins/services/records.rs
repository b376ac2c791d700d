//! The plugin's own records (and, read-only, another plugin's).

use serde_json::Value;
use tenantry_domain::GroupId;
use tenantry_plugin_host::api::schema::MAX_PAGE;
use tenantry_plugin_host::api::{HostAnswer, ListRecords, Page, PluginError, PluginErrorCode};
use tenantry_storage::Cursor;
use tenantry_storage::plugin_records::{self, Collection, RecordQuery};

use super::Services;
use super::convert::record;

/// A collection of a plugin's records in a group, as storage addresses it.
fn collection_of<'c>(plugin: &'c str, group_id: i64, name: &'c str) -> Collection<'c> {
    Collection {
        plugin,
        group: GroupId(group_id),
        name,
    }
}

impl Services<'_, '_> {
    /// Writes a record of the call's group (or, for a tick, of its subtree); with `if_sort_key`,
    /// only if the record's sort key still is that (a claim).
    pub(super) fn put_record(
        &mut self,
        group_id: i64,
        collection: String,
        id: Option<i64>,
        if_sort_key: Option<String>,
        sort_key: String,
        data: Value,
    ) -> Result<HostAnswer, PluginError> {
        let now = tenantry_storage::now();
        let data = data.to_string();
        let plugin = self.plugin.clone();
        let w = self.check_write(GroupId(group_id))?;
        let collection = collection_of(&plugin, group_id, &collection);
        let written = plugin_records::put(
            w,
            collection,
            id,
            if_sort_key.as_deref(),
            &sort_key,
            &data,
            now,
        );
        let row = written.map_err(|e| self.store_error(e))?;
        Ok(HostAnswer::Record(record(row)?))
    }

    /// Gives a record of the call's group a key unique in its collection, or takes it away.
    pub(super) fn set_record_key(
        &mut self,
        group_id: i64,
        collection: String,
        id: i64,
        key: Option<String>,
    ) -> Result<HostAnswer, PluginError> {
        let plugin = self.plugin.clone();
        let w = self.check_write(GroupId(group_id))?;
        let collection = collection_of(&plugin, group_id, &collection);
        let set = plugin_records::set_key(w, collection, id, key.as_deref());
        set.map_err(|e| self.store_error(e))?;
        Ok(HostAnswer::KeySet)
    }

    /// The record of the plugin's collection holding a key, if its group is within reach
    /// (otherwise none, as if no record held it).
    pub(super) fn find_record(
        &mut self,
        collection: String,
        key: String,
    ) -> Result<HostAnswer, PluginError> {
        let plugin = self.plugin.clone();
        let found = plugin_records::find_by_key(self.access.conn(), &plugin, &collection, &key);
        let Some(row) = found.map_err(|e| self.store_error(e))? else {
            return Ok(HostAnswer::MaybeRecord(None));
        };
        match self.check_read(GroupId(row.group_id)) {
            Ok(_) => Ok(HostAnswer::MaybeRecord(Some(record(row)?))),
            Err(error) if error.code == PluginErrorCode::NotFound => {
                Ok(HostAnswer::MaybeRecord(None))
            }
            Err(error) => Err(error),
        }
    }

    /// One record of a group the call may read.
    pub(super) fn get_record(
        &mut self,
        group_id: i64,
        collection: String,
        id: i64,
    ) -> Result<HostAnswer, PluginError> {
        self.check_read(GroupId(group_id))?;
        let plugin = self.plugin.clone();
        let collection = collection_of(&plugin, group_id, &collection);
        let found = plugin_records::get(self.access.conn(), collection, id);
        let row = found.map_err(|e| self.store_error(e))?;
        Ok(HostAnswer::MaybeRecord(row.map(record).transpose()?))
    }

    /// Whether a record was there to delete.
    pub(super) fn delete_record(
        &mut self,
        group_id: i64,
        collection: String,
        id: i64,
    ) -> Result<HostAnswer, PluginError> {
        let plugin = self.plugin.clone();
        let w = self.check_write(GroupId(group_id))?;
        let collection = collection_of(&plugin, group_id, &collection);
        let deleted = plugin_records::delete(w, collection, id);
        Ok(HostAnswer::Deleted(
            deleted.map_err(|e| self.store_error(e))?,
        ))
    }

    /// How many records of a collection went.
    pub(super) fn delete_collection(
        &mut self,
        group_id: i64,
        collection: String,
    ) -> Result<HostAnswer, PluginError> {
        let plugin = self.plugin.clone();
        let w = self.check_write(GroupId(group_id))?;
        let collection = collection_of(&plugin, group_id, &collection);
        let deleted = plugin_records::delete_collection(w, collection);
        Ok(HostAnswer::Removed(
            deleted.map_err(|e| self.store_error(e))? as i64,
        ))
    }

    /// Records due across the groups the call reaches, lowest sort key first.
    pub(super) fn due_records(
        &mut self,
        collection: String,
        until: String,
        limit: i64,
    ) -> Result<HostAnswer, PluginError> {
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(PluginError::invalid(
                "limit",
                format!("must be between 1 and {MAX_PAGE}"),
            ));
        }
        let scope = self.target()?.path;
        let plugin = self.plugin.clone();
        let found = plugin_records::due(
            self.access.conn(),
            &plugin,
            &collection,
            &scope,
            &until,
            limit,
        );
        let rows = found.map_err(|e| self.store_error(e))?;
        Ok(HostAnswer::DueRecords(
            rows.into_iter().map(record).collect::<Result<_, _>>()?,
        ))
    }
}

impl Services<'_, '_> {
    pub(super) fn list(
        &mut self,
        plugin: &str,
        list: ListRecords,
    ) -> Result<HostAnswer, PluginError> {
        self.check_read(GroupId(list.group_id))?;
        let after = list
            .cursor
            .as_deref()
            .map(Cursor::parse)
            .transpose()
            .map_err(|e| PluginError::invalid("cursor", e.to_string()))?;
        if !(1..=MAX_PAGE).contains(&list.limit) {
            return Err(PluginError::invalid(
                "limit",
                format!("must be between 1 and {MAX_PAGE}"),
            ));
        }
        let query = RecordQuery {
            descending: list.descending,
            from: list.from,
            to: list.to,
            after,
            limit: list.limit,
        };
        let collection = collection_of(plugin, list.group_id, &list.collection);
        let page = plugin_records::list(self.access.conn(), collection, &query);
        let page = page.map_err(|e| self.store_error(e))?;
        Ok(HostAnswer::Records(Page {
            items: page
                .items
                .into_iter()
                .map(record)
                .collect::<Result<_, _>>()?,
            next: page.next.map(|c| c.token().to_owned()),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plugins_and_the_host_page_alike() {
        assert_eq!(MAX_PAGE, tenantry_storage::MAX_PAGE);
        assert_eq!(
            tenantry_plugin_host::api::schema::DEFAULT_PAGE,
            tenantry_storage::DEFAULT_PAGE
        );
    }
}
