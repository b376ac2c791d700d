//! When a scheduled report runs: daily, weekly on a weekday or monthly on a day, at a time of
//! day in a time zone. The arithmetic is done in the report's own zone, so "every day at 07:00
//! in Berlin" stays 07:00 in Berlin across daylight-saving changes.
//!
//! Edge cases, decided once here:
//! - a monthly day the month lacks (the 31st in April, the 29th in a common February) runs on the
//!   month's last day;
//! - a time that does not exist that day (the hour skipped when clocks go forward) runs at the
//!   first instant after the gap, as late as the clock allows, never a day late;
//! - a time that occurs twice (clocks go back) runs at its first occurrence, once.

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc, Weekday,
};
use chrono_tz::Tz;

use tenantry_plugin_api::PluginError;

/// How often.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Frequency {
    Daily,
    Weekly(Weekday),
    /// On this day of the month (1–31).
    Monthly(u32),
}

/// A validated schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReportSchedule {
    pub frequency: Frequency,
    pub at: NaiveTime,
    pub time_zone: Tz,
}

impl ReportSchedule {
    /// From the API's parts: `daily`, `weekly` with `weekday` (`monday`…), or `monthly` with
    /// `day` (1–31); `at` as `HH:MM`; `time_zone` an IANA name (`Europe/Berlin`).
    pub fn parse(
        frequency: &str,
        weekday: Option<&str>,
        day: Option<u32>,
        at: &str,
        time_zone: &str,
    ) -> Result<ReportSchedule, PluginError> {
        let frequency = match frequency {
            "daily" => Frequency::Daily,
            "weekly" => {
                let weekday = weekday
                    .and_then(|w| w.parse::<Weekday>().ok())
                    .ok_or_else(|| {
                        PluginError::invalid(
                            "weekday",
                            "a weekly report needs a weekday: monday … sunday",
                        )
                    })?;
                Frequency::Weekly(weekday)
            }
            "monthly" => match day {
                Some(day @ 1..=31) => Frequency::Monthly(day),
                _ => {
                    return Err(PluginError::invalid(
                        "day",
                        "a monthly report needs a day of the month, 1-31 (29-31 run on the last day of shorter months)",
                    ));
                }
            },
            _ => {
                return Err(PluginError::invalid(
                    "frequency",
                    "must be daily, weekly or monthly",
                ));
            }
        };
        let at = NaiveTime::parse_from_str(at, "%H:%M")
            .map_err(|_| PluginError::invalid("at", "must be a time of day, HH:MM"))?;
        let time_zone = time_zone.parse::<Tz>().map_err(|_| {
            PluginError::invalid(
                "time_zone",
                "must be an IANA time zone, such as Europe/Berlin",
            )
        })?;
        Ok(ReportSchedule {
            frequency,
            at,
            time_zone,
        })
    }

    /// The first run strictly after `after`.
    pub fn next_after(&self, after: DateTime<Utc>) -> DateTime<Utc> {
        let start = after.with_timezone(&self.time_zone).date_naive();
        // A run falls within every 31 days; 400 is far past any schedule's longest wait.
        (0..400)
            .filter_map(|n| start.checked_add_signed(Duration::days(n)))
            .filter(|date| self.runs_on(*date))
            .map(|date| self.instant(date))
            .find(|instant| *instant > after)
            .unwrap_or(after + Duration::days(1))
    }

