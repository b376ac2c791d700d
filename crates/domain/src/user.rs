use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::name::parse_text;
use crate::{Actor, Authority, DomainError, FieldError, GroupId, Role, UserKind};

/// A user's id. It never changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserId(pub i64);

impl std::fmt::Display for UserId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// Longest username accepted: the longest forward path an email address can have (RFC 5321).
const MAX_USERNAME_CHARS: usize = 254;
const MAX_DISPLAY_NAME_CHARS: usize = 100;
/// Passwords shorter than this are refused.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Longer passwords are refused too: hashing cost grows with the input, and no password manager
/// needs more.
pub const MAX_PASSWORD_CHARS: usize = 256;

/// A username: an email address, trimmed. Unique within its group, compared case-insensitively
/// (the group's name is part of the login, so two groups may each have an `admin@…`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Username, DomainError> {
        let invalid = |message: &str| DomainError::invalid("username", message);
        let text = parse_text("username", raw, MAX_USERNAME_CHARS)
            .map_err(|error| DomainError::Validation(vec![error]))?
            .ok_or_else(|| invalid("must not be empty"))?;
        // Deliberately the shape of an address, not RFC 5322 in full: one `@`, something on both
        // sides, a dot in the domain, no spaces. Whether mail arrives is the mail server's call.
        let (local, domain) = text
            .split_once('@')
            .ok_or_else(|| invalid("must be an email address"))?;
        let well_formed = !local.is_empty()
            && !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !text.chars().any(char::is_whitespace);
        if !well_formed {
            return Err(invalid("must be an email address"));
        }
        Ok(Username(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    /// The case-folded form kept under the per-group unique index and used to log in.
    pub fn key(&self) -> String {
        Username::key_of(&self.0)
    }

    /// The lookup key of a username as typed at login, without validating it (so that a
    /// malformed username costs the same as an unknown one).
    pub fn key_of(raw: &str) -> String {
        crate::name::name_key(raw).trim().to_owned()
    }
}

/// A person's display name: optional, trimmed, at most 100 characters.
pub fn parse_display_name(raw: &str) -> Result<Option<String>, DomainError> {
    parse_text("name", raw, MAX_DISPLAY_NAME_CHARS)
        .map_err(|error| DomainError::Validation(vec![error]))
}

/// The password policy:
/// - at least 12 characters, at most 256;
/// - not containing the username (nor its part before the `@`) or the name of the user's group
///   (when known), ignoring case and spaces: the first things a guesser tries;
/// - not easily guessed: zxcvbn (which knows 30,000 common passwords, common names and words,
///   keyboard rows, repeats, sequences, dates and l33t spellings) must estimate at least 10^8
///   guesses. Passphrases of a few words pass; `Password1234`, `qwertyuiop123` and
///   `passwordpassword` do not.
///
/// Returns the field error, if any, under `field`.
pub fn check_password(
    field: &str,
    password: &str,
    username: &Username,
    group_name: Option<&str>,
) -> Result<(), DomainError> {
    let chars = password.chars().count();
    let fault = if chars < MIN_PASSWORD_CHARS {
        Some(format!(
            "must be at least {MIN_PASSWORD_CHARS} characters (got {chars})"
        ))
    } else if chars > MAX_PASSWORD_CHARS {
        Some(format!("must be at most {MAX_PASSWORD_CHARS} characters"))
    } else {
        password_fault(password, username, group_name)
    };
    match fault {
        Some(message) => Err(DomainError::Validation(vec![FieldError::new(
            field, message,
        )])),
        None => Ok(()),
    }
}

/// Names shorter than this are not looked for inside passwords (`ab` is in too many).
const MIN_CONTAINED_NAME_CHARS: usize = 3;

/// Only this much of a password is given to the strength estimate: its work grows quickly with
/// the length, and a password this long that still looks weak in its first part is rare.
const ESTIMATED_PREFIX_CHARS: usize = 64;

fn password_fault(password: &str, username: &Username, group_name: Option<&str>) -> Option<String> {
    let squeezed = |text: &str| -> String {
        text.to_lowercase()
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect()
    };
    let plain = squeezed(password);
    let key = username.key();
    let local = key.split('@').next().unwrap_or_default();
    let contains = |name: &str| {
        let name = squeezed(name);
        name.chars().count() >= MIN_CONTAINED_NAME_CHARS && plain.contains(&name)
    };
    if contains(&key) || contains(local) {
        return Some("must not contain the username".to_owned());
    }
    if group_name.is_some_and(contains) {
        return Some("must not contain the group's name".to_owned());
    }
    let prefix: String = password.chars().take(ESTIMATED_PREFIX_CHARS).collect();
    let mut inputs = vec![key.as_str(), local];
    inputs.extend(group_name);
    let estimate = zxcvbn::zxcvbn(&prefix, &inputs);
    if estimate.score() >= zxcvbn::Score::Three {
        return None;
    }
    let why = estimate
        .feedback()
        .and_then(|feedback| feedback.warning())
        .map(|warning| format!(" ({warning})"))
        .unwrap_or_default();
    Some(format!(
        "is too easy to guess{why}: use a few unrelated words, or a longer password"
    ))
}

/// A user as stored (without the password hash, which never leaves storage and login).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub group_id: GroupId,
    pub username: String,
    pub name: Option<String>,
    pub role: Role,
    pub security_officer: bool,
    pub kind: UserKind,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
    /// Until when logins are refused after too many failures (in the past: no longer).
    pub locked_until: Option<DateTime<Utc>>,
}

