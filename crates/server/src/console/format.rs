//! How values read on a page: sizes in GB/TB, times as "2 days ago" (the exact time beside),
//! the domain's enums by their manual names.

use chrono::{DateTime, Utc};
use tenantry_domain::{GroupState, ServiceType, SessionStatus};

/// Bytes in decimal units, as storage is sold: `1.5 TB`, `320 GB`, `0 B`.
pub fn bytes(n: i64) -> String {
    const UNITS: [&str; 6] = ["B", "kB", "MB", "GB", "TB", "PB"];
    let mut value = n.max(0) as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 || value >= 100.0 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// A moment relative to now: "just now", "5 minutes ago", "2 days ago"; ahead of now (a lock's
/// end, an expiry), "in 15 minutes".
pub fn ago(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let seconds = (now - at).num_seconds();
    match span(seconds.unsigned_abs()) {
        None if seconds < 0 => "in less than a minute".to_owned(),
        None => "just now".to_owned(),
        Some(span) if seconds < 0 => format!("in {span}"),
        Some(span) => format!("{span} ago"),
    }
}

/// A length of time in its largest whole unit ("5 minutes", "1 day"); `None` under a minute.
fn span(seconds: u64) -> Option<String> {
    let (n, unit) = match seconds {
        0..=59 => return None,
        60..=3_599 => (seconds / 60, "minute"),
        3_600..=86_399 => (seconds / 3_600, "hour"),
        86_400..=2_591_999 => (seconds / 86_400, "day"),
        2_592_000..=31_535_999 => (seconds / 2_592_000, "month"),
        _ => (seconds / 31_536_000, "year"),
    };
    Some(format!("{n} {unit}{}", if n == 1 { "" } else { "s" }))
}

/// The exact time, for a tooltip.
pub fn exact(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

pub fn date(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d").to_string()
}

pub fn service_type(value: ServiceType) -> &'static str {
    match value {
        ServiceType::AllInclusive => "All-inclusive",
        ServiceType::SoftwareOnly => "Software only",
    }
}

pub fn state(value: GroupState) -> &'static str {
    match value {
        GroupState::Trial => "Trial",
        GroupState::Production => "Production",
        GroupState::NotActive => "Not active",
        GroupState::Expired => "Expired",
    }
}

/// A session status's words and the CSS class of its badge.
pub fn status(value: Option<SessionStatus>) -> (&'static str, &'static str) {
    match value {
        Some(SessionStatus::Completed) => ("Completed", "ok"),
        Some(SessionStatus::WithErrors) => ("Completed with errors", "warn"),
        Some(SessionStatus::Failed) => ("Failed", "bad"),
        Some(SessionStatus::Aborted) => ("Aborted", "bad"),
        None => ("No session yet", "none"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn sizes_read_in_decimal_units() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(999), "999 B");
        assert_eq!(bytes(1_500_000_000), "1.5 GB");
        assert_eq!(bytes(320_000_000_000), "320 GB");
        assert_eq!(bytes(2_000_000_000_000), "2.0 TB");
    }

    #[test]
    fn times_read_relative_to_now() {
        let now = Utc::now();
        assert_eq!(ago(now, now), "just now");
        assert_eq!(ago(now - Duration::minutes(1), now), "1 minute ago");
        assert_eq!(ago(now - Duration::hours(5), now), "5 hours ago");
        assert_eq!(ago(now - Duration::days(2), now), "2 days ago");
        assert_eq!(ago(now + Duration::minutes(15), now), "in 15 minutes");
        assert_eq!(
            ago(now + Duration::seconds(20), now),
            "in less than a minute"
        );
    }
}