    /// The date of `at` in the report's own zone (a "monthly on the 1st" run in Sydney reports on
    /// the calendar month there, whatever the UTC date of its instant).
    pub fn local_date(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.time_zone).date_naive()
    }

    /// The last run strictly before `before`: where the period a run reports on starts.
    pub fn previous_before(&self, before: DateTime<Utc>) -> DateTime<Utc> {
        let start = before.with_timezone(&self.time_zone).date_naive();
        (0..400)
            .filter_map(|n| start.checked_sub_signed(Duration::days(n)))
            .filter(|date| self.runs_on(*date))
            .map(|date| self.instant(date))
            .find(|instant| *instant < before)
            .unwrap_or(before - Duration::days(1))
    }

    fn runs_on(&self, date: NaiveDate) -> bool {
        match self.frequency {
            Frequency::Daily => true,
            Frequency::Weekly(weekday) => date.weekday() == weekday,
            Frequency::Monthly(day) => date.day() == day.min(last_day_of_month(date)),
        }
    }

    /// `at` on `date` in the report's zone, moved past a gap or to the first of two.
    fn instant(&self, date: NaiveDate) -> DateTime<Utc> {
        let local = date.and_time(self.at);
        match self.time_zone.from_local_datetime(&local) {
            LocalResult::Single(t) => t.with_timezone(&Utc),
            LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
            LocalResult::None => {
                // Inside the gap: the first minute after it that exists (gaps are at most a few
                // hours; a day without the time at all falls back to the next midnight).
                (1..=24 * 60)
                    .map(|m| local + Duration::minutes(m))
                    .find_map(|t| self.time_zone.from_local_datetime(&t).earliest())
                    .map_or(local.and_utc(), |t| t.with_timezone(&Utc))
            }
        }
    }
}

