//! Each device of a subtree with what it did over a period of days: the rows of the reports a
//! customer is sent (device summary, usage for billing, errors).

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Nullable, Text, Timestamp};
use tenantry_domain::TreePath;

use crate::db::DbConnection;
use crate::error::StoreResult;

/// One device, its state now, and its sessions and largest size over the period.
#[derive(Clone, Debug, PartialEq, Eq, QueryableByName)]
pub struct DeviceUsage {
    #[diesel(sql_type = BigInt)]
    pub device_id: i64,
    #[diesel(sql_type = BigInt)]
    pub group_id: i64,
    #[diesel(sql_type = Text)]
    pub group_name: String,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Text)]
    pub os: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub status: Option<String>,
    #[diesel(sql_type = Nullable<Timestamp>)]
    pub last_session_at: Option<NaiveDateTime>,
    #[diesel(sql_type = BigInt)]
    pub selected_bytes: i64,
    #[diesel(sql_type = BigInt)]
    pub used_bytes: i64,
    /// The largest used size any day of the period ended with; for a device that did not report
    /// during the period, the size its last day before the period ended with (what it held all
    /// along), else its current size if its last session is older than the period, else 0.
    #[diesel(sql_type = BigInt)]
    pub max_used_bytes: i64,
    #[diesel(sql_type = BigInt)]
    pub sessions_completed: i64,
    #[diesel(sql_type = BigInt)]
    pub sessions_failed: i64,
    #[diesel(sql_type = BigInt)]
    pub sessions_with_errors: i64,
}

// The same SQL on both backends (SQLite numbers `$n` parameters in
// order of first appearance, so they appear in order); the casts keep PostgreSQL's
// SUM of BIGINT (a NUMERIC) a BIGINT. The groups' path range gives the subtree in tree order.
const USAGE: &str = "SELECT d.id AS device_id, g.id AS group_id, g.name AS group_name, \
     d.name AS name, d.os AS os, d.status AS status, d.last_session_at AS last_session_at, \
     d.selected_bytes AS selected_bytes, d.used_bytes AS used_bytes, \
     CAST(COALESCE(MAX(h.used_bytes), \
         (SELECT b.used_bytes FROM device_history b WHERE b.device_id = d.id AND b.day < $1 \
             ORDER BY b.day DESC LIMIT 1), \
         CASE WHEN d.last_session_at < $2 THEN d.used_bytes ELSE 0 END) AS BIGINT) AS max_used_bytes, \
     CAST(COALESCE(SUM(h.sessions_completed), 0) AS BIGINT) AS sessions_completed, \
     CAST(COALESCE(SUM(h.sessions_failed), 0) AS BIGINT) AS sessions_failed, \
     CAST(COALESCE(SUM(h.sessions_with_errors), 0) AS BIGINT) AS sessions_with_errors \
     FROM groups g JOIN devices d ON d.group_id = g.id \
     LEFT JOIN device_history h ON h.device_id = d.id AND h.day >= $3 AND h.day <= $4 \
     WHERE g.path >= $5 AND g.path < $6 \
     GROUP BY d.id, g.id, g.name, g.path, d.name, d.os, d.status, d.last_session_at, \
         d.selected_bytes, d.used_bytes \
     ORDER BY g.path, d.id LIMIT $7";

/// The devices of the subtree at `top`, in tree order, over the UTC days `from` to `to` (both
/// included); at most `limit`.
pub fn usage(
    conn: &mut DbConnection,
    top: &TreePath,
    from: NaiveDate,
    to: NaiveDate,
    limit: i64,
) -> StoreResult<Vec<DeviceUsage>> {
    let period_start = from.and_hms_opt(0, 0, 0).unwrap_or_default();
    let end = top.subtree_end();
    let query = diesel::sql_query(USAGE)
        .bind::<Date, _>(from)
        .bind::<Timestamp, _>(period_start)
        .bind::<Date, _>(from)
        .bind::<Date, _>(to)
        .bind::<Text, _>(top.as_str())
        .bind::<Text, _>(&end)
        .bind::<BigInt, _>(limit);
    Ok(on_backend!(conn, |c| query.load(c)?))
}
