//! What devices report: backup sessions, each kept, folded into the device's current state and
//! into one history row per device and UTC day.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use tenantry_domain::{Device, DeviceId, DomainError, SessionReport, SessionStatus};

use super::row::DeviceRow;
use crate::db::{DbConnection, Writer};
use crate::dialect::{Locked, lock_row};
use crate::error::{StoreError, StoreResult};
use crate::schema::{device_history, device_sessions, devices};

/// The device a credential belongs to (by the credential's hash), if any.
pub fn by_credential(
    conn: &mut DbConnection,
    credential_hash: &str,
) -> StoreResult<Option<Device>> {
    devices::table
        .filter(devices::credential_hash.eq(credential_hash))
        .select(DeviceRow::as_select())
        .first::<DeviceRow>(conn)
        .optional()?
        .map(Device::try_from)
        .transpose()
}

/// Records one session of a device. The device's state follows the newest session by end time,
/// so a report that arrives late does not roll the state back. Reports of one device are made
/// one after the other (a lock on its row), so that its history counts every one of them.
pub fn report(
    w: &mut Writer<'_>,
    device: DeviceId,
    report: &SessionReport,
    now: DateTime<Utc>,
) -> StoreResult<Device> {
    let conn = w.conn();
    lock_row(conn, Locked::Device, device.0)?;
    let current: Option<Option<NaiveDateTime>> = devices::table
        .find(device.0)
        .select(devices::last_session_at)
        .first(conn)
        .optional()?;
    let last = current.ok_or(StoreError::Domain(DomainError::NotFound { what: "device" }))?;
    let ended = report.ended_at.naive_utc();
    diesel::insert_into(device_sessions::table)
        .values((
            device_sessions::device_id.eq(device.0),
            device_sessions::started_at.eq(report.started_at.naive_utc()),
            device_sessions::ended_at.eq(ended),
            device_sessions::status.eq(report.status.as_str()),
            device_sessions::selected_bytes.eq(report.selected_bytes),
            device_sessions::used_bytes.eq(report.used_bytes),
            device_sessions::files.eq(report.files),
            device_sessions::errors.eq(report.errors),
            device_sessions::received_at.eq(now.naive_utc()),
        ))
        .execute(conn)?;
    let newest = last.is_none_or(|last| ended >= last);
    if newest {
        diesel::update(devices::table.find(device.0))
            .set((
                devices::status.eq(Some(report.status.as_str())),
                devices::selected_bytes.eq(report.selected_bytes),
                devices::used_bytes.eq(report.used_bytes),
                devices::last_session_at.eq(Some(ended)),
            ))
            .execute(conn)?;
    }
    record_day(conn, device, report, newest)?;
    // A past day's charts were rolled up without this session: the next roll-up revisits it.
    crate::stats::mark_changed(conn, report.ended_at.date_naive(), now)?;
    devices::table
        .find(device.0)
        .select(DeviceRow::as_select())
        .first::<DeviceRow>(conn)
        .map_err(StoreError::from)
        .and_then(Device::try_from)
}

/// Counts the session into its day's history row (the day it ended, UTC).
fn record_day(
    conn: &mut DbConnection,
    device: DeviceId,
    report: &SessionReport,
    newest: bool,
) -> StoreResult<()> {
    let day: NaiveDate = report.ended_at.date_naive();
    // Outcomes: failed (failed or aborted), with errors (those, and any session that had an
    // error), completed (without one). A day's sessions are completed + with errors.
    let failed = matches!(
        report.status,
        SessionStatus::Failed | SessionStatus::Aborted
    );
    let with_errors = failed || report.status == SessionStatus::WithErrors || report.errors > 0;
    let (completed, failed, with_errors) = (
        i64::from(!with_errors),
        i64::from(failed),
        i64::from(with_errors),
    );
    let target = device_history::table.find((device.0, day));
    let existing: Option<(i64, i64, i64, i64)> = target
        .select((
            device_history::sessions,
            device_history::sessions_completed,
            device_history::sessions_failed,
            device_history::sessions_with_errors,
        ))
        .first(conn)
        .optional()?;
    match existing {
        None => {
            diesel::insert_into(device_history::table)
                .values((
                    device_history::device_id.eq(device.0),
                    device_history::day.eq(day),
                    device_history::sessions.eq(1),
                    device_history::sessions_completed.eq(completed),
                    device_history::sessions_failed.eq(failed),
                    device_history::sessions_with_errors.eq(with_errors),
                    device_history::selected_bytes.eq(report.selected_bytes),
                    device_history::used_bytes.eq(report.used_bytes),
                ))
                .execute(conn)?;
        }
        Some((sessions, completed_before, failed_before, errors_before)) => {
            diesel::update(target)
                .set((
                    device_history::sessions.eq(sessions + 1),
                    device_history::sessions_completed.eq(completed_before + completed),
                    device_history::sessions_failed.eq(failed_before + failed),
                    device_history::sessions_with_errors.eq(errors_before + with_errors),
                ))
                .execute(conn)?;
            if newest {
                diesel::update(target)
                    .set((
                        device_history::selected_bytes.eq(report.selected_bytes),
                        device_history::used_bytes.eq(report.used_bytes),
                    ))
                    .execute(conn)?;
            }
        }
    }
    Ok(())
}

/// One day of a device's history.
#[derive(Clone, Debug, PartialEq, Eq, Queryable)]
pub struct HistoryDay {
    pub day: NaiveDate,
    pub sessions: i64,
    pub sessions_with_errors: i64,
    pub selected_bytes: i64,
    pub used_bytes: i64,
}

/// A device's history, oldest day first (for a device the caller may see, from `get`).
pub fn history(conn: &mut DbConnection, device: &Device) -> StoreResult<Vec<HistoryDay>> {
    Ok(device_history::table
        .filter(device_history::device_id.eq(device.id.0))
        .order(device_history::day.asc())
        .select((
            device_history::day,
            device_history::sessions,
            device_history::sessions_with_errors,
            device_history::selected_bytes,
            device_history::used_bytes,
        ))
        .load::<HistoryDay>(conn)?)
}
