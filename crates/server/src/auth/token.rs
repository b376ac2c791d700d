//! Bearer tokens: 256 random bits, shown once; only their SHA-256 is stored. (A fast hash is
//! right here: unlike passwords, the tokens carry full entropy, so there is nothing to guess.)

use sha2::{Digest, Sha256};

/// Every token starts with this, so that a leaked one is recognisable (secret scanners, logs).
const PREFIX: &str = "tnt_";

/// A new token and the hash to store for it.
pub fn generate() -> Result<(String, String), String> {
    generate_with_prefix(PREFIX)
}

/// A device's credential (`tdv_…`: told apart from users' tokens at a glance) and its hash.
pub fn generate_device_credential() -> Result<(String, String), String> {
    generate_with_prefix("tdv_")
}

pub fn generate_with_prefix(prefix: &str) -> Result<(String, String), String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| format!("no randomness for a token: {e}"))?;
    let token = format!("{prefix}{}", hex(&bytes));
    let hash = hash(&token);
    Ok((token, hash))
}

/// The stored form of a presented token.
pub fn hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// A random password for the bootstrap administrator: 24 characters from a 56-letter alphabet
/// without look-alikes (well over 128 bits).
pub fn random_password() -> Result<String, String> {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes).map_err(|e| format!("no randomness for a password: {e}"))?;
    Ok(bytes
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect())
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_stored_as_their_hash() {
        let (token, stored) = generate().unwrap();
        let (other, _) = generate().unwrap();
        assert_ne!(token, other);
        assert!(token.starts_with(PREFIX));
        assert_eq!(token.len(), PREFIX.len() + 64);
        assert_eq!(stored, hash(&token));
        assert_eq!(stored.len(), 64);
        assert_ne!(stored, token);
    }

    #[test]
    fn random_passwords_meet_the_policy() {
        let password = random_password().unwrap();
        assert_eq!(password.chars().count(), 24);
        assert_ne!(password, random_password().unwrap());
    }
}
