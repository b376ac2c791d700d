//! A scheduled report as the API takes and shows it, and as it is kept: one record of the
//! `scheduled-reports` collection per report, whose sort key is its next run (RFC 3339 UTC,
//! whose text order is time order), or empty while it is disabled, so that the host's
//! `DueRecords` finds exactly the reports that are due.

use chrono::{DateTime, SecondsFormat, Utc, Weekday};
use serde::{Deserialize, Serialize};
use tenantry_plugin_api::{PluginError, Record, Value, json};

use crate::schedule::{Frequency, ReportSchedule};

pub const COLLECTION: &str = "scheduled-reports";

/// What a report tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Every device of the subtree with its state and last session.
    DeviceSummary,
    /// Every device with its largest used storage over the period: what a customer is billed.
    Usage,
    /// Devices whose sessions failed or had errors during the period.
    Errors,
}

impl Kind {
    pub fn title(self) -> &'static str {
        match self {
            Kind::DeviceSummary => "Device summary",
            Kind::Usage => "Usage",
            Kind::Errors => "Errors",
        }
    }
}

/// How the report travels: a CSV attachment (with a short HTML note), or an HTML table in the
/// message itself (and attached, to keep or forward).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Csv,
    Html,
}

/// When, as the API writes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleSpec {
    /// `daily`, `weekly` or `monthly`.
    pub frequency: String,
    /// For `weekly`: `monday` … `sunday`.
    #[serde(default)]
    pub weekday: Option<String>,
    /// For `monthly`: 1–31 (29–31 run on the last day of shorter months).
    #[serde(default)]
    pub day: Option<u32>,
    /// `HH:MM`, in `time_zone`.
    pub at: String,
    /// An IANA name (`Europe/Berlin`).
    pub time_zone: String,
}

/// Who receives it: addresses, and/or the group's CRM contacts of a type that have an email.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recipients {
    #[serde(default)]
    pub emails: Vec<String>,
    /// `billing`, `technical`, `sales` or `other` (the CRM plugin's contact types).
    #[serde(default)]
    pub contact_type: Option<String>,
}

/// A report's definition: the body of `POST` and `PUT` (which replaces it whole), and what is
/// kept.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Definition {
    pub title: String,
    pub kind: Kind,
    pub schedule: ScheduleSpec,
    pub recipients: Recipients,
    #[serde(default = "csv")]
    pub format: Format,
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Why the last scheduled run sent nothing (no recipients, say); cleared by the next run
    /// that queues its message. Kept by the plugin, never taken from a request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_failure: Option<RunFailure>,
}

/// A scheduled run that could not queue its message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunFailure {
    /// RFC 3339 UTC.
    pub at: String,
    pub message: String,
}

fn csv() -> Format {
    Format::Csv
}

fn yes() -> bool {
    true
}

pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_EMAILS: usize = 50;
pub const CONTACT_TYPES: [&str; 4] = ["billing", "technical", "sales", "other"];

impl Definition {
    /// Reads and checks a request body; answers the definition as it is kept (trimmed, the
    /// schedule written canonically) and its schedule.
    pub fn from_body(body: Option<&Value>) -> Result<(Definition, ReportSchedule), PluginError> {
        let body = body.ok_or_else(|| PluginError::invalid("body", "a JSON body is required"))?;
        let definition: Definition = serde_json::from_value(body.clone())
            .map_err(|e| PluginError::invalid("body", e.to_string()))?;
        definition.checked()
    }

