//! Running a scheduled report: reading the subtree's devices over the period, writing the
//! report, and queuing it as a message through the host (which sends it after commit and
//! retries). On the host's tick, due reports are claimed (a compare-and-set of their next run,
//! so that of several servers one runs each) and run once, however many runs were missed.

use chrono::{DateTime, Duration, Utc};
use tenantry_plugin_api::{
    Attachment, Host, ListRecords, Mail, MailStatus, PluginError, PluginErrorCode, Record,
    TickAnswer, Value,
};

use crate::brand::{self, LOGO_ID};
use crate::definition::{COLLECTION, Definition, Format, RunFailure, is_address, timestamp};
use crate::report::{Period, Report};

/// Reports run per tick transaction; the host calls again at once while more are due. One: on
/// SQLite a transaction holds the only writer, so other writes get in between two reports.
const PER_TICK: usize = 1;
/// What the host's outbox takes.
const MAX_SUBJECT_CHARS: usize = 200;
const MAX_RECIPIENTS: usize = 50;
/// Devices one report lists at most (under the host's bound, which leaves room to see more).
const MAX_DEVICES: i64 = 100_000;

/// The history of a report's messages is listed by this source.
pub fn source(report_id: i64) -> String {
    format!("scheduled-report/{report_id}")
}

/// Runs the report now and queues its message; answers the message as the history lists it.
pub fn run(
    host: &Host,
    record: &Record,
    definition: &Definition,
    period: Period,
) -> Result<MailStatus, PluginError> {
    let group = host.group(record.group_id)?;
    let day = |d: chrono::NaiveDate| d.format("%Y-%m-%d").to_string();
    let mut devices = host.device_usage(
        group.id,
        &day(period.from),
        &day(period.to),
        MAX_DEVICES + 1,
    )?;
    let truncated = devices.len() as i64 > MAX_DEVICES;
    devices.truncate(MAX_DEVICES as usize);
    let report = Report::new(
        &definition.title,
        definition.kind,
        &group.name,
        period,
        devices,
        truncated,
    )
    .in_zone(
        definition
            .schedule
            .time_zone
            .parse()
            .unwrap_or(chrono_tz::UTC),
    );
    let brand = brand::for_mail(host, group.id)?;
    let to = recipients(host, record.group_id, definition)?;
    let stem = format!(
        "{}-{}-{}",
        file_safe(&definition.title),
        period.from.format("%Y%m%d"),
        period.to.format("%Y%m%d")
    );
    // Every row travels as CSV; an HTML report also shows them (up to a bound) in the message.
    let html = report.html(&brand, definition.format == Format::Html);
    let mut attachments = vec![Attachment {
        filename: format!("{stem}.csv"),
        content_type: "text/csv; charset=utf-8".to_owned(),
        content: report.csv(),
        ..Attachment::default()
    }];
    attachments.extend(brand.logo.clone().map(|logo| Attachment {
        filename: "logo.png".to_owned(),
        content_type: "image/png".to_owned(),
        content: logo,
        base64: true,
        content_id: Some(LOGO_ID.to_owned()),
    }));
    host.send_mail(Mail {
        group_id: record.group_id,
        source: source(record.id),
        to,
        subject: subject(&definition.title, &group.name, period),
        html,
        attachments,
    })
}

/// `Title: Group (period)`, shortened to what a message's subject may hold.
fn subject(title: &str, group: &str, period: Period) -> String {
    let full = format!("{title}: {group} ({period})");
    if full.chars().count() <= MAX_SUBJECT_CHARS {
        return full;
    }
    let mut short: String = full.chars().take(MAX_SUBJECT_CHARS - 1).collect();
    short.push('…');
    short
}

