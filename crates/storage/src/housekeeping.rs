//! Daily housekeeping: rows whose life is over, deleted so that tables holding secrets' hashes
//! and mail do not grow without end.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;

use crate::db::Writer;
use crate::error::StoreResult;
use crate::outbox::{FAILED, SENT};
use crate::schema::{deployment_tokens, mail_outbox, sessions};

/// Expired or revoked deployment tokens and ended sessions and API tokens stay listed this long
/// after they ended (the token lists show what ran out recently), then go.
pub const ENDED_KEPT: Duration = Duration::days(30);

/// What one run deleted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pruned {
    pub deployment_tokens: usize,
    pub sessions: usize,
    pub messages: usize,
}

/// Deletes deployment tokens that expired or were revoked, and sessions and API tokens that
/// ended (by lifetime or idleness), more than [`ENDED_KEPT`] ago, and mail that was sent or gave
/// up more than `keep_messages` ago (pending mail is never touched, however old).
pub fn prune(
    w: &mut Writer<'_>,
    now: DateTime<Utc>,
    keep_messages: Duration,
) -> StoreResult<Pruned> {
    let conn = w.conn();
    let ended_before = (now - ENDED_KEPT).naive_utc();
    let deployment_tokens = diesel::delete(
        deployment_tokens::table.filter(
            deployment_tokens::expires_at
                .lt(ended_before)
                .or(deployment_tokens::revoked_at.lt(ended_before)),
        ),
    )
    .execute(conn)?;
    let sessions = diesel::delete(
        sessions::table.filter(
            sessions::expires_at
                .lt(ended_before)
                .or(sessions::idle_expires_at.lt(ended_before)),
        ),
    )
    .execute(conn)?;
    let messages = diesel::delete(
        mail_outbox::table
            .filter(mail_outbox::status.eq_any([SENT, FAILED]))
            .filter(mail_outbox::created_at.lt((now - keep_messages).naive_utc())),
    )
    .execute(conn)?;
    Ok(Pruned {
        deployment_tokens,
        sessions,
        messages,
    })
}
