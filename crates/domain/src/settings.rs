//! Backup profiles and retention policies: settings a group owns, which it and its descendants
//! use, and which only the owning group (or a group above it) changes.

use serde::{Deserialize, Serialize};

use crate::name::parse_text;
use crate::{DomainError, FieldError, GroupId, TreePath};

/// Which kind of setting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SettingKind {
    Profile,
    RetentionPolicy,
}

impl SettingKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            SettingKind::Profile => "profile",
            SettingKind::RetentionPolicy => "retention_policy",
        }
    }

    pub fn parse(text: &str) -> Option<SettingKind> {
        [SettingKind::Profile, SettingKind::RetentionPolicy]
            .into_iter()
            .find(|k| k.as_str() == text)
    }

    /// What people call it.
    pub const fn label(self) -> &'static str {
        match self {
            SettingKind::Profile => "backup profile",
            SettingKind::RetentionPolicy => "retention policy",
        }
    }
}

/// Whether a setting owned by `owner` may be used from the group at `path`: by the owning group
/// and its descendants, never by siblings or ancestors.
pub fn is_visible_from(owner: GroupId, path: &TreePath) -> bool {
    path.ids().contains(&owner)
}

/// A setting's name: trimmed, 1 to 100 characters.
pub fn parse_setting_name(raw: &str) -> Result<String, DomainError> {
    parse_text("name", raw, 100)
        .map_err(|e| DomainError::Validation(vec![e]))?
        .ok_or_else(|| DomainError::invalid("name", "must not be empty"))
}

/// What a backup profile backs up, and when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ProfileSettings {
    /// Among `files_and_folders`, `system_state`, `ms_sql`, `exchange`, `vmware`, `hyper_v`,
    /// `network_shares`, `mysql`, `oracle`; at least one.
    pub data_sources: Vec<String>,
    /// Paths or patterns to back up (files and folders).
    #[serde(default)]
    pub include: Vec<String>,
    /// Paths or patterns to leave out.
    #[serde(default)]
    pub exclude: Vec<String>,
    pub schedule: Schedule,
}

const DATA_SOURCES: [&str; 9] = [
    "files_and_folders",
    "system_state",
    "ms_sql",
    "exchange",
    "vmware",
    "hyper_v",
    "network_shares",
    "mysql",
    "oracle",
];

/// When backups run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "frequency", rename_all = "snake_case", deny_unknown_fields)]
pub enum Schedule {
    /// Every `every_hours` hours (1 to 24).
    Hourly {
        #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 24))]
        every_hours: u32,
    },
    /// Every day at `at` (`HH:MM`, the device's local time).
    Daily { at: String },
    /// On the given days (`mon` … `sun`) at `at`.
    Weekly { days: Vec<String>, at: String },
}

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

fn is_time(text: &str) -> bool {
    let Some((h, m)) = text.split_once(':') else {
        return false;
    };
    h.len() == 2
        && m.len() == 2
        && h.parse::<u32>().is_ok_and(|h| h < 24)
        && m.parse::<u32>().is_ok_and(|m| m < 60)
}

impl ProfileSettings {
    /// Every fault at once.
    pub fn validated(mut self) -> Result<ProfileSettings, DomainError> {
        let mut faults = Vec::new();
        if self.data_sources.is_empty() {
            faults.push(FieldError::new(
                "data_sources",
                "name at least one data source",
            ));
        }
        for source in &self.data_sources {
            if !DATA_SOURCES.contains(&source.as_str()) {
                faults.push(FieldError::new(
                    "data_sources",
                    format!("{source:?} is not one of {}", DATA_SOURCES.join(", ")),
                ));
            }
        }
        self.data_sources.dedup();
        for (field, patterns) in [
            ("include", &mut self.include),
            ("exclude", &mut self.exclude),
        ] {
            if patterns.len() > 200 {
                faults.push(FieldError::new(field, "at most 200 entries"));
            }
            let mut clean = Vec::new();
            for pattern in patterns.iter() {
                match parse_text(field, pattern, 1024) {
                    Ok(Some(text)) => clean.push(text),
                    Ok(None) => {}
                    Err(error) => faults.push(error),
                }
            }
            *patterns = clean;
        }
        match &self.schedule {
            Schedule::Hourly { every_hours } if !(1..=24).contains(every_hours) => {
                faults.push(FieldError::new("schedule.every_hours", "must be 1 to 24"))
            }
            Schedule::Daily { at } if !is_time(at) => {
                faults.push(FieldError::new("schedule.at", "must be HH:MM"))
            }
            Schedule::Weekly { days, at } => {
                if !is_time(at) {
                    faults.push(FieldError::new("schedule.at", "must be HH:MM"));
                }
                if days.is_empty() || days.iter().any(|d| !DAYS.contains(&d.as_str())) {
                    faults.push(FieldError::new("schedule.days", "name days as mon … sun"));
                }
            }
            _ => {}
        }
        if faults.is_empty() {
            Ok(self)
        } else {
            Err(DomainError::Validation(faults))
        }
    }
}

