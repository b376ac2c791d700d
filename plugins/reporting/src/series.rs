//! A chart's data: which metric, over which days, as one value per day.

use chrono::{Duration, NaiveDate};
use tenantry_plugin_api::{DayStats, PluginError, Value, json};

/// The longest range one chart covers.
pub const MAX_DAYS: i64 = 366;
/// The range when the request names none: the last 30 days.
pub const DEFAULT_DAYS: i64 = 30;

/// What a chart shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    Devices,
    SelectedBytes,
    UsedBytes,
    SessionsCompleted,
    SessionsFailed,
    SessionsWithErrors,
    Customers,
}

impl Metric {
    pub const ALL: [Metric; 7] = [
        Metric::Devices,
        Metric::SelectedBytes,
        Metric::UsedBytes,
        Metric::SessionsCompleted,
        Metric::SessionsFailed,
        Metric::SessionsWithErrors,
        Metric::Customers,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Metric::Devices => "devices",
            Metric::SelectedBytes => "selected_bytes",
            Metric::UsedBytes => "used_bytes",
            Metric::SessionsCompleted => "sessions_completed",
            Metric::SessionsFailed => "sessions_failed",
            Metric::SessionsWithErrors => "sessions_with_errors",
            Metric::Customers => "customers",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Metric::Devices => "Devices",
            Metric::SelectedBytes => "Selected size",
            Metric::UsedBytes => "Used storage",
            Metric::SessionsCompleted => "Sessions completed",
            Metric::SessionsFailed => "Sessions failed",
            Metric::SessionsWithErrors => "Sessions with errors",
            Metric::Customers => "Customers",
        }
    }

    pub fn parse(name: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.name() == name)
    }

    pub fn is_bytes(self) -> bool {
        matches!(self, Metric::SelectedBytes | Metric::UsedBytes)
    }

    fn of(self, day: &DayStats) -> i64 {
        match self {
            Metric::Devices => day.devices,
            Metric::SelectedBytes => day.selected_bytes,
            Metric::UsedBytes => day.used_bytes,
            Metric::SessionsCompleted => day.sessions_completed,
            Metric::SessionsFailed => day.sessions_failed,
            // The history counts failed sessions among those with errors; a chart of both
            // shows each once.
            Metric::SessionsWithErrors => day.sessions_with_errors - day.sessions_failed,
            Metric::Customers => day.customers,
        }
    }
}

/// A validated range of days, both ends included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Days {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Days {
    /// From the query's `from` and `to` (`YYYY-MM-DD`); `to` defaults to `today`, `from` to
    /// `days - 1` days before `to` (`days` 1–366, 30 unless given).
    pub fn parse(
        from: Option<&str>,
        to: Option<&str>,
        days: Option<&str>,
        today: NaiveDate,
    ) -> Result<Days, PluginError> {
        let span = match days {
            None => DEFAULT_DAYS,
            Some(text) => text
                .parse::<i64>()
                .ok()
                .filter(|n| (1..=MAX_DAYS).contains(n))
                .ok_or_else(|| {
                    PluginError::invalid("days", format!("must be a number from 1 to {MAX_DAYS}"))
                })?,
        };
        let date = |field: &str, text: &str| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map_err(|_| PluginError::invalid(field, "must be a date, YYYY-MM-DD"))
        };
        let to = to.map(|t| date("to", t)).transpose()?.unwrap_or(today);
        let from = from
            .map(|f| date("from", f))
            .transpose()?
            .unwrap_or(to - Duration::days(span - 1));
        if from > to {
            return Err(PluginError::invalid("from", "must not be after `to`"));
        }
        if (to - from).num_days() >= MAX_DAYS {
            return Err(PluginError::invalid(
                "from",
                format!("a chart covers at most {MAX_DAYS} days"),
            ));
        }
        Ok(Days { from, to })
    }

    pub fn iter(self) -> impl Iterator<Item = NaiveDate> {
        self.from.iter_days().take_while(move |d| *d <= self.to)
    }
}

