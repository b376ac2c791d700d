//! Password hashing with Argon2id (the `argon2` crate's defaults: the OWASP-recommended
//! 19 MiB, 2 passes). Deliberately slow: always called off the async workers.
//!
//! Each hash works in 19 MiB of memory. Allocated per hash, that memory was freed into whichever
//! blocking thread's malloc arena ran it and never went back to the system: four clients logging
//! in without pause took the server from 76 MB to 1.9 GB. So the working memory is kept in a
//! small pool and reused: never more buffers than hashes run at once (`AppState::compute` allows
//! two per core), so it stays bounded at a few tens of MiB however long the logins go on.

use std::sync::{Mutex, OnceLock};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};

/// At most this many working memories are kept for reuse (one per concurrent hash; more than
/// `AppState::compute` ever runs at once on any machine this serves).
const KEPT_MEMORIES: usize = 64;

static MEMORIES: Mutex<Vec<Vec<Block>>> = Mutex::new(Vec::new());

/// Runs `work` with at least `blocks` blocks of working memory from the pool (or new), and puts
/// the memory back afterwards.
fn with_memory<T>(blocks: usize, work: impl FnOnce(&mut [Block]) -> T) -> T {
    let taken = MEMORIES
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .pop()
        .filter(|memory| memory.len() >= blocks);
    let mut memory = taken.unwrap_or_else(|| vec![Block::default(); blocks]);
    let answer = work(&mut memory[..blocks]);
    let mut kept = MEMORIES.lock().unwrap_or_else(|e| e.into_inner());
    if kept.len() < KEPT_MEMORIES {
        kept.push(memory);
    }
    answer
}

/// Argon2 into `out`, in pooled memory.
fn hash_into(
    argon: &Argon2<'_>,
    params: &Params,
    password: &str,
    salt: &[u8],
    out: &mut [u8],
) -> argon2::Result<()> {
    with_memory(params.block_count(), |memory| {
        argon.hash_password_into_with_memory(password.as_bytes(), salt, out, memory)
    })
}

/// The PHC string of a new password (salted, parameters included).
pub fn hash(password: &str) -> Result<String, String> {
    let failed = |e: &dyn std::fmt::Display| format!("cannot hash a password: {e}");
    let params = Params::default();
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt.decode_b64(&mut salt_bytes).map_err(|e| failed(&e))?;
    let output = Output::init_with(Params::DEFAULT_OUTPUT_LEN, |out| {
        hash_into(&argon, &params, password, salt_bytes, out)
            .map_err(|_| argon2::password_hash::Error::Crypto)
    })
    .map_err(|e| failed(&e))?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| failed(&e))?,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    };
    Ok(phc.to_string())
}

/// Whether `password` matches the stored hash. A stored hash that does not parse matches nothing.
pub fn verify(stored: &str, password: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    let (Some(expected), Some(salt)) = (parsed.hash, parsed.salt) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from).transpose() {
        Ok(version) => version.unwrap_or_default(),
        Err(_) => return false,
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return false;
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt_bytes) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let argon = Argon2::new(algorithm, version, params.clone());
    let computed = Output::init_with(expected.len(), |out| {
        hash_into(&argon, &params, password, salt_bytes, out)
            .map_err(|_| argon2::password_hash::Error::Crypto)
    });
    // `Output`'s comparison takes the same time wherever the two differ.
    computed.is_ok_and(|computed| computed == expected)
}

/// Spends the time of one verification when there is no account to verify against, so that an
/// unknown group or user answers in the same time as a wrong password.
pub fn verify_nothing(password: &str) {
    static DUMMY: OnceLock<Option<String>> = OnceLock::new();
    if let Some(dummy) = DUMMY.get_or_init(|| hash("a password nobody has").ok()) {
        verify(dummy, password);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_made_by_the_crates_own_hasher_verify_too() {
        use argon2::password_hash::PasswordHasher;
        let salt = SaltString::generate(&mut OsRng);
        let theirs = Argon2::default()
            .hash_password(b"correct horse battery staple", &salt)
            .unwrap()
            .to_string();
        assert!(verify(&theirs, "correct horse battery staple"));
        assert!(!verify(&theirs, "correct horse battery stapler"));
        // And ours read like theirs.
        let ours = hash("correct horse battery staple").unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        use argon2::password_hash::PasswordVerifier;
        assert!(
            Argon2::default()
                .verify_password(b"correct horse battery staple", &parsed)
                .is_ok()
        );
    }

    #[test]
    fn working_memory_is_reused_not_grown() {
        for _ in 0..5 {
            assert!(!verify(&hash("one two three four").unwrap(), "wrong"));
        }
        let kept = MEMORIES.lock().unwrap().len();
        assert!((1..=8).contains(&kept), "{kept} memories kept");
    }

    #[test]
    fn hashes_verify_their_password_only() {
        let stored = hash("correct horse battery staple").unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify(&stored, "correct horse battery staple"));
        assert!(!verify(&stored, "Correct horse battery staple"));
        assert!(!verify("not a hash", "anything"));
        assert_ne!(
            stored,
            hash("correct horse battery staple").unwrap(),
            "salted"
        );
    }
}
