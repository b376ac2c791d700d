//! The mail outbox: messages a plugin decided to send, written in the same transaction as that
//! decision, and delivered afterwards by the server's mailer. Delivery claims a message with a
//! lease (so that of several servers one sends it), and records each attempt: sent, or failed
//! with the error and when to try again, or failed for good.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use tenantry_domain::{DomainError, GroupId};

use crate::db::{DbConnection, Storage, Writer};
use crate::error::{StoreError, StoreResult};
use crate::page::{Cursor, Page, PageRequest};
use crate::schema::mail_outbox;

/// What a plugin asks to send.
#[derive(Clone, Debug)]
pub struct NewMail<'a> {
    pub plugin: &'a str,
    pub group: GroupId,
    /// What the message is about, in the plugin's words; its history is listed by it.
    pub source: &'a str,
    pub recipients: &'a [String],
    pub subject: &'a str,
    /// The body and attachments as JSON text (the mailer's format, opaque here).
    pub content: &'a str,
}

/// A message in the outbox.
#[derive(Clone, Debug, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = mail_outbox)]
pub struct Mail {
    pub id: i64,
    pub plugin: String,
    pub group_id: i64,
    pub source: String,
    /// JSON array of addresses.
    pub recipients: String,
    pub subject: String,
    /// What the mailer sends (empty in [`history`] pages, which list messages).
    pub content: String,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: NaiveDateTime,
    pub lease_until: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
}

impl Mail {
    pub fn recipients(&self) -> Vec<String> {
        serde_json::from_str(&self.recipients).unwrap_or_default()
    }
}

pub const PENDING: &str = "pending";
pub const SENT: &str = "sent";
pub const FAILED: &str = "failed";

/// A message is a report: generous, but bounded (the whole message is read into memory to send).
const MAX_CONTENT_BYTES: usize = 20 << 20;
pub const MAX_RECIPIENTS: usize = 50;
const MAX_SUBJECT_CHARS: usize = 200;
/// RFC 5321's limit on a path.
const MAX_ADDRESS_CHARS: usize = 254;

/// Whether `address` can be handed to an SMTP server as a recipient: one `@` with something on
/// each side, no spaces, no control characters, no angle brackets. The mailer's parser has the
/// last word; this keeps junk out of the outbox with a field error instead.
pub fn is_plausible_address(address: &str) -> bool {
    let Some((local, domain)) = address.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.is_empty()
        && address.chars().count() <= MAX_ADDRESS_CHARS
        && !address
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';'))
}

fn check(mail: &NewMail<'_>) -> StoreResult<()> {
    let bad =
        |field: &str, message: String| StoreError::Domain(DomainError::invalid(field, message));
    if mail.recipients.is_empty() || mail.recipients.len() > MAX_RECIPIENTS {
        return Err(bad(
            "recipients",
            format!("a message goes to 1 to {MAX_RECIPIENTS} recipients"),
        ));
    }
    if let Some(wrong) = mail.recipients.iter().find(|a| !is_plausible_address(a)) {
        return Err(bad(
            "recipients",
            format!("{wrong:?} is not an email address"),
        ));
    }
    if mail.subject.trim().is_empty()
        || mail.subject.chars().count() > MAX_SUBJECT_CHARS
        || mail.subject.chars().any(char::is_control)
    {
        return Err(bad(
            "subject",
            format!("a subject is one line of 1 to {MAX_SUBJECT_CHARS} characters"),
        ));
    }
    if mail.content.len() > MAX_CONTENT_BYTES {
        return Err(bad(
            "content",
            format!("a message holds at most {MAX_CONTENT_BYTES} bytes"),
        ));
    }
    Ok(())
}

/// Queues a message, due now. Returns its id.
pub fn enqueue(w: &mut Writer<'_>, mail: &NewMail<'_>, now: DateTime<Utc>) -> StoreResult<i64> {
    check(mail)?;
    let recipients =
        serde_json::to_string(mail.recipients).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let row = (
        mail_outbox::plugin.eq(mail.plugin),
        mail_outbox::group_id.eq(mail.group.0),
        mail_outbox::source.eq(mail.source),
        mail_outbox::recipients.eq(&recipients),
        mail_outbox::subject.eq(mail.subject),
        mail_outbox::content.eq(mail.content),
        mail_outbox::status.eq(PENDING),
        mail_outbox::next_attempt_at.eq(now.naive_utc()),
        mail_outbox::created_at.eq(now.naive_utc()),
    );
    let id = on_backend!(w.conn(), |c| diesel::insert_into(mail_outbox::table)
        .values(row)
        .returning(mail_outbox::id)
        .get_result(c)?);
    Ok(id)
}

