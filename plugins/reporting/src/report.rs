//! A report's content from the subtree's devices over a period: the rows each kind keeps, as
//! CSV (every row) and as a branded HTML message (a summary, and the table up to a bound).

use std::fmt::Write as _;

use chrono::NaiveDate;
use tenantry_plugin_api::DeviceUsage;

use crate::brand::{Brand, LOGO_ID};
use crate::definition::Kind;

/// The UTC days a report covers, both included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.from == self.to {
            write!(f, "{}", self.from)
        } else {
            write!(f, "{} to {}", self.from, self.to)
        }
    }
}

/// Rows shown in an HTML message; the CSV always has them all.
pub const MAX_HTML_ROWS: usize = 1000;

#[derive(Debug)]
pub struct Report<'a> {
    pub title: &'a str,
    pub kind: Kind,
    pub group: &'a str,
    pub period: Period,
    /// The devices the kind keeps, in tree order.
    pub rows: Vec<DeviceUsage>,
    /// The subtree had more devices than a report holds (`MAX_USAGE_ROWS` of the host).
    pub truncated: bool,
    /// Where the message's times are shown (the schedule's zone); the CSV keeps UTC.
    pub time_zone: chrono_tz::Tz,
}

const GB: f64 = 1_000_000_000.0;

impl<'a> Report<'a> {
    pub fn new(
        title: &'a str,
        kind: Kind,
        group: &'a str,
        period: Period,
        devices: Vec<DeviceUsage>,
        truncated: bool,
    ) -> Report<'a> {
        let rows = match kind {
            Kind::DeviceSummary | Kind::Usage => devices,
            Kind::Errors => devices
                .into_iter()
                .filter(|d| {
                    d.sessions_failed > 0
                        || d.sessions_with_errors > 0
                        || matches!(d.status.as_deref(), Some("failed" | "aborted"))
                })
                .collect(),
        };
        Report {
            title,
            kind,
            group,
            period,
            rows,
            truncated,
            time_zone: chrono_tz::UTC,
        }
    }

    /// The same report, its message's times shown in `zone`.
    pub fn in_zone(self, time_zone: chrono_tz::Tz) -> Report<'a> {
        Report { time_zone, ..self }
    }

    /// The message's column titles: words, where the CSV has names for programs.
    fn titles(&self) -> &'static [&'static str] {
        match self.kind {
            Kind::DeviceSummary => &[
                "Customer",
                "Device",
                "Operating system",
                "Last result",
                "Last session",
                "Selected",
                "Used",
            ],
            Kind::Usage => &[
                "Customer",
                "Device",
                "Operating system",
                "Most used in the period",
                "Used now",
            ],
            Kind::Errors => &[
                "Customer",
                "Device",
                "Last result",
                "Last session",
                "Completed",
                "Failed",
                "With errors",
            ],
        }
    }

    /// A row as the message shows it: sizes in kB to TB, times in the report's zone, results
    /// in words.
    fn shown_cells(&self, d: &DeviceUsage) -> Vec<String> {
        let status = match d.status.as_deref() {
            None => "Never ran".to_owned(),
            Some("completed") => "Completed".to_owned(),
            Some("with_errors") => "Completed with errors".to_owned(),
            Some("failed") => "Failed".to_owned(),
            Some("aborted") => "Aborted".to_owned(),
            Some(other) => other.to_owned(),
        };
        let last = d
            .last_session_at
            .as_deref()
            .and_then(|at| at.parse::<chrono::DateTime<chrono::Utc>>().ok())
            .map(|at| {
                at.with_timezone(&self.time_zone)
                    .format("%Y-%m-%d %H:%M %Z")
                    .to_string()
            })
            .unwrap_or_default();
        match self.kind {
            Kind::DeviceSummary => vec![
                d.group_name.clone(),
                d.name.clone(),
                d.os.clone(),
                status,
                last,
                human_bytes(d.selected_bytes),
                human_bytes(d.used_bytes),
            ],
            Kind::Usage => vec![
                d.group_name.clone(),
                d.name.clone(),
                d.os.clone(),
                human_bytes(d.max_used_bytes),
                human_bytes(d.used_bytes),
            ],
            Kind::Errors => vec![
                d.group_name.clone(),
                d.name.clone(),
                status,
                last,
                d.sessions_completed.to_string(),
                d.sessions_failed.to_string(),
                d.sessions_with_errors.to_string(),
            ],
        }
    }

    fn header(&self) -> &'static [&'static str] {
        match self.kind {
            Kind::DeviceSummary => &[
                "customer",
                "device",
                "os",
                "status",
                "last_session_at",
                "selected_bytes",
                "used_bytes",
            ],
            Kind::Usage => &[
                "customer",
                "device",
                "os",
                "max_used_bytes",
                "max_used_gb",
                "used_bytes",
            ],
            Kind::Errors => &[
                "customer",
                "device",
                "status",
                "last_session_at",
                "sessions_completed",
                "sessions_failed",
                "sessions_with_errors",
            ],
        }
    }

    fn cells(&self, d: &DeviceUsage) -> Vec<String> {
        let status = d.status.clone().unwrap_or_else(|| "never".to_owned());
        let last = d.last_session_at.clone().unwrap_or_default();
        match self.kind {
            Kind::DeviceSummary => vec![
                d.group_name.clone(),
                d.name.clone(),
                d.os.clone(),
                status,
                last,
                d.selected_bytes.to_string(),
                d.used_bytes.to_string(),
            ],
            Kind::Usage => vec![
                d.group_name.clone(),
                d.name.clone(),
                d.os.clone(),
                d.max_used_bytes.to_string(),
                format!("{:.2}", d.max_used_bytes as f64 / GB),
                d.used_bytes.to_string(),
            ],
            Kind::Errors => vec![
                d.group_name.clone(),
                d.name.clone(),
                status,
                last,
                d.sessions_completed.to_string(),
                d.sessions_failed.to_string(),
                d.sessions_with_errors.to_string(),
            ],
        }
    }

    /// The numbers a reader looks for first.
    fn summary(&self) -> Vec<(&'static str, String)> {
        let total = |f: fn(&DeviceUsage) -> i64| self.rows.iter().map(f).sum::<i64>();
        match self.kind {
            Kind::DeviceSummary => vec![
                ("Devices", self.rows.len().to_string()),
                ("Used storage", human_bytes(total(|d| d.used_bytes))),
                (
                    "Last session failed",
                    self.rows
                        .iter()
                        .filter(|d| matches!(d.status.as_deref(), Some("failed" | "aborted")))
                        .count()
                        .to_string(),
                ),
            ],
            Kind::Usage => vec![
                ("Devices", self.rows.len().to_string()),
                (
                    "Billable storage (sum of maxima)",
                    human_bytes(total(|d| d.max_used_bytes)),
                ),
            ],
            Kind::Errors => vec![
                ("Devices with problems", self.rows.len().to_string()),
                ("Failed sessions", total(|d| d.sessions_failed).to_string()),
                (
                    "Sessions with errors",
                    total(|d| d.sessions_with_errors).to_string(),
                ),
            ],
        }
    }

    /// Every row, RFC 4180, with a header line.
    pub fn csv(&self) -> String {
        let mut out = String::new();
        push_csv_line(&mut out, self.header().iter().map(|h| h.to_string()));
        for device in &self.rows {
            push_csv_line(&mut out, self.cells(device));
        }
        out
    }

    /// A whole HTML document in the group's branding: the summary, and the table when `table`
    /// (up to `MAX_HTML_ROWS` rows; every row is in the CSV sent with it).
    pub fn html(&self, brand: &Brand, table: bool) -> String {
        let (r, g, b) = brand.colour;
        let colour = format!("#{r:02x}{g:02x}{b:02x}");
        let from = brand
            .product_name
            .as_deref()
            .or(brand.company_name.as_deref())
            .unwrap_or("Tenantry");
        let mut out = String::new();
        let _ = write!(
            out,
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title></head>\
             <body style=\"font-family:Arial,Helvetica,sans-serif;color:#222;margin:0\">{logo}\
             <div style=\"background:{colour};color:#fff;padding:12px 16px;font-size:18px\">{from}</div>\
             <div style=\"padding:16px\"><h1 style=\"font-size:20px;margin:0 0 4px\">{title}</h1>\
             <p style=\"margin:0 0 12px;color:#555\">{kind} of {group}, {period}</p><table style=\"border-collapse:collapse;margin-bottom:16px\">",
            title = escape(self.title),
            from = escape(from),
            logo = match brand.logo {
                Some(_) => format!(
                    "<div style=\"padding:12px 16px\"><img src=\"cid:{LOGO_ID}\" alt=\"{}\" \
                     style=\"max-height:48px;max-width:240px\"></div>",
                    escape(from)
                ),
                None => String::new(),
            },
            kind = self.kind.title(),
            group = escape(self.group),
            period = self.period,
        );
        for (label, value) in self.summary() {
            let _ = write!(
                out,
                "<tr><td style=\"padding:2px 12px 2px 0;color:#555\">{}</td><td style=\"padding:2px 0;font-weight:bold\">{}</td></tr>",
                escape(label),
                escape(&value)
            );
        }
        out.push_str("</table>");
        if self.truncated {
            out.push_str(
                "<p><strong>The subtree has more devices than one report holds: this report \
                 lists the first ones in tree order.</strong></p>",
            );
        }
        if table {
            let _ = write!(
                out,
                "<table style=\"border-collapse:collapse;font-size:13px\"><tr>"
            );
            for name in self.titles() {
                let _ = write!(
                    out,
                    "<th style=\"text-align:left;border-bottom:2px solid {colour};padding:4px 8px\">{}</th>",
                    escape(name)
                );
            }
            out.push_str("</tr>");
            for device in self.rows.iter().take(MAX_HTML_ROWS) {
                // A device whose last session failed, or that had failures in the period,
                // stands out.
                let failing = device.sessions_failed > 0
                    || matches!(device.status.as_deref(), Some("failed" | "aborted"));
                out.push_str(if failing {
                    "<tr style=\"background:#fdecea;color:#8a1c12\">"
                } else {
                    "<tr>"
                });
                for cell in self.shown_cells(device) {
                    let _ = write!(
                        out,
                        "<td style=\"border-bottom:1px solid #ddd;padding:4px 8px\">{}</td>",
                        escape(&cell)
                    );
                }
                out.push_str("</tr>");
            }
            out.push_str("</table>");
            if self.rows.len() > MAX_HTML_ROWS {
                let _ = write!(
                    out,
                    "<p>{} more rows are in the attached CSV file.</p>",
                    self.rows.len() - MAX_HTML_ROWS
                );
            }
        } else {
            out.push_str("<p>The report is attached as a CSV file.</p>");
        }
        let mut contact = Vec::new();
        if let Some(email) = &brand.support_email {
            contact.push(format!("<a href=\"mailto:{0}\">{0}</a>", escape(email)));
        }
        if let Some(url) = &brand.support_url {
            contact.push(format!("<a href=\"{0}\">{0}</a>", escape(url)));
        }
        if !contact.is_empty() {
            let _ = write!(
                out,
                "<p style=\"color:#555;font-size:12px\">Support: {}</p>",
                contact.join(" · ")
            );
        }
        out.push_str("</div></body></html>\n");
        out
    }
}