    fn checked(mut self) -> Result<(Definition, ReportSchedule), PluginError> {
        if self.last_failure.is_some() {
            return Err(PluginError::invalid(
                "last_failure",
                "is kept by the server and cannot be set",
            ));
        }
        self.title = self.title.trim().to_owned();
        if self.title.is_empty()
            || self.title.chars().count() > MAX_TITLE_CHARS
            || self.title.chars().any(char::is_control)
        {
            return Err(PluginError::invalid(
                "title",
                format!("must be one line of 1 to {MAX_TITLE_CHARS} characters"),
            ));
        }
        let spec = &self.schedule;
        let schedule = ReportSchedule::parse(
            &spec.frequency,
            spec.weekday.as_deref(),
            spec.day,
            &spec.at,
            &spec.time_zone,
        )?;
        self.schedule = canonical(&schedule);
        let emails: Vec<String> = self
            .recipients
            .emails
            .iter()
            .map(|e| e.trim().to_owned())
            .collect();
        if emails.len() > MAX_EMAILS {
            return Err(PluginError::invalid(
                "recipients.emails",
                format!("at most {MAX_EMAILS} addresses"),
            ));
        }
        if let Some(wrong) = emails.iter().find(|e| !is_address(e)) {
            return Err(PluginError::invalid(
                "recipients.emails",
                format!("{wrong:?} is not an email address"),
            ));
        }
        self.recipients.emails = emails;
        if let Some(kind) = &self.recipients.contact_type
            && !CONTACT_TYPES.contains(&kind.as_str())
        {
            return Err(PluginError::invalid(
                "recipients.contact_type",
                "must be billing, technical, sales or other",
            ));
        }
        if self.recipients.emails.is_empty() && self.recipients.contact_type.is_none() {
            return Err(PluginError::invalid(
                "recipients",
                "name at least one email address or a contact type",
            ));
        }
        Ok((self, schedule))
    }

    /// The record's sort key: the next run after `now`, or empty (never due) when disabled.
    pub fn sort_key(&self, schedule: &ReportSchedule, now: DateTime<Utc>) -> String {
        if self.enabled {
            timestamp(schedule.next_after(now))
        } else {
            String::new()
        }
    }

    /// The schedule of a kept definition (checked when it was written).
    pub fn schedule(&self) -> Result<ReportSchedule, PluginError> {
        let spec = &self.schedule;
        ReportSchedule::parse(
            &spec.frequency,
            spec.weekday.as_deref(),
            spec.day,
            &spec.at,
            &spec.time_zone,
        )
    }

    pub fn of(record: &Record) -> Result<Definition, PluginError> {
        serde_json::from_value(record.data.clone())
            .map_err(|e| PluginError::internal(format!("a stored report is unreadable: {e}")))
    }

    /// As it is kept: an error, never `null` written over the report.
    pub fn to_value(&self) -> Result<Value, PluginError> {
        serde_json::to_value(self).map_err(|e| PluginError::internal(e.to_string()))
    }
}

/// A report as the API shows it.
pub fn view(record: &Record) -> Result<Value, PluginError> {
    let definition = Definition::of(record)?;
    let mut value = json!({
        "id": record.id,
        "group_id": record.group_id,
        "next_run_at": (!record.sort_key.is_empty()).then(|| record.sort_key.clone()),
        "created_at": record.created_at,
        "updated_at": record.updated_at,
    });
    if let (Some(out), Value::Object(fields)) = (value.as_object_mut(), definition.to_value()?) {
        out.extend(fields);
    }
    // What the console's table shows: the schedule in words, the last problem, and which of
    // Enable and Disable applies (the row's id under the one that does).
    value["schedule_text"] = json!(definition.schedule.in_words());
    value["last_problem"] = json!(definition.last_failure.as_ref().map(|f| &f.message));
    value["enable_id"] = json!((!definition.enabled).then_some(record.id));
    value["disable_id"] = json!(definition.enabled.then_some(record.id));
    Ok(value)
}

impl ScheduleSpec {
    /// "every Monday at 08:00 (Europe/Amsterdam)", "every day at 07:00 (UTC)", "on day 15 of
    /// every month at 09:00 (Europe/Berlin)".
    pub fn in_words(&self) -> String {
        let capital = |word: &str| {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_uppercase().chain(chars).collect()
            })
        };
        let when = match self.frequency.as_str() {
            "weekly" => format!(
                "every {}",
                capital(self.weekday.as_deref().unwrap_or("monday"))
            ),
            "monthly" => format!("on day {} of every month", self.day.unwrap_or(1)),
            _ => "every day".to_owned(),
        };
        format!("{when} at {} ({})", self.at, self.time_zone)
    }
}

