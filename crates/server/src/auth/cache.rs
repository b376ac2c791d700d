//! Checked tokens, kept in memory for a few seconds so that a request does not pay a database
//! round trip to learn who sent it. The cost: a token revoked on another replica keeps working
//! there for at most `auth.session_cache_seconds`. On the server that handles a logout, a
//! revocation or a change to users or the tree, the cache is emptied at once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tenantry_storage::users::AuthSession;

/// Beyond this many live tokens the cache starts over rather than grow without bound.
const MAX_ENTRIES: usize = 100_000;

#[derive(Debug)]
pub struct SessionCache {
    ttl: Duration,
    entries: Mutex<Entries>,
}

#[derive(Debug, Default)]
struct Entries {
    map: HashMap<String, Entry>,
    /// Bumped by every `clear`: a session read from the database before a clear is not put
    /// back after it (it may be the very session the clear was for).
    generation: u64,
}

/// The cache's generation when a database read began (see [`SessionCache::generation`]).
#[derive(Clone, Copy, Debug)]
pub struct Generation(u64);

#[derive(Debug)]
struct Entry {
    session: Arc<AuthSession>,
    checked_at: Instant,
}

impl SessionCache {
    pub fn new(ttl: Duration) -> SessionCache {
        SessionCache {
            ttl,
            entries: Mutex::new(Entries::default()),
        }
    }

    /// The session behind a token hash, if it was checked recently and has not expired since.
    pub fn get(&self, token_hash: &str, now: DateTime<Utc>) -> Option<Arc<AuthSession>> {
        if self.ttl.is_zero() {
            return None;
        }
        let entries = self.entries.lock().ok()?;
        let entry = entries.map.get(token_hash)?;
        let session = &entry.session;
        let live = entry.checked_at.elapsed() < self.ttl
            && now < session.expires_at
            && session.idle_expires_at.is_none_or(|idle| now < idle);
        live.then(|| Arc::clone(session))
    }

    /// Taken before reading a session from the database, and handed to [`SessionCache::put`].
    pub fn generation(&self) -> Generation {
        Generation(self.entries.lock().map_or(0, |e| e.generation))
    }

    /// Keeps a session read from the database, unless the cache was cleared since `read_at`.
    pub fn put(&self, token_hash: String, session: Arc<AuthSession>, read_at: Generation) {
        if self.ttl.is_zero() {
            return;
        }
        if let Ok(mut entries) = self.entries.lock() {
            if entries.generation != read_at.0 {
                return;
            }
            if entries.map.len() >= MAX_ENTRIES {
                entries.map.clear();
            }
            entries.map.insert(
                token_hash,
                Entry {
                    session,
                    checked_at: Instant::now(),
                },
            );
        }
    }

    /// Forgets every checked token: after anything that may end a session or change what a
    /// caller may see (logout, revocation, a user changed or removed, a group moved or removed).
    pub fn clear(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.map.clear();
            entries.generation += 1;
        }
    }
}