fn last_day_of_month(date: NaiveDate) -> u32 {
    let (year, month) = (date.year(), date.month());
    let first_of_next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    };
    first_of_next
        .and_then(|d| d.pred_opt())
        .map_or(28, |d| d.day())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn schedule(
        frequency: &str,
        weekday: Option<&str>,
        day: Option<u32>,
        at: &str,
        tz: &str,
    ) -> ReportSchedule {
        ReportSchedule::parse(frequency, weekday, day, at, tz).unwrap()
    }

    /// The next `n` runs after `from`, as RFC 3339 in UTC.
    fn runs(s: &ReportSchedule, from: &str, n: usize) -> Vec<String> {
        let mut at = utc(from);
        (0..n)
            .map(|_| {
                at = s.next_after(at);
                at.to_rfc3339()
            })
            .collect()
    }

    #[test]
    fn daily_runs_at_the_local_time_every_day() {
        let s = schedule("daily", None, None, "07:00", "Europe/Berlin");
        assert_eq!(
            runs(&s, "2026-01-10T05:00:00Z", 3),
            [
                "2026-01-10T06:00:00+00:00",
                "2026-01-11T06:00:00+00:00",
                "2026-01-12T06:00:00+00:00"
            ]
        );
        // Exactly at a run: the next one, never the same one twice.
        assert_eq!(
            runs(&s, "2026-01-10T06:00:00Z", 1),
            ["2026-01-11T06:00:00+00:00"]
        );
    }

    #[test]
    fn daylight_saving_keeps_the_local_time() {
        let s = schedule("daily", None, None, "07:00", "Europe/Berlin");
        // Clocks go forward on 29 March 2026: 07:00 is 06:00 UTC before and 05:00 UTC after.
        assert_eq!(
            runs(&s, "2026-03-28T00:00:00Z", 2),
            ["2026-03-28T06:00:00+00:00", "2026-03-29T05:00:00+00:00"]
        );
        // And back on 25 October.
        assert_eq!(
            runs(&s, "2026-10-24T12:00:00Z", 2),
            ["2026-10-25T06:00:00+00:00", "2026-10-26T06:00:00+00:00"]
        );
    }

    #[test]
    fn a_skipped_time_runs_after_the_gap_and_a_doubled_time_once() {
        let skipped = schedule("daily", None, None, "02:30", "Europe/Berlin");
        // 02:30 does not exist on 29 March: 03:00 CEST, which is 01:00 UTC.
        assert_eq!(
            runs(&skipped, "2026-03-28T12:00:00Z", 2),
            ["2026-03-29T01:00:00+00:00", "2026-03-30T00:30:00+00:00"]
        );
        // 02:30 happens twice on 25 October: the first, 00:30 UTC, and not again at 01:30.
        assert_eq!(
            runs(&skipped, "2026-10-24T12:00:00Z", 2),
            ["2026-10-25T00:30:00+00:00", "2026-10-26T01:30:00+00:00"]
        );
    }

    #[test]
    fn weekly_runs_on_its_weekday() {
        let s = schedule("weekly", Some("monday"), None, "08:15", "America/New_York");
        // 2026-01-07 is a Wednesday; Mondays at 08:15 EST are 13:15 UTC.
        assert_eq!(
            runs(&s, "2026-01-07T00:00:00Z", 2),
            ["2026-01-12T13:15:00+00:00", "2026-01-19T13:15:00+00:00"]
        );
    }

    #[test]
    fn monthly_days_a_month_lacks_run_on_its_last_day() {
        let s = schedule("monthly", None, Some(31), "06:00", "UTC");
        assert_eq!(
            runs(&s, "2026-01-01T00:00:00Z", 4),
            [
                "2026-01-31T06:00:00+00:00",
                "2026-02-28T06:00:00+00:00",
                "2026-03-31T06:00:00+00:00",
                "2026-04-30T06:00:00+00:00",
            ]
        );
        let leap = schedule("monthly", None, Some(29), "06:00", "UTC");
        assert_eq!(
            runs(&leap, "2028-02-01T00:00:00Z", 1),
            ["2028-02-29T06:00:00+00:00"]
        );
        assert_eq!(
            runs(&leap, "2027-01-30T00:00:00Z", 1),
            ["2027-02-28T06:00:00+00:00"]
        );
    }

    #[test]
    fn the_local_date_decides_not_the_utc_one() {
        // 09:00 in Auckland (UTC+13 in January) is 20:00 UTC the day before.
        let s = schedule("weekly", Some("friday"), None, "09:00", "Pacific/Auckland");
        assert_eq!(
            runs(&s, "2026-01-01T00:00:00Z", 1),
            ["2026-01-01T20:00:00+00:00"]
        );
        // Across the year's end.
        let s = schedule("monthly", None, Some(1), "00:00", "Europe/Berlin");
        assert_eq!(
            runs(&s, "2026-12-15T00:00:00Z", 1),
            ["2026-12-31T23:00:00+00:00"]
        );
    }

    #[test]
    fn the_previous_run_starts_a_runs_period() {
        let daily = schedule("daily", None, None, "07:00", "Europe/Berlin");
        let run = utc("2026-01-10T06:00:00Z");
        assert_eq!(daily.next_after(daily.previous_before(run)), run);
        assert_eq!(daily.previous_before(run), utc("2026-01-09T06:00:00Z"));
        let monthly = schedule("monthly", None, Some(31), "00:00", "UTC");
        // The run of April 30th (the 31st clamped) reports from March 31st.
        assert_eq!(
            monthly.previous_before(utc("2026-04-30T00:00:00Z")),
            utc("2026-03-31T00:00:00Z")
        );
    }

    #[test]
    fn bad_schedules_name_their_field() {
        let field = |r: Result<ReportSchedule, PluginError>| match r {
            Err(PluginError {
                field: Some(field), ..
            }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            field(ReportSchedule::parse("hourly", None, None, "07:00", "UTC")),
            "frequency"
        );
        assert_eq!(
            field(ReportSchedule::parse("weekly", None, None, "07:00", "UTC")),
            "weekday"
        );
        assert_eq!(
            field(ReportSchedule::parse(
                "weekly",
                Some("funday"),
                None,
                "07:00",
                "UTC"
            )),
            "weekday"
        );
        assert_eq!(
            field(ReportSchedule::parse(
                "monthly",
                None,
                Some(32),
                "07:00",
                "UTC"
            )),
            "day"
        );
        assert_eq!(
            field(ReportSchedule::parse("monthly", None, None, "07:00", "UTC")),
            "day"
        );
        assert_eq!(
            field(ReportSchedule::parse("daily", None, None, "25:00", "UTC")),
            "at"
        );
        assert_eq!(
            field(ReportSchedule::parse("daily", None, None, "7am", "UTC")),
            "at"
        );
        assert_eq!(
            field(ReportSchedule::parse(
                "daily",
                None,
                None,
                "07:00",
                "Mars/Olympus"
            )),
            "time_zone"
        );
    }
}
