//! The host's rows as the plugin API's types.

use chrono::SecondsFormat;
use tenantry_domain::Group;
use tenantry_plugin_host::api::{
    DayStats, DeviceUsage, GroupInfo, MailStatus, PluginError, Record,
};
use tenantry_storage::plugin_records::PluginRecord;
use tenantry_storage::{devices, outbox, stats};

pub fn group_info(group: &Group) -> GroupInfo {
    GroupInfo {
        id: group.id.0,
        parent_id: group.parent_id.map(|p| p.0),
        name: group.name.clone(),
        level: group.level.as_str().to_owned(),
    }
}

pub(super) fn day_stats(day: stats::GroupDay) -> DayStats {
    DayStats {
        day: day.day.format("%Y-%m-%d").to_string(),
        devices: day.devices,
        selected_bytes: day.selected_bytes,
        used_bytes: day.used_bytes,
        sessions_completed: day.sessions_completed,
        sessions_failed: day.sessions_failed,
        sessions_with_errors: day.sessions_with_errors,
        customers: day.customers,
    }
}

pub(super) fn date(field: &str, text: &str) -> Result<chrono::NaiveDate, PluginError> {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| PluginError::invalid(field, "must be a date, YYYY-MM-DD"))
}

/// The API's one time format: RFC 3339, UTC as `Z`, microseconds.
pub(super) fn time(at: chrono::NaiveDateTime) -> String {
    at.and_utc().to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub(super) fn device_usage(row: devices::DeviceUsage) -> DeviceUsage {
    DeviceUsage {
        device_id: row.device_id,
        group_id: row.group_id,
        group_name: row.group_name,
        name: row.name,
        os: row.os,
        status: row.status,
        last_session_at: row.last_session_at.map(time),
        selected_bytes: row.selected_bytes,
        used_bytes: row.used_bytes,
        max_used_bytes: row.max_used_bytes,
        sessions_completed: row.sessions_completed,
        sessions_failed: row.sessions_failed,
        sessions_with_errors: row.sessions_with_errors,
    }
}

pub(super) fn mail_status(mail: outbox::Mail) -> MailStatus {
    MailStatus {
        id: mail.id,
        to: mail.recipients(),
        subject: mail.subject,
        next_attempt_at: (mail.status == outbox::PENDING).then(|| time(mail.next_attempt_at)),
        status: mail.status,
        attempts: mail.attempts,
        created_at: time(mail.created_at),
        sent_at: mail.sent_at.map(time),
        last_error: mail.last_error,
    }
}

/// A stored record as the plugin reads it. Data that does not parse is an error (the host
/// wrote it as JSON), never handed over as `null` for the plugin to write back.
pub(super) fn record(row: PluginRecord) -> Result<Record, PluginError> {
    let data = serde_json::from_str(&row.data).map_err(|e| {
        PluginError::internal(format!("stored record {} is unreadable: {e}", row.id))
    })?;
    Ok(Record {
        id: row.id,
        group_id: row.group_id,
        collection: row.collection,
        sort_key: row.sort_key,
        data,
        created_at: time(row.created_at),
        updated_at: time(row.updated_at),
    })
}