/// The addresses a report goes to: its own, then the group's CRM contacts of its contact type
/// that have an email (read from the CRM plugin's records, that plugin's documented format);
/// each address once, whatever its case.
fn recipients(
    host: &Host,
    group: i64,
    definition: &Definition,
) -> Result<Vec<String>, PluginError> {
    let mut to: Vec<String> = definition.recipients.emails.clone();
    if let Some(kind) = &definition.recipients.contact_type {
        let mut cursor = None;
        loop {
            let page = host.list_other_records(
                "crm",
                ListRecords {
                    group_id: group,
                    collection: "contacts".to_owned(),
                    descending: false,
                    from: None,
                    to: None,
                    cursor,
                    limit: 500,
                },
            )?;
            to.extend(page.items.iter().filter_map(|contact| {
                let data = &contact.data;
                (data.get("type").and_then(Value::as_str) == Some(kind.as_str()))
                    .then(|| data.get("email").and_then(Value::as_str))
                    .flatten()
                    .map(str::to_owned)
            }));
            cursor = page.next;
            if cursor.is_none() {
                break;
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    // A contact's address the CRM took but SMTP would not (`a,b@x.example`) is left out rather
    // than failing the whole message; so are addresses beyond what one message may carry.
    to.retain(|address| is_address(address) && seen.insert(address.to_lowercase()));
    if to.len() > MAX_RECIPIENTS {
        log::warn!(
            "a report has {} recipients; sending to the first {MAX_RECIPIENTS}",
            to.len()
        );
        to.truncate(MAX_RECIPIENTS);
    }
    if to.is_empty() {
        return Err(PluginError::new(
            PluginErrorCode::Conflict,
            "the report has no recipients: the group has no contacts of its type with an email",
        ));
    }
    Ok(to)
}

/// A title as part of a file name.
fn file_safe(title: &str) -> String {
    let name: String = title
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let name = name
        .split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    if name.is_empty() {
        "report".to_owned()
    } else {
        name
    }
}

/// The host's tick: runs the reports that are due. A run that was missed (the server was down)
/// is run once, for the period of the slot it missed, and the next run is counted from now.
pub fn tick(host: &Host, now: DateTime<Utc>) -> Result<TickAnswer, PluginError> {
    let due = host.due_records(COLLECTION, &timestamp(now), PER_TICK as i64 + 1)?;
    for record in due.iter().take(PER_TICK) {
        let parsed = Definition::of(record).and_then(|definition| {
            let schedule = definition.schedule()?;
            let slot = DateTime::parse_from_rfc3339(&record.sort_key)
                .map_err(|e| PluginError::internal(format!("unreadable next run: {e}")))?;
            Ok((definition, schedule, slot.with_timezone(&Utc)))
        });
        let (definition, schedule, slot) = match parsed {
            Ok(parsed) => parsed,
            Err(error) => {
                // Parked (no next run) rather than found again on every tick, ahead of the rest.
                log::error!(
                    "scheduled report {} is unreadable and no longer scheduled: {}",
                    record.id,
                    error.message
                );
                host.claim_record(record, "", record.data.clone())?;
                continue;
            }
        };
        let next = timestamp(schedule.next_after(now));
        let cleared = Definition {
            last_failure: None,
            ..definition.clone()
        };
        // Another server claimed it first: it runs the report, this one does not.
        if host
            .claim_record(record, &next, cleared.to_value()?)?
            .is_none()
        {
            log::info!(
                "scheduled report {} was claimed by another server",
                record.id
            );
            continue;
        }
        // The slot's period in the report's own calendar: from the slot before it to the day
        // before it.
        let from = schedule.local_date(schedule.previous_before(slot));
        let to = (schedule.local_date(slot) - Duration::days(1)).max(from);
        match run(host, record, &definition, Period { from, to }) {
            Ok(mail) => log::info!(
                "scheduled report {} queued as message {} to {} recipient(s)",
                record.id,
                mail.id,
                mail.to.len()
            ),
            // A report that cannot be sent as defined (no recipients) waits for its next run,
            // and says why where its owner looks.
            Err(error) if error.code != PluginErrorCode::Internal => {
                log::warn!("scheduled report {} not sent: {}", record.id, error.message);
                let failed = Definition {
                    last_failure: Some(RunFailure {
                        at: timestamp(now),
                        message: error.message,
                    }),
                    ..cleared
                };
                host.put_record(
                    record.group_id,
                    COLLECTION,
                    Some(record.id),
                    &next,
                    failed.to_value()?,
                )?;
            }
            Err(error) => return Err(error),
        }
    }
    Ok(TickAnswer {
        more: due.len() > PER_TICK,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_fit_a_message() {
        let day = chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap_or_default();
        let period = Period { from: day, to: day };
        assert_eq!(subject("Usage", "Acme", period), "Usage: Acme (2026-03-01)");
        let long = subject(&"t".repeat(200), "Acme", period);
        assert_eq!(long.chars().count(), MAX_SUBJECT_CHARS);
        assert!(long.ends_with('…'));
    }

    #[test]
    fn titles_become_file_names() {
        assert_eq!(
            file_safe("Monthly usage: Acme (EU)"),
            "monthly-usage-acme-eu"
        );
        assert_eq!(file_safe("Ümlaut"), "mlaut");
        assert_eq!(file_safe("!!!"), "report");
    }
}