impl User {
    pub fn authority(&self) -> Authority {
        Authority {
            role: self.role,
            security_officer: self.security_officer,
        }
    }
}

/// A user to create, validated.
#[derive(Clone, Debug)]
pub struct NewUser {
    pub group_id: GroupId,
    pub username: Username,
    pub name: Option<String>,
    pub authority: Authority,
    pub kind: UserKind,
    /// The Argon2 hash of the password; `None` for API users, who never log in.
    pub password_hash: Option<String>,
}

/// The changes a PATCH asks for, validated field by field.
#[derive(Clone, Debug, Default)]
pub struct UserChanges {
    pub name: Option<Option<String>>,
    pub role: Option<Role>,
    pub security_officer: Option<bool>,
    pub password: PasswordChange,
}

/// What a PATCH does to a user's password.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum PasswordChange {
    #[default]
    Unchanged,
    /// A new password was asked for, and is not hashed yet: hashing is slow, so it waits until
    /// every rule about who may change what has passed.
    Asked,
    /// The new password's Argon2 hash; the user's sessions end with the old password.
    Hashed(String),
}

impl PasswordChange {
    pub fn is_change(&self) -> bool {
        !matches!(self, PasswordChange::Unchanged)
    }
}

fn forbidden(message: &str) -> DomainError {
    DomainError::Forbidden {
        message: message.to_owned(),
    }
}

/// Whether `actor` may give a new user `granted`: never a type above its own, and the Security
/// Officer flag only if it carries it itself.
pub fn check_grant(actor: &Actor, granted: Authority) -> Result<(), DomainError> {
    if actor.authority.may_grant(granted) {
        Ok(())
    } else if granted.role > actor.authority.role {
        Err(forbidden("you cannot grant an account type above your own"))
    } else {
        Err(forbidden(
            "only a Security Officer can grant the Security Officer flag",
        ))
    }
}

/// Whether `actor` may change or remove `target` at all (its password, tokens, flag, account):
/// not a user whose account type is above its own, and not a Security Officer unless the actor
/// is one too (otherwise resetting an officer's password would hand over the flag).
pub fn check_reach(actor: &Actor, target: &User) -> Result<(), DomainError> {
    if target.role > actor.authority.role {
        Err(forbidden(
            "you cannot change a user whose account type is above your own",
        ))
    } else if target.security_officer && !actor.authority.security_officer {
        Err(forbidden(
            "only a Security Officer can change another Security Officer",
        ))
    } else {
        Ok(())
    }
}

