//! The deployment tokens in the Downloads listing's install commands, reused.
//!
//! Each listing shows command lines that carry a deployment token. Minting one per listing left a
//! live 7-day token behind every page view (seven views, seven tokens). The secret cannot be read
//! back from the database (only its hash is kept), so each replica remembers the tokens it
//! minted, per group and caller, and shows the same one again until it comes within a day of
//! expiring or is revoked. A restart or another replica mints one more: a handful per week, not
//! one per view. Only this process's memory holds the secrets, as it held them while answering.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

/// A token is shown again only while it has at least this long to live, so that a command
/// copied from the listing still works for a day.
pub const REUSE_MARGIN: Duration = Duration::days(1);

/// At most this many remembered tokens; past it, the expired ones go, then all (the next
/// listings mint anew). A bound on memory, far above any installation's callers × groups in a
/// week.
const CAPACITY: usize = 100_000;

/// A token as minted for a listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandToken {
    pub id: i64,
    pub secret: String,
    pub expires_at: DateTime<Utc>,
}

/// The remembered tokens, by (group, user).
#[derive(Debug, Default)]
pub struct CommandTokens {
    tokens: Mutex<HashMap<(i64, i64), CommandToken>>,
}

impl CommandTokens {
    /// The token to show `user` for `group` again, if one was minted here and is not near its
    /// expiry. (Whether it was revoked meanwhile is the database's to say.)
    pub fn reusable(&self, group: i64, user: i64, now: DateTime<Utc>) -> Option<CommandToken> {
        let tokens = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
        tokens
            .get(&(group, user))
            .filter(|token| token.expires_at - now >= REUSE_MARGIN)
            .cloned()
    }

    /// Remembers a newly minted token, in place of the one before.
    pub fn remember(&self, group: i64, user: i64, token: CommandToken, now: DateTime<Utc>) {
        let mut tokens = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
        if tokens.len() >= CAPACITY {
            tokens.retain(|_, token| token.expires_at - now >= REUSE_MARGIN);
            if tokens.len() >= CAPACITY {
                tokens.clear();
            }
        }
        tokens.insert((group, user), token);
    }

    /// Forgets a token the database says is no longer live.
    pub fn forget(&self, group: i64, user: i64) {
        let mut tokens = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
        tokens.remove(&(group, user));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(id: i64, expires_at: DateTime<Utc>) -> CommandToken {
        CommandToken {
            id,
            secret: format!("tdp_{id}"),
            expires_at,
        }
    }

    #[test]
    fn a_token_is_shown_again_until_a_day_before_it_expires() {
        let now = Utc::now();
        let tokens = CommandTokens::default();
        assert_eq!(tokens.reusable(1, 2, now), None);
        tokens.remember(1, 2, token(7, now + Duration::days(7)), now);
        assert_eq!(tokens.reusable(1, 2, now).map(|t| t.id), Some(7));
        assert_eq!(tokens.reusable(1, 3, now), None, "per caller");
        assert_eq!(tokens.reusable(4, 2, now), None, "per group");
        let late = now + Duration::days(6) + Duration::minutes(1);
        assert_eq!(tokens.reusable(1, 2, late), None, "near its expiry");
        tokens.forget(1, 2);
        assert_eq!(tokens.reusable(1, 2, now), None);
    }
}
