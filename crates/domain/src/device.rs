use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::name::parse_text;
use crate::{DomainError, GroupId};

/// A device's id. It never changes, whatever group the device moves to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DeviceId(pub i64);

impl std::fmt::Display for DeviceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// How a device's last backup session ended (`None` on a device that never reported one).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum SessionStatus {
    Completed,
    Failed,
    WithErrors,
    Aborted,
}

impl SessionStatus {
    pub const ALL: [SessionStatus; 4] = [
        SessionStatus::Completed,
        SessionStatus::Failed,
        SessionStatus::WithErrors,
        SessionStatus::Aborted,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            SessionStatus::Completed => "completed",
            SessionStatus::Failed => "failed",
            SessionStatus::WithErrors => "with_errors",
            SessionStatus::Aborted => "aborted",
        }
    }

    pub fn parse(text: &str) -> Option<SessionStatus> {
        SessionStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// A device's name: trimmed, 1 to 100 characters, no control characters. Not unique: two
/// machines of one customer may well share a host name.
pub fn parse_device_name(raw: &str) -> Result<String, DomainError> {
    parse_text("name", raw, 100)
        .map_err(|error| DomainError::Validation(vec![error]))?
        .ok_or_else(|| DomainError::invalid("name", "must not be empty"))
}

/// A device's operating system as the device or its installer names it: trimmed, 1 to 50
/// characters.
pub fn parse_os(raw: &str) -> Result<String, DomainError> {
    parse_text("os", raw, 50)
        .map_err(|error| DomainError::Validation(vec![error]))?
        .ok_or_else(|| DomainError::invalid("os", "must not be empty"))
}

/// A machine's stable identifier as its installer reads it from the operating system
/// (`/etc/machine-id`, Windows' `MachineGuid`, macOS's `IOPlatformUUID`): trimmed, 1 to 128
/// letters, digits and `-_.:{}`, compared without regard to case (stored in lower case, as
/// Windows and macOS write the same GUID in either).
pub fn parse_machine_id(raw: &str) -> Result<String, DomainError> {
    let id = raw.trim();
    if id.is_empty() || id.len() > 128 {
        return Err(DomainError::invalid(
            "machine_id",
            "must be 1 to 128 characters",
        ));
    }
    if !id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-_.:{}".contains(&b))
    {
        return Err(DomainError::invalid(
            "machine_id",
            "may hold only letters, digits and - _ . : { }",
        ));
    }
    Ok(id.to_ascii_lowercase())
}

/// A protected machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Device {
    pub id: DeviceId,
    pub group_id: GroupId,
    pub name: String,
    pub os: String,
    /// Enrolled itself through Quick Installation (rather than added by hand).
    pub enrolled: bool,
    pub status: Option<SessionStatus>,
    pub selected_bytes: i64,
    pub used_bytes: i64,
    pub last_session_at: Option<DateTime<Utc>>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Who generated the device's current passphrase, and when (the secret itself is gone).
    pub passphrase_by: Option<crate::UserId>,
    pub passphrase_at: Option<DateTime<Utc>>,
    /// The backup profile and retention policy it uses (its group's own or an ancestor's).
    pub profile_id: Option<i64>,
    pub retention_policy_id: Option<i64>,
    /// The machine it runs on, as its installer identified it at enrolment (see
    /// [`parse_machine_id`]); none for devices added by hand.
    pub machine_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machine_ids_are_trimmed_checked_and_lower_cased() {
        assert_eq!(
            parse_machine_id(" {4C4C4544-0042-3510} ").unwrap(),
            "{4c4c4544-0042-3510}"
        );
        assert_eq!(
            parse_machine_id("0f3c1e2a9b8d4c7e").unwrap(),
            "0f3c1e2a9b8d4c7e"
        );
        for bad in ["", "   ", "a b", "id\u{0}", "ü", &"a".repeat(129)] {
            assert!(parse_machine_id(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn names_and_operating_systems_are_checked() {
        assert_eq!(parse_device_name("  laptop-01 ").unwrap(), "laptop-01");
        assert!(parse_device_name(" ").is_err());
        assert!(parse_device_name(&"x".repeat(101)).is_err());
        assert!(parse_os("Windows 11").is_ok());
        assert!(parse_os(&"x".repeat(51)).is_err());
        for status in SessionStatus::ALL {
            assert_eq!(SessionStatus::parse(status.as_str()), Some(status));
        }
    }
}

/// The most a size may claim: a petabyte. Larger is a bug or an attack, not a backup.
pub const MAX_BYTES: i64 = 1 << 50;
/// How far ahead of the server's clock a device's clock may run.
pub const CLOCK_SKEW: chrono::Duration = chrono::Duration::minutes(5);

/// A backup session as a device reports it, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionReport {
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    pub status: SessionStatus,
    pub selected_bytes: i64,
    pub used_bytes: i64,
    pub files: i64,
    pub errors: i64,
}

impl SessionReport {
    /// Every fault at once: negative or absurd sizes and counts, an end before the start, times
    /// in the future (beyond a little clock skew).
    pub fn check(self, now: DateTime<Utc>) -> Result<SessionReport, DomainError> {
        let mut faults = Vec::new();
        for (field, value, max) in [
            ("selected_bytes", self.selected_bytes, MAX_BYTES),
            ("used_bytes", self.used_bytes, MAX_BYTES),
            ("files", self.files, 1_000_000_000_000),
            ("errors", self.errors, 1_000_000_000_000),
        ] {
            if !(0..=max).contains(&value) {
                faults.push(crate::FieldError::new(
                    field,
                    format!("must be between 0 and {max}"),
                ));
            }
        }
        if self.ended_at < self.started_at {
            faults.push(crate::FieldError::new(
                "ended_at",
                "must not be before started_at",
            ));
        }
        if self.ended_at > now + CLOCK_SKEW {
            faults.push(crate::FieldError::new(
                "ended_at",
                "must not be in the future",
            ));
        }
        if faults.is_empty() {
            Ok(self)
        } else {
            Err(DomainError::Validation(faults))
        }
    }
}

#[cfg(test)]
mod report_tests {
    use super::*;

    fn report(start: i64, end: i64, selected: i64) -> SessionReport {
        let at = |minutes| DateTime::UNIX_EPOCH + chrono::Duration::minutes(minutes);
        SessionReport {
            started_at: at(start),
            ended_at: at(end),
            status: SessionStatus::Completed,
            selected_bytes: selected,
            used_bytes: 0,
            files: 0,
            errors: 0,
        }
    }

    #[test]
    fn reports_are_checked() {
        let now = DateTime::UNIX_EPOCH + chrono::Duration::minutes(100);
        assert!(report(10, 20, 5).check(now).is_ok());
        assert!(
            report(20, 10, 5).check(now).is_err(),
            "ends before it starts"
        );
        assert!(report(10, 200, 5).check(now).is_err(), "in the future");
        assert!(
            report(10, 104, 5).check(now).is_ok(),
            "within the clock skew"
        );
        assert!(report(10, 20, -1).check(now).is_err());
        assert!(report(10, 20, MAX_BYTES + 1).check(now).is_err());
    }
}