/// Claims the next due message for `lease`, which must outlast one whole SMTP exchange: a
/// message claimed by another server whose lease has not run out is left alone, so one server
/// sends it. The claimed message's `lease_until` is the claim's token: its outcome is recorded
/// only while it still holds. A server that dies mid-send leaves its lease to run out and the
/// message is tried again (at least once, never lost).
pub fn claim_next(
    storage: &Storage,
    now: DateTime<Utc>,
    lease: Duration,
) -> StoreResult<Option<Mail>> {
    let now = now.naive_utc();
    let free = || {
        mail_outbox::lease_until
            .is_null()
            .or(mail_outbox::lease_until.lt(now))
    };
    let due = || {
        mail_outbox::status
            .eq(PENDING)
            .and(mail_outbox::next_attempt_at.le(now))
    };
    let Some(id) = storage.read(|conn| {
        Ok(mail_outbox::table
            .filter(due())
            .filter(free())
            .order(mail_outbox::next_attempt_at)
            .select(mail_outbox::id)
            .first::<i64>(conn)
            .optional()?)
    })?
    else {
        return Ok(None);
    };
    storage.write(|w| {
        // Compare-and-set: on PostgreSQL a rival's claim of the same row blocks this update
        // until it commits, and the re-checked condition then no longer holds.
        let won = diesel::update(
            mail_outbox::table
                .filter(mail_outbox::id.eq(id))
                .filter(due())
                .filter(free()),
        )
        .set(mail_outbox::lease_until.eq(now + lease))
        .execute(w.conn())?;
        if won == 0 {
            return Ok(None);
        }
        get(w.conn(), id)
    })
}

/// Whether an outcome was recorded: not when the claim's lease ran out and another server took
/// the message over (it records its own).
pub type Recorded = bool;

/// The message went out (recorded if `claim` still holds), to every recipient or, with `note`
/// saying who did not get it, to some.
pub fn delivered(
    storage: &Storage,
    claim: &Mail,
    now: DateTime<Utc>,
    note: Option<&str>,
) -> StoreResult<Recorded> {
    let note: Option<String> = note.map(|n| n.chars().take(1000).collect());
    storage.write(|w| {
        let changed = diesel::update(held(claim))
            .set((
                mail_outbox::status.eq(SENT),
                mail_outbox::attempts.eq(mail_outbox::attempts + 1),
                mail_outbox::sent_at.eq(Some(now.naive_utc())),
                mail_outbox::lease_until.eq(None::<NaiveDateTime>),
                mail_outbox::last_error.eq(note.clone()),
            ))
            .execute(w.conn())?;
        Ok(changed == 1)
    })
}

/// The claimed message, as long as the claim's lease is the one it holds (a claimed message
/// always has one; the epoch, which no lease is, matches nothing).
fn held(
    claim: &Mail,
) -> diesel::dsl::Filter<
    diesel::dsl::Filter<mail_outbox::table, diesel::dsl::Eq<mail_outbox::id, i64>>,
    diesel::dsl::Eq<mail_outbox::lease_until, NaiveDateTime>,
> {
    mail_outbox::table
        .filter(mail_outbox::id.eq(claim.id))
        .filter(mail_outbox::lease_until.eq(claim.lease_until.unwrap_or_default()))
}

/// An attempt failed: try again at `retry_at`, or never (`None`: the message failed for good).
/// With `remaining`, the next attempts go to those recipients only (the others got theirs or
/// were refused for good). Recorded if `claim` still holds.
pub fn attempt_failed(
    storage: &Storage,
    claim: &Mail,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
    remaining: Option<&[String]>,
) -> StoreResult<Recorded> {
    let error: String = error.chars().take(1000).collect();
    let recipients = match remaining {
        Some(remaining) => serde_json::to_string(remaining)
            .map_err(|e| StoreError::Corrupt(format!("recipients: {e}")))?,
        None => claim.recipients.clone(),
    };
    storage.write(|w| {
        let target = held(claim);
        let common = (
            mail_outbox::attempts.eq(mail_outbox::attempts + 1),
            mail_outbox::lease_until.eq(None::<NaiveDateTime>),
            mail_outbox::last_error.eq(Some(error.clone())),
            mail_outbox::recipients.eq(recipients.clone()),
        );
        let changed = match retry_at {
            Some(at) => diesel::update(target)
                .set((common, mail_outbox::next_attempt_at.eq(at.naive_utc())))
                .execute(w.conn())?,
            None => diesel::update(target)
                .set((common, mail_outbox::status.eq(FAILED)))
                .execute(w.conn())?,
        };
        Ok(changed == 1)
    })
}

