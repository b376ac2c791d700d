//! For tests below the HTTP API, where time is given rather than read: fixed instants (March
//! 2026) and a database's root group created at one.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use tenantry_domain::{Group, GroupName, Level};

/// `hour`:00 UTC on `day` March 2026.
pub fn march(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, day, hour, 0, 0)
        .single()
        .unwrap_or_else(|| panic!("no such time: March {day}, {hour}:00"))
}

/// `day` March 2026.
pub fn march_date(day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, day).unwrap_or_else(|| panic!("no such day: March {day}"))
}

/// Creates the root group (a Distributor named "Root") of a fresh database, at `at`.
pub fn root_group(storage: &tenantry_storage::Storage, at: DateTime<Utc>) -> Group {
    let name = GroupName::parse("Root").unwrap_or_else(|e| panic!("{e:?}"));
    storage
        .write(|w| tenantry_storage::groups::create_root(w, &name, Level::Distributor, at))
        .unwrap_or_else(|e| panic!("cannot create the root group: {e}"))
}
