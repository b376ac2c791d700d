//! A subtree's statistics per day and its devices over a period.

use tenantry_domain::GroupId;
use tenantry_plugin_host::api::{HostAnswer, PluginError};
use tenantry_storage::{devices, stats};

use super::Services;
use super::convert::{date, day_stats, device_usage};

/// A report's rows are read into memory and mailed: a bound that a customer's report never meets.
const MAX_USAGE_ROWS: i64 = 200_000;

impl Services<'_, '_> {
    /// A subtree's roll-up per UTC day.
    pub(super) fn daily_stats(
        &mut self,
        id: i64,
        from: String,
        to: String,
    ) -> Result<HostAnswer, PluginError> {
        let group = self.check_subtree(GroupId(id))?;
        let (from, to) = (date("from", &from)?, date("to", &to)?);
        let found = stats::days(self.access.conn(), group.id, from, to);
        let days = found.map_err(|e| self.store_error(e))?;
        Ok(HostAnswer::DayStats(
            days.into_iter().map(day_stats).collect(),
        ))
    }

    /// The devices of a subtree over a period.
    pub(super) fn device_usage(
        &mut self,
        id: i64,
        from: String,
        to: String,
        limit: i64,
    ) -> Result<HostAnswer, PluginError> {
        let group = self.check_subtree(GroupId(id))?;
        if !(1..=MAX_USAGE_ROWS).contains(&limit) {
            return Err(PluginError::invalid(
                "limit",
                format!("must be between 1 and {MAX_USAGE_ROWS}"),
            ));
        }
        let (from, to) = (date("from", &from)?, date("to", &to)?);
        let found = devices::usage(self.access.conn(), &group.path, from, to, limit);
        let rows = found.map_err(|e| self.store_error(e))?;
        Ok(HostAnswer::DeviceUsage(
            rows.into_iter().map(device_usage).collect(),
        ))
    }
}
