//! For tests below the HTTP API, where time is given rather than read: fixed instants (March
//! 2026), a database's root group created at one, and new customers to create below it.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use tenantry_domain::{
    Group, GroupId, GroupName, GroupState, Level, NewGroup, ServiceType, StoredState,
};

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

/// What creates a plain customer: in production, all-inclusive, no reference, no Quick
/// Installation.
pub fn new_group(name: &str, parent: GroupId, level: Level) -> NewGroup {
    NewGroup {
        name: GroupName::parse(name).unwrap_or_else(|e| panic!("{name:?}: {e:?}")),
        parent_id: parent,
        level,
        service_type: ServiceType::AllInclusive,
        state: StoredState {
            state: GroupState::Production,
            trial_expires_at: None,
        },
        customer_reference: None,
        automatic_deployment: false,
    }
}
