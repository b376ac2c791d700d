//! What a call may reach: the call's group, its ancestors and its subtree to read; the call's
//! group (for a tick, its subtree) to write. Anything else is `not_found` or `forbidden`, whether
//! it exists or not.

use tenantry_domain::{Group, GroupId};
use tenantry_plugin_host::api::{PluginError, PluginErrorCode};
use tenantry_storage::{DbConnection, StoreError, Writer, groups};

use super::{Access, Services};

impl<'w> Services<'_, 'w> {
    pub(super) fn target(&mut self) -> Result<Group, PluginError> {
        if let Some(target) = &self.target {
            return Ok(target.clone());
        }
        let found = whole_tree_get(self.access.conn(), self.target_id);
        let target = found.map_err(|e| self.store_error(e))?;
        self.target = Some(target.clone());
        Ok(target)
    }

    /// The group, if the call may read it: the call's group, one of its ancestors, or a group
    /// of its subtree. Anything else is `not_found`, whether it exists or not.
    pub(super) fn check_read(&mut self, group: GroupId) -> Result<Group, PluginError> {
        let target = self.target()?;
        let found = if target.path.ids().contains(&group) {
            whole_tree_get(self.access.conn(), group)
        } else {
            groups::get(self.access.conn(), &target.path, group)
        };
        found.map_err(|e| self.store_error(e))
    }

    /// The group, if it lies in the call's subtree (the call's group or below it): what
    /// statistics, device data, mail history and tick writes are limited to.
    pub(super) fn check_subtree(&mut self, group: GroupId) -> Result<Group, PluginError> {
        let found = self.check_read(group)?;
        if !self.target()?.path.contains(&found.path) {
            return Err(out_of_reach());
        }
        Ok(found)
    }

    pub(super) fn check_write(&mut self, group: GroupId) -> Result<&mut Writer<'w>, PluginError> {
        if group != self.target_id {
            if !self.writes_subtree {
                return Err(out_of_reach());
            }
            self.check_subtree(group)?;
        }
        match &mut self.access {
            Access::Write(w) => Ok(w),
            Access::Read(_) => Err(PluginError::internal(
                "this request only reads: records cannot be written during it",
            )),
        }
    }
}

pub(super) fn out_of_reach() -> PluginError {
    PluginError::new(
        PluginErrorCode::Forbidden,
        "a plugin reaches only the call's group, its ancestors and its subtree",
    )
}

/// A group anywhere in the tree (the services check reach themselves).
pub(super) fn whole_tree_get(conn: &mut DbConnection, id: GroupId) -> Result<Group, StoreError> {
    let root = groups::root(conn)?.ok_or(StoreError::Corrupt("no root group".to_owned()))?;
    groups::get(conn, &root.path, id)
}