/// How many versions of each period a retention policy keeps.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RetentionSettings {
    /// Versions kept within a day: 0 to 100.
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 100))]
    pub intra_daily: u32,
    /// Daily versions: 0 to 1000.
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1000))]
    pub daily: u32,
    /// Weekly versions: 0 to 520.
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 520))]
    pub weekly: u32,
    /// Monthly versions: 0 to 120.
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 120))]
    pub monthly: u32,
    /// Yearly versions: 0 to 100. At least one of the five is above 0.
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 100))]
    pub yearly: u32,
}

impl RetentionSettings {
    /// The installation's default policy (not editable): a common choice of backup services.
    pub const DEFAULT: RetentionSettings = RetentionSettings {
        intra_daily: 0,
        daily: 28,
        weekly: 0,
        monthly: 0,
        yearly: 0,
    };

    pub fn validated(self) -> Result<RetentionSettings, DomainError> {
        let mut faults = Vec::new();
        for (field, value, max) in [
            ("intra_daily", self.intra_daily, 100),
            ("daily", self.daily, 1000),
            ("weekly", self.weekly, 520),
            ("monthly", self.monthly, 120),
            ("yearly", self.yearly, 100),
        ] {
            if value > max {
                faults.push(FieldError::new(field, format!("must be at most {max}")));
            }
        }
        let total = self.intra_daily + self.daily + self.weekly + self.monthly + self.yearly;
        if total == 0 {
            faults.push(FieldError::new(
                "daily",
                "a policy keeps at least one version",
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
mod tests {
    use super::*;

    #[test]
    fn settings_are_visible_down_the_tree_only() {
        let path = TreePath::root(GroupId(1))
            .child(GroupId(7))
            .child(GroupId(42));
        assert!(is_visible_from(GroupId(1), &path));
        assert!(is_visible_from(GroupId(7), &path));
        assert!(is_visible_from(GroupId(42), &path));
        assert!(!is_visible_from(GroupId(8), &path), "a sibling's");
        let parent = TreePath::root(GroupId(1)).child(GroupId(7));
        assert!(!is_visible_from(GroupId(42), &parent), "a descendant's");
    }

    #[test]
    fn profiles_and_policies_are_checked() {
        let profile = |sources: Vec<&str>, schedule: Schedule| ProfileSettings {
            data_sources: sources.into_iter().map(str::to_owned).collect(),
            include: vec!["C:\\\\Users".into(), "  ".into()],
            exclude: vec![],
            schedule,
        };
        let daily = || Schedule::Daily { at: "22:00".into() };
        let ok = profile(vec!["files_and_folders"], daily())
            .validated()
            .unwrap();
        assert_eq!(ok.include.len(), 1, "blank patterns dropped");
        assert!(profile(vec![], daily()).validated().is_err());
        assert!(profile(vec!["floppies"], daily()).validated().is_err());
        assert!(
            profile(vec!["ms_sql"], Schedule::Daily { at: "25:00".into() })
                .validated()
                .is_err()
        );
        assert!(
            profile(vec!["ms_sql"], Schedule::Hourly { every_hours: 0 })
                .validated()
                .is_err()
        );
        assert!(
            profile(
                vec!["ms_sql"],
                Schedule::Weekly {
                    days: vec!["sun".into()],
                    at: "01:30".into()
                }
            )
            .validated()
            .is_ok()
        );
        assert!(
            profile(
                vec!["ms_sql"],
                Schedule::Weekly {
                    days: vec!["funday".into()],
                    at: "01:30".into()
                }
            )
            .validated()
            .is_err()
        );
        assert!(RetentionSettings::DEFAULT.validated().is_ok());
        let none = RetentionSettings {
            intra_daily: 0,
            daily: 0,
            weekly: 0,
            monthly: 0,
            yearly: 0,
        };
        assert!(none.validated().is_err());
        let absurd = RetentionSettings {
            daily: 5000,
            ..RetentionSettings::DEFAULT
        };
        assert!(absurd.validated().is_err());
    }
}