pub fn get(conn: &mut DbConnection, id: i64) -> StoreResult<Option<Mail>> {
    Ok(mail_outbox::table
        .filter(mail_outbox::id.eq(id))
        .select(Mail::as_select())
        .first(conn)
        .optional()?)
}

/// A source's messages, newest first.
pub fn history(
    conn: &mut DbConnection,
    plugin: &str,
    group: GroupId,
    source: &str,
    page: &PageRequest,
) -> StoreResult<Page<Mail>> {
    let mut query = mail_outbox::table
        .filter(mail_outbox::group_id.eq(group.0))
        .filter(mail_outbox::plugin.eq(plugin.to_owned()))
        .filter(mail_outbox::source.eq(source.to_owned()))
        .into_boxed();
    if let Some(after) = &page.after {
        let id: i64 = after.key().parse().map_err(|_| {
            DomainError::invalid("cursor", "is not a cursor this server handed out")
        })?;
        query = query.filter(mail_outbox::id.lt(id));
    }
    // Every column but the content (a report with its logo may hold most of a megabyte): a
    // history page reads what the list shows, not every message whole.
    let mut rows: Vec<Mail> = query
        .order(mail_outbox::id.desc())
        .limit(page.limit + 1)
        .select((
            mail_outbox::id,
            mail_outbox::plugin,
            mail_outbox::group_id,
            mail_outbox::source,
            mail_outbox::recipients,
            mail_outbox::subject,
            diesel::dsl::sql::<diesel::sql_types::Text>("''"),
            mail_outbox::status,
            mail_outbox::attempts,
            mail_outbox::next_attempt_at,
            mail_outbox::lease_until,
            mail_outbox::last_error,
            mail_outbox::created_at,
            mail_outbox::sent_at,
        ))
        .load(conn)?;
    let more = rows.len() as i64 > page.limit;
    rows.truncate(page.limit as usize);
    let next = if more {
        rows.last().map(|m| Cursor::after(&m.id.to_string()))
    } else {
        None
    };
    Ok(Page { items: rows, next })
}

/// When to try a message again after `attempts` failed ones: `base`, then twice as long each
/// time, at most six hours apart; `None` once `max_attempts` were made.
pub fn retry_at(
    now: DateTime<Utc>,
    attempts: i64,
    max_attempts: i64,
    base: Duration,
) -> Option<DateTime<Utc>> {
    if attempts >= max_attempts {
        return None;
    }
    let factor = 1i32 << attempts.clamp(1, 20).saturating_sub(1);
    Some(now + (base * factor).min(Duration::hours(6)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_that_smtp_would_choke_on_are_refused() {
        assert!(is_plausible_address("ops@example.com"));
        assert!(is_plausible_address("a.b+reports@sub.example.co.uk"));
        for wrong in [
            "",
            "ops",
            "@example.com",
            "ops@",
            "o ps@example.com",
            "ops@example.com\r\nRCPT TO:<x@y>",
            "<ops@example.com>",
            "a@b.com,c@d.com",
        ] {
            assert!(!is_plausible_address(wrong), "{wrong:?}");
        }
    }

    #[test]
    fn retries_back_off_then_give_up() {
        let now = DateTime::<Utc>::default();
        let minute = Duration::minutes(1);
        let after =
            |attempts| retry_at(now, attempts, 8, minute).map(|at| (at - now).num_minutes());
        assert_eq!(after(1), Some(1));
        assert_eq!(after(2), Some(2));
        assert_eq!(after(3), Some(4));
        assert_eq!(after(7), Some(64));
        assert_eq!(after(8), None);
        assert_eq!(
            retry_at(now, 15, 20, minute).map(|at| (at - now).num_minutes()),
            Some(360)
        );
    }
}
