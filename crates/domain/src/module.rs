use serde::{Deserialize, Serialize};

use crate::Level;

/// A console module (or feature) whose availability depends on a group's level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Module {
    /// Quick Installation (automatic deployment) and generating passphrases.
    QuickInstallation,
    Profiles,
    RetentionPolicies,
    /// Device management: every Dashboard feature except Quick Installation and passphrases.
    Dashboard,
    /// Group (customer) management.
    Customers,
    Users,
    Downloads,
    HistoricalCharts,
    ScheduledReports,
}

/// The availability matrix of the newer manual page, exactly: one row per module, one column
/// per level in the order Distributor, Sub-distributor, Reseller, End-customer, Site.
/// This is the only place the matrix lives; handlers ask [`Module::is_available_at`].
const MATRIX: [(Module, [bool; 5]); 9] = [
    (Module::QuickInstallation, [false, false, true, true, true]),
    (Module::Profiles, [true, true, true, true, true]),
    (Module::RetentionPolicies, [true, true, true, true, true]),
    (Module::Dashboard, [true, true, true, true, true]),
    (Module::Customers, [true, true, true, true, false]),
    (Module::Users, [true, true, true, true, true]),
    (Module::Downloads, [true, true, true, true, true]),
    (Module::HistoricalCharts, [true, true, true, true, true]),
    (Module::ScheduledReports, [true, true, true, true, true]),
];

impl Module {
    /// Every module, in the manual's order.
    pub const ALL: [Module; 9] = [
        Module::QuickInstallation,
        Module::Profiles,
        Module::RetentionPolicies,
        Module::Dashboard,
        Module::Customers,
        Module::Users,
        Module::Downloads,
        Module::HistoricalCharts,
        Module::ScheduledReports,
    ];

    pub fn is_available_at(self, level: Level) -> bool {
        let column = (level.rank() - 1) as usize;
        MATRIX
            .iter()
            .find(|(module, _)| *module == self)
            .is_some_and(|(_, row)| row[column])
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Module::QuickInstallation => "quick_installation",
            Module::Profiles => "profiles",
            Module::RetentionPolicies => "retention_policies",
            Module::Dashboard => "dashboard",
            Module::Customers => "customers",
            Module::Users => "users",
            Module::Downloads => "downloads",
            Module::HistoricalCharts => "historical_charts",
            Module::ScheduledReports => "scheduled_reports",
        }
    }

    /// The module's name as the manual shows it to people.
    pub const fn title(self) -> &'static str {
        match self {
            Module::QuickInstallation => "Quick Installation and generating passphrases",
            Module::Profiles => "Profiles",
            Module::RetentionPolicies => "Retention Policies",
            Module::Dashboard => "Backup > Dashboard",
            Module::Customers => "Customers",
            Module::Users => "Users",
            Module::Downloads => "Downloads",
            Module::HistoricalCharts => "Historical charts",
            Module::ScheduledReports => "Scheduled Reports",
        }
    }
}

impl std::fmt::Display for Module {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The newer seed's table, transcribed as text so that a reader can hold it against the
    /// manual page: columns Distributor, Sub-distributor, Reseller, End-customer, Site.
    const SEED_TABLE: &str = "
        quick_installation  no  no  yes yes yes
        profiles            yes yes yes yes yes
        retention_policies  yes yes yes yes yes
        dashboard           yes yes yes yes yes
        customers           yes yes yes yes no
        users               yes yes yes yes yes
        downloads           yes yes yes yes yes
        historical_charts   yes yes yes yes yes
        scheduled_reports   yes yes yes yes yes
    ";

    #[test]
    fn matrix_matches_the_seed_cell_by_cell() {
        let mut cells = 0;
        for line in SEED_TABLE.lines().filter(|line| !line.trim().is_empty()) {
            let mut words = line.split_whitespace();
            let name = words.next().unwrap_or_default();
            let module = Module::ALL
                .into_iter()
                .find(|module| module.as_str() == name)
                .unwrap_or_else(|| panic!("unknown module {name}"));
            for (level, cell) in Level::ALL.into_iter().zip(words) {
                assert_eq!(
                    module.is_available_at(level),
                    cell == "yes",
                    "{module} at {level}"
                );
                cells += 1;
            }
        }
        assert_eq!(cells, 45, "9 modules x 5 levels");
    }

    #[test]
    fn every_module_has_one_row() {
        for module in Module::ALL {
            assert_eq!(
                MATRIX.iter().filter(|(m, _)| *m == module).count(),
                1,
                "{module}"
            );
        }
    }
}
