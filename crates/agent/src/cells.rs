//! Table cells for people: sizes in GB and TB, times as "5 minutes ago", nested objects spread
//! into dotted columns instead of JSON inside a cell, and a group's name beside its id. CSV and
//! JSON output keep the API's own values, for scripts.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

/// Spreads nested objects into `parent.child` keys (arrays of scalars become `a, b, c`; other
/// arrays say how many items they hold), so that every cell is one plain value.
pub fn flatten(object: &Map<String, Value>) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    spread("", object, &mut out);
    out
}

fn spread(prefix: &str, object: &Map<String, Value>, out: &mut Vec<(String, Value)>) {
    for (key, value) in object {
        let name = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            Value::Object(inner) if !inner.is_empty() => spread(&name, inner, out),
            Value::Array(items) if items.iter().all(|i| !i.is_object() && !i.is_array()) => {
                let joined: Vec<String> = items.iter().map(plain).collect();
                out.push((name, Value::String(joined.join(", "))));
            }
            Value::Array(items) => {
                out.push((name, Value::String(format!("({} items)", items.len()))));
            }
            other => out.push((name, other.clone())),
        }
    }
}

/// A cell as a person reads it, by what the field holds.
pub fn human(field: &str, value: &Value, now: DateTime<Utc>, names: &GroupNames) -> String {
    let last = field.rsplit('.').next().unwrap_or(field);
    match value {
        Value::Number(n) if is_size(last) => n.as_i64().map_or_else(|| n.to_string(), size),
        Value::Number(n) if is_group(last) => match n.as_i64().and_then(|id| names.get(id)) {
            Some(name) => format!("{n} ({name})"),
            None => n.to_string(),
        },
        Value::String(text) if last.ends_with("_at") => text
            .parse::<DateTime<Utc>>()
            .map_or_else(|_| text.clone(), |at| ago(at, now)),
        other => plain(other),
    }
}

/// The fields that hold a group's id, whose name goes beside it.
pub fn is_group(field: &str) -> bool {
    matches!(field, "group_id" | "parent_id" | "source_group_id")
}

fn is_size(field: &str) -> bool {
    field.ends_with("_bytes") || matches!(field, "size" | "bytes")
}

fn plain(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Bytes in the unit that reads best: `850 MB`, `1.5 GB`, `2.00 TB` (decimal units, as backup
/// sizes are quoted).
pub fn size(bytes: i64) -> String {
    const UNITS: [&str; 6] = ["B", "kB", "MB", "GB", "TB", "PB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value.abs() >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    match unit {
        0 => format!("{bytes} B"),
        _ if value.abs() >= 100.0 => format!("{value:.0} {}", UNITS[unit]),
        _ if value.abs() >= 10.0 => format!("{value:.1} {}", UNITS[unit]),
        _ => format!("{value:.2} {}", UNITS[unit]),
    }
}

/// A moment relative to now for the last week either way ("5 minutes ago", "in 2 days"), the
/// date and time in UTC beyond.
pub fn ago(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let seconds = (now - at).num_seconds();
    let span = seconds.abs();
    let amount = |n: i64, unit: &str| {
        let plural = if n == 1 { "" } else { "s" };
        if seconds >= 0 {
            format!("{n} {unit}{plural} ago")
        } else {
            format!("in {n} {unit}{plural}")
        }
    };
    match span {
        0..60 => "just now".to_owned(),
        60..3600 => amount(span / 60, "minute"),
        3600..86_400 => amount(span / 3600, "hour"),
        86_400..604_800 => amount(span / 86_400, "day"),
        _ => at.format("%Y-%m-%d %H:%M UTC").to_string(),
    }
}

/// Group names by id, as far as they could be read.
#[derive(Debug, Default)]
pub struct GroupNames(BTreeMap<i64, String>);

impl GroupNames {
    pub fn get(&self, id: i64) -> Option<&str> {
        self.0.get(&id).map(String::as_str)
    }

    pub fn insert(&mut self, id: i64, name: String) {
        self.0.insert(id, name);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn sizes_read_in_decimal_units() {
        assert_eq!(size(0), "0 B");
        assert_eq!(size(999), "999 B");
        assert_eq!(size(850_000_000), "850 MB");
        assert_eq!(size(1_500_000_000), "1.50 GB");
        assert_eq!(size(2_000_000_000_000), "2.00 TB");
        assert_eq!(size(12_345_000_000), "12.3 GB");
    }

    #[test]
    fn times_read_relative_to_now() {
        let now: DateTime<Utc> = "2026-12-07T12:00:00Z".parse().unwrap();
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        assert_eq!(ago(at("2026-12-07T11:59:30Z"), now), "just now");
        assert_eq!(ago(at("2026-12-07T11:55:00Z"), now), "5 minutes ago");
        assert_eq!(ago(at("2026-12-07T10:00:00Z"), now), "2 hours ago");
        assert_eq!(ago(at("2026-12-06T12:00:00Z"), now), "1 day ago");
        assert_eq!(ago(at("2026-12-09T12:00:00Z"), now), "in 2 days");
        assert_eq!(ago(at("2026-10-01T08:30:00Z"), now), "2026-10-01 08:30 UTC");
    }

    #[test]
    fn nested_values_spread_into_columns() {
        let object = json!({"id": 1, "author": {"user_id": 7, "system": false},
                            "emails": ["a@x", "b@x"], "rows": [{"a": 1}], "empty": {}});
        let flat = flatten(object.as_object().unwrap());
        let keys: Vec<&str> = flat.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            [
                "author.system",
                "author.user_id",
                "emails",
                "empty",
                "id",
                "rows"
            ]
        );
        assert_eq!(flat[2].1, json!("a@x, b@x"));
        assert_eq!(flat[5].1, json!("(1 items)"));
    }

    #[test]
    fn cells_show_names_sizes_and_times() {
        let now: DateTime<Utc> = "2026-12-07T12:00:00Z".parse().unwrap();
        let mut names = GroupNames::default();
        names.insert(12, "Acme".to_owned());
        assert_eq!(human("group_id", &json!(12), now, &names), "12 (Acme)");
        assert_eq!(human("group_id", &json!(13), now, &names), "13");
        assert_eq!(
            human("used_bytes", &json!(1_500_000_000), now, &names),
            "1.50 GB"
        );
        assert_eq!(
            human(
                "last_session_at",
                &json!("2026-12-07T11:00:00Z"),
                now,
                &names
            ),
            "1 hour ago"
        );
        assert_eq!(human("name", &json!("x"), now, &names), "x");
    }
}
