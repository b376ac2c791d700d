use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A group's commercial state as people see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupState {
    Trial,
    Production,
    NotActive,
    Expired,
}

impl GroupState {
    pub const ALL: [GroupState; 4] =
        [GroupState::Trial, GroupState::Production, GroupState::NotActive, GroupState::Expired];

    pub const fn as_str(self) -> &'static str {
        match self {
            GroupState::Trial => "trial",
            GroupState::Production => "production",
            GroupState::NotActive => "not_active",
            GroupState::Expired => "expired",
        }
    }

    pub fn parse(text: &str) -> Option<GroupState> {
        GroupState::ALL.into_iter().find(|state| state.as_str() == text)
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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn a_trial_past_its_expiry_is_expired() {
        let now = Utc::now();
        let trial = |expiry| StoredState { state: GroupState::Trial, trial_expires_at: Some(expiry) };
        assert_eq!(trial(now + Duration::days(1)).effective(now), GroupState::Trial);
        assert_eq!(trial(now).effective(now), GroupState::Expired);
        assert_eq!(trial(now - Duration::days(1)).effective(now), GroupState::Expired);
    }

    #[test]
    fn other_states_are_what_they_say() {
        let now = Utc::now();
        for state in [GroupState::Production, GroupState::NotActive, GroupState::Expired] {
            let stored = StoredState { state, trial_expires_at: Some(now - Duration::days(1)) };
            assert_eq!(stored.effective(now), state);
        }
    }
}
