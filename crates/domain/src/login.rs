//! The rules of logging in that are arithmetic on time: lockout after repeated failures, and
//! when a session ends.

use chrono::{DateTime, Duration, Utc};

/// How many failed logins lock an account, within which window, and for how long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LockoutPolicy {
    pub max_failures: i32,
    pub window: Duration,
    pub lock_for: Duration,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        LockoutPolicy {
            max_failures: 5,
            window: Duration::minutes(15),
            lock_for: Duration::minutes(15),
        }
    }
}

/// A user's record of failed logins.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Failures {
    /// Failures counted since `first_failed_at`.
    pub count: i32,
    pub first_failed_at: Option<DateTime<Utc>>,
    pub locked_until: Option<DateTime<Utc>>,
}

impl Failures {
    /// Whether the account refuses every login, the right password included, at `now`.
    pub fn is_locked(&self, now: DateTime<Utc>) -> bool {
        self.locked_until.is_some_and(|until| now < until)
    }

    /// The record after one more failure at `now`: a failure outside the window starts a new
    /// count; reaching the limit locks the account from now for the policy's duration.
    pub fn after_failure(self, now: DateTime<Utc>, policy: &LockoutPolicy) -> Failures {
        let in_window = self
            .first_failed_at
            .is_some_and(|first| now - first < policy.window)
            && self.locked_until.is_none_or(|until| until > now);
        let (count, first_failed_at) = if in_window {
            (self.count.saturating_add(1), self.first_failed_at)
        } else {
            (1, Some(now))
        };
        let locked_until = if count >= policy.max_failures {
            Some(now + policy.lock_for)
        } else {
            self.locked_until.filter(|until| now < *until)
        };
        Failures {
            count,
            first_failed_at,
            locked_until,
        }
    }
}

/// How long sessions live: `idle` after their last use (renewed on use), and never beyond
/// `lifetime` after login.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionPolicy {
    pub idle: Duration,
    pub lifetime: Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        SessionPolicy {
            idle: Duration::minutes(15),
            lifetime: Duration::hours(12),
        }
    }
}

impl SessionPolicy {
    /// The idle expiry after a use at `now`, capped by the absolute expiry.
    pub fn idle_expiry(&self, now: DateTime<Utc>, expires_at: DateTime<Utc>) -> DateTime<Utc> {
        (now + self.idle).min(expires_at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::UNIX_EPOCH + Duration::minutes(minutes)
    }

    #[test]
    fn five_failures_within_the_window_lock_the_account() {
        let policy = LockoutPolicy::default();
        let mut record = Failures::default();
        for minute in 0..4 {
            record = record.after_failure(at(minute), &policy);
            assert!(
                !record.is_locked(at(minute)),
                "after {} failures",
                minute + 1
            );
        }
        record = record.after_failure(at(4), &policy);
        assert!(record.is_locked(at(4)));
        assert!(record.is_locked(at(18)));
        assert!(!record.is_locked(at(19)), "the lock lasts 15 minutes");
    }

    #[test]
    fn failures_outside_the_window_start_a_new_count() {
        let policy = LockoutPolicy::default();
        let mut record = Failures::default();
        for minute in [0, 5, 10, 14] {
            record = record.after_failure(at(minute), &policy);
        }
        assert_eq!(record.count, 4);
        record = record.after_failure(at(15), &policy);
        assert_eq!(record.count, 1, "the first failure is 15 minutes old");
        assert!(!record.is_locked(at(15)));
    }

    #[test]
    fn a_failure_after_a_lock_ended_starts_over() {
        let policy = LockoutPolicy::default();
        let mut record = Failures::default();
        for minute in 0..5 {
            record = record.after_failure(at(minute), &policy);
        }
        assert!(record.is_locked(at(10)));
        let after = record.after_failure(at(20), &policy);
        assert_eq!(after.count, 1);
        assert!(!after.is_locked(at(20)));
    }

    #[test]
    fn failing_while_locked_keeps_the_lock_from_the_latest_failure() {
        let policy = LockoutPolicy::default();
        let mut record = Failures::default();
        for minute in 0..5 {
            record = record.after_failure(at(minute), &policy);
        }
        let again = record.after_failure(at(6), &policy);
        assert!(again.is_locked(at(6)));
        assert_eq!(again.locked_until, Some(at(6) + policy.lock_for));
    }

    #[test]
    fn idle_expiry_never_passes_the_absolute_expiry() {
        let policy = SessionPolicy::default();
        assert_eq!(policy.idle_expiry(at(0), at(600)), at(15));
        assert_eq!(policy.idle_expiry(at(590), at(600)), at(600));
    }
}
