//! Credentials: password hashes, bearer tokens, the in-memory cache of checked tokens, and
//! what slows guessing (per source address, and for accounts that do not exist).

pub mod cache;
pub mod password;
pub mod throttle;
pub mod token;
pub mod unknown;