/// RFC 3339 in UTC at second precision: the sort key's text order is time order.
pub fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The schedule as it is kept and shown: only the fields its frequency uses.
fn canonical(schedule: &ReportSchedule) -> ScheduleSpec {
    let (frequency, weekday, day) = match schedule.frequency {
        Frequency::Daily => ("daily", None, None),
        Frequency::Weekly(weekday) => ("weekly", Some(weekday_name(weekday)), None),
        Frequency::Monthly(day) => ("monthly", None, Some(day)),
    };
    ScheduleSpec {
        frequency: frequency.to_owned(),
        weekday: weekday.map(str::to_owned),
        day,
        at: schedule.at.format("%H:%M").to_string(),
        time_zone: schedule.time_zone.name().to_owned(),
    }
}

fn weekday_name(weekday: Weekday) -> &'static str {
    match weekday {
        Weekday::Mon => "monday",
        Weekday::Tue => "tuesday",
        Weekday::Wed => "wednesday",
        Weekday::Thu => "thursday",
        Weekday::Fri => "friday",
        Weekday::Sat => "saturday",
        Weekday::Sun => "sunday",
    }
}

/// One `@` with something on each side, no spaces or characters that split address lists. The
/// host checks again when the message is queued.
pub fn is_address(text: &str) -> bool {
    text.rsplit_once('@')
        .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
        && text.chars().count() <= 254
        && !text
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(value: Value) -> Result<Definition, PluginError> {
        Definition::from_body(Some(&value)).map(|(d, _)| d)
    }

    fn good() -> Value {
        json!({
            "title": " Monthly usage ",
            "kind": "usage",
            "schedule": {"frequency": "monthly", "day": 1, "weekday": "friday",
                         "at": "07:00", "time_zone": "Europe/Berlin"},
            "recipients": {"emails": ["billing@acme.example"]},
        })
    }

    #[test]
    fn a_definition_is_kept_canonical() {
        let d = body(good()).unwrap();
        assert_eq!(d.title, "Monthly usage");
        assert_eq!(d.format, Format::Csv);
        assert!(d.enabled);
        // The weekday means nothing to a monthly report: dropped, not kept to confuse.
        assert_eq!(d.schedule.weekday, None);
        assert_eq!(d.schedule.day, Some(1));
    }

    #[test]
    fn each_mistake_names_its_field() {
        let field = |patch: Value| {
            let mut value = good();
            if let (Some(v), Value::Object(p)) = (value.as_object_mut(), patch) {
                v.extend(p);
            }
            body(value).unwrap_err().field.unwrap_or_default()
        };
        assert_eq!(field(json!({"title": "  "})), "title");
        assert_eq!(field(json!({"kind": "everything"})), "body");
        assert_eq!(
            field(json!({"recipients": {"emails": ["not an address"]}})),
            "recipients.emails"
        );
        assert_eq!(field(json!({"recipients": {}})), "recipients");
        assert_eq!(
            field(json!({"recipients": {"contact_type": "ceo"}})),
            "recipients.contact_type"
        );
        assert_eq!(
            field(json!({"schedule": {"frequency": "weekly", "at": "07:00", "time_zone": "UTC"}})),
            "weekday"
        );
        assert_eq!(
            field(json!({"schedule": {"frequency": "daily", "at": "25:00", "time_zone": "UTC"}})),
            "at"
        );
        assert_eq!(
            field(
                json!({"schedule": {"frequency": "daily", "at": "07:00", "time_zone": "Mars/Base"}})
            ),
            "time_zone"
        );
        assert_eq!(field(json!({"colour": "red"})), "body");
    }

    #[test]
    fn a_disabled_report_is_never_due() {
        let (mut d, schedule) = Definition::from_body(Some(&good())).unwrap();
        let now = DateTime::<Utc>::default();
        assert!(!d.sort_key(&schedule, now).is_empty());
        d.enabled = false;
        assert_eq!(d.sort_key(&schedule, now), "");
    }
}
