//! A series drawn as an SVG line chart with plotters: a title, dated x axis, a y axis in the
//! metric's unit (bytes in decimal GB/TB, as storage is sold), and few enough labels that none
//! overlap.

use chrono::Duration;
use plotters::prelude::*;

use crate::series::Series;

pub const WIDTH: u32 = 960;
pub const HEIGHT: u32 = 420;
/// The line's colour when none is given.
pub const DEFAULT_COLOUR: (u8, u8, u8) = (0x1f, 0x6f, 0xeb);

/// The decimal unit that keeps the largest value between 1 and 1000, and its size in bytes.
pub fn byte_unit(max: i64) -> (f64, &'static str) {
    const UNITS: [(f64, &str); 6] = [
        (1e15, "PB"),
        (1e12, "TB"),
        (1e9, "GB"),
        (1e6, "MB"),
        (1e3, "kB"),
        (1.0, "B"),
    ];
    let max = max as f64;
    UNITS
        .into_iter()
        .find(|(size, _)| max >= *size)
        .unwrap_or((1.0, "B"))
}

/// The SVG document of `series`, titled with the metric and `group_name`.
pub fn svg(series: &Series, group_name: &str, colour: (u8, u8, u8)) -> Result<String, String> {
    let max = series
        .points
        .iter()
        .filter_map(|(_, v)| *v)
        .max()
        .unwrap_or(0);
    let (scale, unit) = if series.metric.is_bytes() {
        byte_unit(max)
    } else {
        (1.0, "")
    };
    // Headroom above the largest value, and a visible axis when everything is zero.
    let top = ((max as f64 / scale) * 1.1).max(1.0);
    let y_title = if unit.is_empty() {
        series.metric.title().to_owned()
    } else {
        format!("{} ({unit})", series.metric.title())
    };
    let (from, to) = (series.days.from, series.days.to + Duration::days(1));
    // A month or less within one year reads as "Mar 01"; longer, or across a new year, the
    // year goes on each date so that January's 01 is not taken for last January's.
    use chrono::Datelike;
    let with_year = series.days.from.year() != series.days.to.year()
        || (series.days.to - series.days.from).num_days() > 31;
    let date_format = if with_year { "%b %d %Y" } else { "%b %d" };
    // Counts (devices, sessions) have whole ticks only: no "0.5 devices".
    let counts = !series.metric.is_bytes();
    let colour = RGBColor(colour.0, colour.1, colour.2);
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (WIDTH, HEIGHT)).into_drawing_area();
        let fail = |e: &dyn std::fmt::Display| e.to_string();
        root.fill(&WHITE).map_err(|e| fail(&e))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                format!("{} of {group_name}", series.metric.title()),
                ("sans-serif", 22),
            )
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(80)
            .build_cartesian_2d(from..to, 0f64..top)
            .map_err(|e| fail(&e))?;
        chart
            .configure_mesh()
            // At most 8 dates of 6 characters across 860 pixels, and 6 values up the side:
            // labels never touch.
            .x_labels(8)
            .y_labels(6)
            .x_label_formatter(&|day| day.format(date_format).to_string())
            .y_label_formatter(&|value| {
                if value.fract() == 0.0 {
                    format!("{value:.0}")
                } else if counts {
                    String::new()
                } else {
                    format!("{value:.1}")
                }
            })
            .x_desc("Day (UTC)")
            .y_desc(y_title)
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(|e| fail(&e))?;
        // Each run of rolled-up days is one line: a day without data is a gap, not a zero.
        let mut runs: Vec<Vec<(chrono::NaiveDate, f64)>> = vec![Vec::new()];
        for (day, value) in &series.points {
            match value {
                Some(v) => runs
                    .last_mut()
                    .map(|run| run.push((*day, *v as f64 / scale)))
                    .unwrap_or_default(),
                None => runs.push(Vec::new()),
            }
        }
        for run in runs.into_iter().filter(|r| !r.is_empty()) {
            let points = run.clone();
            chart
                .draw_series(LineSeries::new(run, colour.stroke_width(2)))
                .map_err(|e| fail(&e))?;
            chart
                .draw_series(
                    points
                        .into_iter()
                        .map(|p| Circle::new(p, 3, colour.filled())),
                )
                .map_err(|e| fail(&e))?;
        }
        root.present().map_err(|e| fail(&e))?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::series::{Days, Metric};
    use chrono::NaiveDate;
    use tenantry_plugin_api::DayStats;

    #[test]
    fn bytes_use_the_unit_that_fits() {
        assert_eq!(byte_unit(0).1, "B");
        assert_eq!(byte_unit(999).1, "B");
        assert_eq!(byte_unit(1_000).1, "kB");
        assert_eq!(byte_unit(2_500_000_000).1, "GB");
        assert_eq!(byte_unit(3_200_000_000_000).1, "TB");
        assert_eq!(byte_unit(i64::MAX).1, "PB");
    }

    #[test]
    fn the_chart_has_a_title_units_dates_and_the_line() {
        let to = NaiveDate::from_ymd_opt(2026, 3, 10).unwrap();
        let days = Days::parse(Some("2026-03-01"), Some("2026-03-10"), None, to).unwrap();
        let stats: Vec<DayStats> = (1..=10)
            .filter(|d| *d != 5)
            .map(|d| DayStats {
                day: format!("2026-03-{d:02}"),
                used_bytes: d * 400_000_000_000,
                ..DayStats::default()
            })
            .collect();
        let series = Series::new(Metric::UsedBytes, days, &stats);
        let svg = svg(&series, "Acme & Co", DEFAULT_COLOUR).unwrap();
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.contains("Used storage of Acme &amp; Co"), "{svg}");
        assert!(svg.contains("Used storage (TB)"), "{svg}");
        assert!(svg.contains("Mar 01"), "{svg}");
        assert!(svg.contains("Day (UTC)"), "{svg}");
        // The gap on the 5th splits the line in two.
        let lines = svg
            .lines()
            .filter(|l| l.starts_with("<polyline") && l.contains("stroke=\"#1F6FEB\""))
            .count();
        assert_eq!(lines, 2, "{svg}");
    }

    #[test]
    fn long_periods_show_the_year_and_counts_have_whole_ticks() {
        let to = NaiveDate::from_ymd_opt(2027, 1, 20).unwrap();
        let days = Days::parse(Some("2026-12-01"), Some("2027-01-20"), None, to).unwrap();
        let stats: Vec<DayStats> = ["2026-12-01", "2027-01-20"]
            .iter()
            .map(|day| DayStats {
                day: (*day).to_owned(),
                devices: 1,
                ..DayStats::default()
            })
            .collect();
        let series = Series::new(Metric::Devices, days, &stats);
        let svg = svg(&series, "Acme", DEFAULT_COLOUR).unwrap();
        assert!(svg.contains("2027"), "{svg}");
        assert!(svg.contains("Dec 01 2026"), "{svg}");
        // One device at most: ticks 0 and 1, never 0.2 or 0.5.
        assert!(!svg.contains(">0.2<") && !svg.contains(">0.5<"), "{svg}");
    }
}
