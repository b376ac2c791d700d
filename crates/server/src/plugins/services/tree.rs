//! Groups and users, within the call's reach.

use tenantry_domain::{DomainError, GroupId, TreePath, UserId};
use tenantry_plugin_host::api::{HostAnswer, Page, PluginError, UserInfo};
use tenantry_storage::{Cursor, StoreError, groups, users};

use super::Services;
use super::convert::group_info;

impl Services<'_, '_> {
    pub(super) fn group(&mut self, id: i64) -> Result<HostAnswer, PluginError> {
        Ok(HostAnswer::Group(group_info(
            &self.check_read(GroupId(id))?,
        )))
    }
}

impl Services<'_, '_> {
    /// Which of `ids` are users of `within`'s subtree.
    pub(super) fn users(
        &mut self,
        mut ids: Vec<i64>,
        within: i64,
    ) -> Result<HostAnswer, PluginError> {
        const MAX_IDS: usize = 500;
        if ids.len() > MAX_IDS {
            return Err(PluginError::invalid(
                "ids",
                format!("at most {MAX_IDS} at a time"),
            ));
        }
        ids.sort_unstable();
        ids.dedup();
        let within = self.check_read(GroupId(within))?;
        let mut found = Vec::new();
        for id in ids {
            match users::get(self.access.conn(), &within.path, UserId(id)) {
                Ok(user) => found.push(UserInfo {
                    id: user.id.0,
                    group_id: user.group_id.0,
                    username: user.username,
                    name: user.name,
                }),
                Err(StoreError::Domain(DomainError::NotFound { .. })) => {}
                Err(e) => return Err(self.store_error(e)),
            }
        }
        Ok(HostAnswer::Users(found))
    }

    /// A group's ancestors, root first, within the call's reach.
    pub(super) fn ancestors(&mut self, id: i64) -> Result<HostAnswer, PluginError> {
        let group = self.check_read(GroupId(id))?;
        let root = TreePath::root(group.path.ids()[0]);
        let found = groups::ancestors(self.access.conn(), &root, group.id);
        let found = found.map_err(|e| self.store_error(e))?;
        Ok(HostAnswer::Groups(found.iter().map(group_info).collect()))
    }

    /// A page of a group's descendants, in tree order.
    pub(super) fn subtree(
        &mut self,
        id: i64,
        after: Option<String>,
        limit: i64,
    ) -> Result<HostAnswer, PluginError> {
        let group = self.check_subtree(GroupId(id))?;
        let target = self.target()?;
        let after = after
            .as_deref()
            .map(Cursor::parse)
            .transpose()
            .map_err(|e| PluginError::invalid("after", e.to_string()))?;
        let page = tenantry_storage::PageRequest::new(Some(limit), after)
            .map_err(|e| PluginError::invalid("limit", e.to_string()))?;
        let scope = target.path.clone();
        let found = groups::descendants(
            self.access.conn(),
            &scope,
            &group,
            &groups::DescendantFilter::default(),
            &page,
        );
        let found = found.map_err(|e| self.store_error(e))?;
        Ok(HostAnswer::GroupPage(Page {
            items: found.items.iter().map(group_info).collect(),
            next: found.next.map(|c| c.token().to_owned()),
        }))
    }
}
