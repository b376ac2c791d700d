//! Credentials: password hashes, bearer tokens, and the in-memory cache of checked tokens.

pub mod cache;
pub mod password;
pub mod token;