/// One CSV line. Quotes fields that need it (RFC 4180), and defuses text a spreadsheet would
/// run as a formula (a customer named `=HYPERLINK(…)`): such cells get a leading `'`.
fn push_csv_line(out: &mut String, cells: impl IntoIterator<Item = String>) {
    let mut first = true;
    for cell in cells {
        if !first {
            out.push(',');
        }
        first = false;
        let cell =
            if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) && cell.parse::<f64>().is_err() {
                format!("'{cell}")
            } else {
                cell
            };
        if cell.contains([',', '"', '\n', '\r']) {
            out.push('"');
            out.push_str(&cell.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(&cell);
        }
    }
    out.push_str("\r\n");
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Decimal units, as storage is sold (the unit the charts use for the same size).
fn human_bytes(bytes: i64) -> String {
    let (size, unit) = crate::chart::byte_unit(bytes);
    if unit == "B" {
        format!("{bytes} B")
    } else {
        format!("{:.2} {unit}", bytes as f64 / size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(name: &str, status: Option<&str>, failed: i64, max: i64) -> DeviceUsage {
        DeviceUsage {
            device_id: 1,
            group_id: 2,
            group_name: "Acme, Inc.".to_owned(),
            name: name.to_owned(),
            os: "Linux".to_owned(),
            status: status.map(str::to_owned),
            max_used_bytes: max,
            sessions_failed: failed,
            sessions_with_errors: failed,
            ..DeviceUsage::default()
        }
    }

    fn period() -> Period {
        let day = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap_or_default();
        Period { from: day, to: day }
    }

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        let report = Report::new(
            "t",
            Kind::Usage,
            "Acme",
            period(),
            vec![device("=cmd|' /C calc'!A0", None, 0, 2_500_000_000)],
            false,
        );
        assert_eq!(
            report.csv(),
            "customer,device,os,max_used_bytes,max_used_gb,used_bytes\r\n\
             \"Acme, Inc.\",'=cmd|' /C calc'!A0,Linux,2500000000,2.50,0\r\n"
        );
    }

    #[test]
    fn the_errors_report_keeps_devices_with_problems() {
        let report = Report::new(
            "t",
            Kind::Errors,
            "Acme",
            period(),
            vec![
                device("ok", Some("completed"), 0, 0),
                device("failing", Some("completed"), 2, 0),
                device("down", Some("failed"), 0, 0),
            ],
            false,
        );
        let names: Vec<&str> = report.rows.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["failing", "down"]);
    }

    #[test]
    fn html_is_escaped_and_branded() {
        let brand = Brand {
            colour: (0x12, 0x34, 0x56),
            company_name: Some("Acme <Backup>".to_owned()),
            product_name: None,
            support_email: Some("help@acme.example".to_owned()),
            support_url: None,
            logo: Some("iVBORw0KGgo=".to_owned()),
        };
        let report = Report::new(
            "<script>",
            Kind::DeviceSummary,
            "A & B",
            period(),
            vec![device("pc", None, 0, 0)],
            false,
        );
        let html = report.html(&brand, true);
        assert!(html.contains("#123456"));
        assert!(html.contains("Acme &lt;Backup&gt;"));
        assert!(html.contains("&lt;script&gt;"));
        assert!(!html.contains("<script>"));
        assert!(html.contains("A &amp; B, 2026-03-01"));
        assert!(html.contains("mailto:help@acme.example"));
        // The logo travels inline; the HTML names it, and only once.
        assert_eq!(html.matches("src=\"cid:logo\"").count(), 1, "{html}");
        assert!(html.contains("alt=\"Acme &lt;Backup&gt;\""), "{html}");
    }

    #[test]
    fn the_message_reads_in_words_sizes_and_local_times_with_failures_marked() {
        let mut failed = device("db-server", Some("failed"), 1, 0);
        failed.used_bytes = 1_500_000_000_000;
        failed.last_session_at = Some("2026-03-01T23:30:00Z".to_owned());
        let fine = device("laptop", Some("completed"), 0, 0);
        let report = Report::new(
            "t",
            Kind::DeviceSummary,
            "Acme",
            period(),
            vec![failed, fine],
            false,
        )
        .in_zone(chrono_tz::Europe::Berlin);
        let brand = Brand {
            colour: (0x12, 0x34, 0x56),
            company_name: None,
            product_name: None,
            support_email: None,
            support_url: None,
            logo: None,
        };
        let html = report.html(&brand, true);
        assert!(!html.contains("<img"), "no logo, no image: {html}");
        assert!(html.contains(">Last session<"), "{html}");
        assert!(!html.contains("used_bytes"), "{html}");
        assert!(html.contains("1.50 TB"), "{html}");
        assert!(html.contains("2026-03-02 00:30 CET"), "{html}");
        assert!(html.contains(">Failed<"), "{html}");
        assert_eq!(html.matches("background:#fdecea").count(), 1, "{html}");
        // The CSV keeps names and numbers for programs.
        assert!(
            report
                .csv()
                .starts_with("customer,device,os,status,last_session_at")
        );
    }

    #[test]
    fn sizes_read_in_decimal_units() {
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(1_500_000_000), "1.50 GB");
        assert_eq!(human_bytes(2_000_000_000_000), "2.00 TB");
    }
}
