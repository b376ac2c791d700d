use chrono::{DateTime, Datelike, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::DomainError;

/// A group's commercial state as people see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum GroupState {
    Trial,
    Production,
    NotActive,
    Expired,
}

impl GroupState {
    pub const ALL: [GroupState; 4] = [
        GroupState::Trial,
        GroupState::Production,
        GroupState::NotActive,
        GroupState::Expired,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            GroupState::Trial => "trial",
            GroupState::Production => "production",
            GroupState::NotActive => "not_active",
            GroupState::Expired => "expired",
        }
    }

    pub fn parse(text: &str) -> Option<GroupState> {
        GroupState::ALL
            .into_iter()
            .find(|state| state.as_str() == text)
    }
}

/// The state as it is stored, with the trial's expiry. A trial whose expiry has passed *is*
/// expired, without anybody having to flip it: [`StoredState::effective`] says so, and the
/// state filter of the descendants query applies the same rule in SQL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoredState {
    pub state: GroupState,
    pub trial_expires_at: Option<DateTime<Utc>>,
}

impl StoredState {
    pub fn effective(self, now: DateTime<Utc>) -> GroupState {
        match (self.state, self.trial_expires_at) {
            (GroupState::Trial, Some(expiry)) if expiry <= now => GroupState::Expired,
            (state, _) => state,
        }
    }
}

/// How long a new trial runs when nobody says otherwise (the real product's default).
pub const DEFAULT_TRIAL_DAYS: i64 = 30;

impl StoredState {
    /// The state of a new group: a trial unless told otherwise, and a trial always has an expiry
    /// (`trial_days` from now unless one is given). An expiry only makes sense for a trial.
    pub fn for_new_group(
        state: Option<GroupState>,
        trial_expires_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
        trial_days: i64,
    ) -> Result<StoredState, DomainError> {
        StoredState {
            state: GroupState::Production,
            trial_expires_at: None,
        }
        .change(
            Some(state.unwrap_or(GroupState::Trial)),
            trial_expires_at.map(Some),
            now,
            trial_days,
        )
    }

    /// The state after a partial update. Entering a trial starts the clock; leaving it clears the
    /// expiry; changing only the expiry is allowed while in a trial.
    pub fn change(
        self,
        state: Option<GroupState>,
        trial_expires_at: Option<Option<DateTime<Utc>>>,
        now: DateTime<Utc>,
        trial_days: i64,
    ) -> Result<StoredState, DomainError> {
        let next = state.unwrap_or(self.state);
        if next != GroupState::Trial {
            if trial_expires_at.flatten().is_some() {
                return Err(DomainError::invalid(
                    "trial_expires_at",
                    "is only for groups in the trial state",
                ));
            }
            return Ok(StoredState {
                state: next,
                trial_expires_at: None,
            });
        }
        let expiry = match trial_expires_at {
            Some(Some(expiry)) if !(1970..=9999).contains(&expiry.year()) => {
                return Err(DomainError::invalid(
                    "trial_expires_at",
                    "must be a date between the years 1970 and 9999",
                ));
            }
            Some(Some(expiry)) => expiry,
            Some(None) => {
                return Err(DomainError::invalid(
                    "trial_expires_at",
                    "a trial must have an expiry",
                ));
            }
            None if self.state == GroupState::Trial => self
                .trial_expires_at
                .unwrap_or(now + Duration::days(trial_days)),
            None => now + Duration::days(trial_days),
        };
        Ok(StoredState {
            state: GroupState::Trial,
            trial_expires_at: Some(expiry),
        })
    }
}

/// A requested change of state and trial expiry, applied to whatever the state is when the
/// change is made (inside the write transaction).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StateChange {
    pub state: Option<GroupState>,
    pub trial_expires_at: Option<Option<DateTime<Utc>>>,
    /// The installation's default trial length, for a group entering a trial.
    pub trial_days: i64,
}

impl StateChange {
    pub fn apply(
        self,
        current: StoredState,
        now: DateTime<Utc>,
    ) -> Result<StoredState, DomainError> {
        current.change(self.state, self.trial_expires_at, now, self.trial_days)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_groups_start_a_trial_of_the_default_length() {
        let now = Utc::now();
        let state = StoredState::for_new_group(None, None, now, DEFAULT_TRIAL_DAYS).unwrap();
        assert_eq!(
            state,
            StoredState {
                state: GroupState::Trial,
                trial_expires_at: Some(now + Duration::days(30))
            }
        );
        let production =
            StoredState::for_new_group(Some(GroupState::Production), None, now, 30).unwrap();
        assert_eq!(production.trial_expires_at, None);
        assert!(
            StoredState::for_new_group(Some(GroupState::Production), Some(now), now, 30).is_err()
        );
    }

    #[test]
    fn changes_keep_move_or_clear_the_expiry() {
        let now = Utc::now();
        let trial = StoredState {
            state: GroupState::Trial,
            trial_expires_at: Some(now + Duration::days(3)),
        };
        assert_eq!(trial.change(None, None, now, 30).unwrap(), trial);
        let later = now + Duration::days(60);
        assert_eq!(
            trial
                .change(None, Some(Some(later)), now, 30)
                .unwrap()
                .trial_expires_at,
            Some(later)
        );
        assert!(trial.change(None, Some(None), now, 30).is_err());
        let production = trial
            .change(Some(GroupState::Production), None, now, 30)
            .unwrap();
        assert_eq!(
            production,
            StoredState {
                state: GroupState::Production,
                trial_expires_at: None
            }
        );
        assert!(production.change(None, Some(Some(later)), now, 30).is_err());
        let far = "+10000-01-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap();
        let ancient = "1900-01-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap();
        assert!(trial.change(None, Some(Some(far)), now, 30).is_err());
        assert!(trial.change(None, Some(Some(ancient)), now, 30).is_err());
        let again = production
            .change(Some(GroupState::Trial), None, now, 30)
            .unwrap();
        assert_eq!(again.trial_expires_at, Some(now + Duration::days(30)));
    }

    #[test]
    fn a_trial_past_its_expiry_is_expired() {
        let now = Utc::now();
        let trial = |expiry| StoredState {
            state: GroupState::Trial,
            trial_expires_at: Some(expiry),
        };
        assert_eq!(
            trial(now + Duration::days(1)).effective(now),
            GroupState::Trial
        );
        assert_eq!(trial(now).effective(now), GroupState::Expired);
        assert_eq!(
            trial(now - Duration::days(1)).effective(now),
            GroupState::Expired
        );
    }

    #[test]
    fn other_states_are_what_they_say() {
        let now = Utc::now();
        for state in [
            GroupState::Production,
            GroupState::NotActive,
            GroupState::Expired,
        ] {
            let stored = StoredState {
                state,
                trial_expires_at: Some(now - Duration::days(1)),
            };
            assert_eq!(stored.effective(now), state);
        }
    }
}
