//! Failed logins of (group, username) pairs that name no account, counted in memory by the
//! same rule as real accounts' (`Failures::after_failure`): after as many failures, such a pair
//! answers `locked` for as long. Otherwise the 423 would tell a guesser which pairs exist, and
//! the OpenAPI text promises one answer for both. Per server, and forgotten on restart: a
//! guesser spread over replicas or restarts learns nothing it could not learn from the timing
//! of one attempt, which is equalised too.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use tenantry_domain::{Failures, GroupName, LockoutPolicy, Username};

/// At most this many pairs are remembered; past it, new pairs are not (they answer 401 until
/// the ticker forgets old ones). The source throttle keeps a guesser far below it.
const MAX_PAIRS: usize = 100_000;

#[derive(Debug, Default)]
pub struct UnknownAccounts {
    failures: Mutex<HashMap<(String, String), Failures>>,
}

impl UnknownAccounts {
    fn key(group: &str, username: &str) -> (String, String) {
        (GroupName::key_of(group.trim()), Username::key_of(username))
    }

    /// Until when the pair is locked at `now`, if it is.
    pub fn locked_until(
        &self,
        group: &str,
        username: &str,
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        let failures = self.failures.lock().ok()?;
        let record = failures.get(&Self::key(group, username))?;
        record.locked_until.filter(|_| record.is_locked(now))
    }

    /// Counts one more failure of the pair.
    pub fn fail(&self, group: &str, username: &str, now: DateTime<Utc>, policy: &LockoutPolicy) {
        let Ok(mut failures) = self.failures.lock() else {
            return;
        };
        let key = Self::key(group, username);
        if failures.len() >= MAX_PAIRS && !failures.contains_key(&key) {
            return;
        }
        let record = failures.entry(key).or_default();
        *record = record.after_failure(now, policy);
    }

    /// Forgets pairs whose count and lock have both run out (the ticker calls it).
    pub fn forget_expired(&self, now: DateTime<Utc>, policy: &LockoutPolicy) {
        if let Ok(mut failures) = self.failures.lock() {
            failures.retain(|_, record| {
                record.is_locked(now)
                    || record
                        .first_failed_at
                        .is_some_and(|first| now - first < policy.window)
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> LockoutPolicy {
        LockoutPolicy {
            max_failures: 3,
            window: chrono::Duration::minutes(15),
            lock_for: chrono::Duration::minutes(15),
        }
    }

    #[test]
    fn a_pair_locks_like_an_account_and_is_forgotten_after() {
        let unknown = UnknownAccounts::default();
        let now = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap();
        for _ in 0..3 {
            assert_eq!(unknown.locked_until("Acme", "bob", now), None);
            unknown.fail("Acme", "bob", now, &policy());
        }
        // Names compare as logins do: case-insensitively, the group's name trimmed.
        let until = unknown.locked_until(" ACME ", "BOB", now).unwrap();
        assert_eq!(until, now + chrono::Duration::minutes(15));
        assert_eq!(unknown.locked_until("Acme", "alice", now), None);
        let later = until + chrono::Duration::seconds(1);
        assert_eq!(unknown.locked_until("Acme", "bob", later), None);
        unknown.forget_expired(later, &policy());
        assert!(unknown.failures.lock().unwrap().is_empty());
    }
}
