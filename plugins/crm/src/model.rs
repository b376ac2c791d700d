//! Contacts and activities as the API takes and shows them, with their checks.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use tenantry_plugin_api::PluginError;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactType {
    Billing,
    Technical,
    Sales,
    Other,
}

/// A contact as stored (and shown, with its id).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: ContactType,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub mailing_opt_in: bool,
    /// A console user this contact is (a user id of the group's own users).
    pub user_id: Option<i64>,
}

/// `POST` and `PATCH` bodies of a contact: every field optional for a PATCH.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactInput {
    pub name: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<ContactType>,
    #[serde(default, deserialize_with = "nullable")]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub phone: Option<Option<String>>,
    pub mailing_opt_in: Option<bool>,
    #[serde(default, deserialize_with = "nullable")]
    pub user_id: Option<Option<i64>>,
}

/// Absent stays `None`; an explicit `null` is `Some(None)` (clear the field).
fn nullable<'de, T: Deserialize<'de>, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

pub fn text(field: &str, value: &str, max: usize) -> Result<String, PluginError> {
    let text = value.trim();
    if text.is_empty() {
        return Err(PluginError::invalid(field, "must not be empty"));
    }
    if text.chars().count() > max {
        return Err(PluginError::invalid(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(PluginError::invalid(
            field,
            "must not contain control characters",
        ));
    }
    Ok(text.to_owned())
}

fn optional(field: &str, value: Option<String>, max: usize) -> Result<Option<String>, PluginError> {
    value
        .filter(|v| !v.trim().is_empty())
        .map(|v| text(field, &v, max))
        .transpose()
}

impl ContactInput {
    /// The contact after applying this input to `base` (a new contact when `base` is `None`).
    pub fn apply(self, base: Option<Contact>) -> Result<Contact, PluginError> {
        let name = match (self.name, &base) {
            (Some(name), _) => text("name", &name, 100)?,
            (None, Some(base)) => base.name.clone(),
            (None, None) => return Err(PluginError::invalid("name", "is required")),
        };
        let kind = self
            .kind
            .or(base.as_ref().map(|b| b.kind))
            .unwrap_or(ContactType::Other);
        let email = match self.email {
            Some(email) => optional("email", email, 254)?,
            None => base.as_ref().and_then(|b| b.email.clone()),
        };
        if let Some(email) = &email {
            let ok = email.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty() && domain.contains('.') && !domain.ends_with('.')
            }) && !email.contains(char::is_whitespace);
            if !ok {
                return Err(PluginError::invalid("email", "must be an email address"));
            }
        }
        let phone = match self.phone {
            Some(phone) => optional("phone", phone, 50)?,
            None => base.as_ref().and_then(|b| b.phone.clone()),
        };
        let user_id = match self.user_id {
            Some(user) => user,
            None => base.as_ref().and_then(|b| b.user_id),
        };
        if user_id.is_some_and(|id| id <= 0) {
            return Err(PluginError::invalid("user_id", "must be a user's id"));
        }
        Ok(Contact {
            name,
            kind,
            email,
            phone,
            mailing_opt_in: self
                .mailing_opt_in
                .or(base.as_ref().map(|b| b.mailing_opt_in))
                .unwrap_or(false),
            user_id,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    Call,
    Email,
    Meeting,
    Note,
}

/// Who wrote an activity: a user, or the system (renames and moves record themselves).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Author {
    /// `None` for the system.
    pub user_id: Option<i64>,
    pub system: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Activity {
    pub kind: ActivityKind,
    pub subject: String,
    pub notes: Option<String>,
    /// RFC 3339, UTC, microseconds: also the record's sort key, so text order is time order.
    pub when: String,
    pub contact_id: Option<i64>,
    pub done: bool,
    pub author: Author,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivityInput {
    pub kind: Option<ActivityKind>,
    pub subject: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub notes: Option<Option<String>>,
    pub when: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "nullable")]
    pub contact_id: Option<Option<i64>>,
    pub done: Option<bool>,
}

/// The one text form of a moment: sortable as text.
pub fn moment(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

impl ActivityInput {
    pub fn apply(self, base: Option<Activity>, author: Author) -> Result<Activity, PluginError> {
        let kind = match (self.kind, &base) {
            (Some(kind), _) => kind,
            (None, Some(base)) => base.kind,
            (None, None) => return Err(PluginError::invalid("kind", "is required")),
        };
        let subject = match (self.subject, &base) {
            (Some(subject), _) => text("subject", &subject, 200)?,
            (None, Some(base)) => base.subject.clone(),
            (None, None) => return Err(PluginError::invalid("subject", "is required")),
        };
        let when = match (self.when, &base) {
            (Some(when), _) => moment(when),
            (None, Some(base)) => base.when.clone(),
            (None, None) => return Err(PluginError::invalid("when", "is required")),
        };
        let notes = match self.notes {
            Some(notes) => optional("notes", notes, 10_000)?,
            None => base.as_ref().and_then(|b| b.notes.clone()),
        };
        Ok(Activity {
            kind,
            subject,
            notes,
            when,
            contact_id: match self.contact_id {
                Some(contact) => contact,
                None => base.as_ref().and_then(|b| b.contact_id),
            },
            done: self.done.or(base.as_ref().map(|b| b.done)).unwrap_or(false),
            author: base.map(|b| b.author).unwrap_or(author),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contacts_need_a_name_and_a_valid_email() {
        let input = |json: serde_json::Value| serde_json::from_value::<ContactInput>(json).unwrap();
        assert!(
            input(serde_json::json!({"type": "billing"}))
                .apply(None)
                .is_err()
        );
        assert!(
            input(serde_json::json!({"name": "Ann", "email": "ann"}))
                .apply(None)
                .is_err()
        );
        let ann = input(serde_json::json!({"name": " Ann ", "email": "ann@acme.example"}))
            .apply(None)
            .unwrap();
        assert_eq!(ann.name, "Ann");
        assert_eq!(ann.kind, ContactType::Other);
        let cleared = input(serde_json::json!({"email": null}))
            .apply(Some(ann))
            .unwrap();
        assert_eq!(cleared.email, None);
        assert_eq!(cleared.name, "Ann");
    }

    #[test]
    fn moments_sort_as_text() {
        let a = moment("2026-01-02T03:04:05Z".parse().unwrap());
        let b = moment("2026-01-02T03:04:05.5Z".parse().unwrap());
        let c = moment("2026-10-02T03:04:05+02:00".parse().unwrap());
        assert!(a < b && b < c, "{a} {b} {c}");
        assert_eq!(a, "2026-01-02T03:04:05.000000Z");
    }
}