/// Whether `actor` may apply `changes` to `target`: within reach, and the resulting account type
/// and flag grantable by the actor (so nobody raises their own type or grants above their own).
pub fn check_user_change(
    actor: &Actor,
    target: &User,
    changes: &UserChanges,
) -> Result<Authority, DomainError> {
    check_reach(actor, target)?;
    let after = Authority::new(
        changes.role.unwrap_or(target.role),
        changes.security_officer.unwrap_or(target.security_officer),
    )?;
    if after != target.authority() {
        if target.id == actor.user_id && after.role > target.role {
            return Err(forbidden("you cannot raise your own account type"));
        }
        check_grant(actor, after)?;
    }
    Ok(after)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_email_addresses() {
        for good in [
            "a@b.co",
            "  Jane.Doe+backup@Example.COM ",
            "x@mail.example.org",
        ] {
            assert!(Username::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "   ",
            "jane",
            "@example.com",
            "jane@",
            "jane@example",
            "jane@.com",
            "jane@example.",
            "ja ne@example.com",
            "a@b@c.com",
            "jane\u{7}@example.com",
        ] {
            assert!(Username::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            Username::parse(" Jane@Example.com ").unwrap().key(),
            "jane@example.com"
        );
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(Username::parse(&long).is_err());
    }

    #[test]
    fn the_password_policy() {
        let user = Username::parse("Jane.Doe@example.com").unwrap();
        let check = |password: &str| check_password("password", password, &user, Some("Acme Ltd"));
        assert!(check("correct horse battery").is_ok());
        assert!(check("twelve chars").is_ok());
        assert!(check("short").is_err());
        assert!(check("elevenchars").is_err());
        assert!(check(&"x".repeat(257)).is_err());
        // The username, whole or its local part, and the group's name, anywhere in it.
        assert!(check("jane.doe@EXAMPLE.com").is_err());
        assert!(check("my name is Jane.Doe, hi").is_err());
        assert!(check("backups of ACME LTD rock").is_err());
        assert!(check("backups of acmeltd rock").is_err());
        assert!(check_password("password", "backups of acmeltd rock", &user, None).is_ok());
        let local = Username::parse("longusername1@example.com").unwrap();
        assert!(check_password("password", "LongUserName1", &local, None).is_err());
        // Common passwords and patterns, however long.
        for common in [
            "Password1234",
            "passwordpassword",
            "qwertyuiop123",
            "123456789012",
            "P@ssw0rd2024",
            "iloveyou12345",
            "trustno1trustno1",
        ] {
            let Err(DomainError::Validation(errors)) = check(common) else {
                panic!("{common} passed");
            };
            assert!(errors[0].message.contains("too easy to guess"), "{common}");
        }
        // A long password is judged by its start, and quickly.
        let started = std::time::Instant::now();
        assert!(check(&"ab1-".repeat(64)).is_err());
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
        let Err(DomainError::Validation(errors)) = check_password("new_password", "x", &user, None)
        else {
            panic!("expected a validation error");
        };
        assert_eq!(errors[0].field, "new_password");
    }

    fn user(id: i64, role: Role, officer: bool) -> User {
        let now = DateTime::UNIX_EPOCH;
        User {
            id: UserId(id),
            group_id: GroupId(1),
            username: format!("u{id}@example.com"),
            name: None,
            role,
            security_officer: officer,
            kind: UserKind::Interactive,
            version: 1,
            created_at: now,
            updated_at: now,
            last_login_at: None,
            locked_until: None,
        }
    }

    fn actor_of(user: &User) -> Actor {
        Actor {
            user_id: user.id,
            group_id: user.group_id,
            authority: user.authority(),
        }
    }

    #[test]
    fn nobody_raises_their_own_account_type() {
        let admin = user(1, Role::Administrator, false);
        let raise = UserChanges {
            role: Some(Role::SuperUser),
            ..UserChanges::default()
        };
        assert!(check_user_change(&actor_of(&admin), &admin, &raise).is_err());
        let officer = UserChanges {
            security_officer: Some(true),
            ..UserChanges::default()
        };
        assert!(check_user_change(&actor_of(&admin), &admin, &officer).is_err());
        let lower = UserChanges {
            role: Some(Role::Manager),
            ..UserChanges::default()
        };
        assert!(check_user_change(&actor_of(&admin), &admin, &lower).is_ok());
    }

    #[test]
    fn nobody_grants_or_reaches_above_their_own_type() {
        let admin = actor_of(&user(1, Role::Administrator, true));
        let operator = user(2, Role::Operator, false);
        let promote = |role| UserChanges {
            role: Some(role),
            ..UserChanges::default()
        };
        assert!(check_user_change(&admin, &operator, &promote(Role::Administrator)).is_ok());
        assert!(check_user_change(&admin, &operator, &promote(Role::SuperUser)).is_err());
        let superuser = user(3, Role::SuperUser, false);
        let rename = UserChanges {
            name: Some(Some("Boss".to_owned())),
            ..UserChanges::default()
        };
        assert!(check_user_change(&admin, &superuser, &rename).is_err());
        assert!(check_reach(&admin, &superuser).is_err());
        let plain_admin = actor_of(&user(6, Role::Administrator, false));
        let officer_peer = user(7, Role::Administrator, true);
        assert!(
            check_reach(&plain_admin, &officer_peer).is_err(),
            "a peer's flag is out of reach without the flag"
        );
        assert!(check_user_change(&plain_admin, &officer_peer, &rename).is_err());
        assert!(check_reach(&admin, &officer_peer).is_ok());
        assert!(check_grant(&admin, Authority::new(Role::SuperUser, false).unwrap()).is_err());
        assert!(check_grant(&admin, Authority::new(Role::Operator, true).unwrap()).is_ok());
        let plain = actor_of(&user(4, Role::SuperUser, false));
        assert!(check_grant(&plain, Authority::new(Role::Operator, true).unwrap()).is_err());
        let to_supporter_officer = UserChanges {
            role: Some(Role::Supporter),
            ..UserChanges::default()
        };
        let officer_operator = user(5, Role::Operator, true);
        assert!(
            check_user_change(&admin, &officer_operator, &to_supporter_officer).is_err(),
            "a Supporter cannot keep the Security Officer flag"
        );
    }
}