/// One value per day of the range; `None` for a day not rolled up (before the first device,
/// or while the server was down).
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub metric: Metric,
    pub days: Days,
    pub points: Vec<(NaiveDate, Option<i64>)>,
}

impl Series {
    pub fn new(metric: Metric, days: Days, stats: &[DayStats]) -> Series {
        let points = days
            .iter()
            .map(|day| {
                let text = day.format("%Y-%m-%d").to_string();
                let value = stats.iter().find(|s| s.day == text).map(|s| metric.of(s));
                (day, value)
            })
            .collect();
        Series {
            metric,
            days,
            points,
        }
    }

    pub fn json(&self, group_id: i64) -> Value {
        json!({
            "group_id": group_id,
            "metric": self.metric.name(),
            "title": self.metric.title(),
            "unit": if self.metric.is_bytes() { "bytes" } else { "count" },
            "from": self.days.from.format("%Y-%m-%d").to_string(),
            "to": self.days.to.format("%Y-%m-%d").to_string(),
            "points": self.points.iter().map(|(day, value)| json!({
                "day": day.format("%Y-%m-%d").to_string(),
                "value": value,
            })).collect::<Vec<_>>(),
        })
    }

    /// `day,<metric>` with one row per day; an empty value for a day not rolled up.
    pub fn csv(&self) -> String {
        let mut out = format!("day,{}\r\n", self.metric.name());
        for (day, value) in &self.points {
            let value = value.map(|v| v.to_string()).unwrap_or_default();
            out.push_str(&format!("{},{value}\r\n", day.format("%Y-%m-%d")));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn ranges_default_and_are_bounded() {
        let today = date("2026-03-31");
        let days = Days::parse(None, None, None, today).unwrap();
        assert_eq!((days.from, days.to), (date("2026-03-02"), today));
        assert_eq!(days.iter().count(), 30);
        let leap = Days::parse(Some("2024-02-28"), Some("2024-03-01"), None, today).unwrap();
        assert_eq!(leap.iter().count(), 3);
        assert!(Days::parse(Some("2026-03-02"), Some("2026-03-01"), None, today).is_err());
        assert!(Days::parse(Some("2024-12-31"), Some("2026-01-01"), None, today).is_err());
        assert!(Days::parse(Some("2025-01-01"), Some("2026-01-01"), None, today).is_ok());
        assert!(Days::parse(Some("2026-02-30"), None, None, today).is_err());
        assert!(Days::parse(None, Some("yesterday"), None, today).is_err());
        let week = Days::parse(None, None, Some("7"), today).unwrap();
        assert_eq!((week.from, week.to), (date("2026-03-25"), today));
        for wrong in ["0", "367", "a week"] {
            assert!(
                Days::parse(None, None, Some(wrong), today).is_err(),
                "{wrong}"
            );
        }
    }

    #[test]
    fn a_series_has_every_day_and_gaps_where_nothing_was_rolled_up() {
        let days = Days::parse(
            Some("2026-03-01"),
            Some("2026-03-03"),
            None,
            date("2026-03-03"),
        )
        .unwrap();
        let stats = vec![
            DayStats {
                day: "2026-03-01".into(),
                sessions_failed: 2,
                sessions_with_errors: 5,
                ..DayStats::default()
            },
            DayStats {
                day: "2026-03-03".into(),
                sessions_with_errors: 1,
                ..DayStats::default()
            },
        ];
        let series = Series::new(Metric::SessionsWithErrors, days, &stats);
        assert_eq!(
            series.points.iter().map(|p| p.1).collect::<Vec<_>>(),
            [Some(3), None, Some(1)]
        );
        assert_eq!(
            series.csv(),
            "day,sessions_with_errors\r\n2026-03-01,3\r\n2026-03-02,\r\n2026-03-03,1\r\n"
        );
        assert_eq!(series.json(7)["points"][1]["value"], Value::Null);
    }

    #[test]
    fn metrics_have_stable_names() {
        for metric in Metric::ALL {
            assert_eq!(Metric::parse(metric.name()), Some(metric));
        }
        assert_eq!(Metric::parse("Devices"), None);
    }
}
