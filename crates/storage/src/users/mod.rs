//! Users and their credentials: accounts scoped to a group's subtree like everything else, the
//! records login needs, sessions and API tokens (kept only as hashes).

mod read;
mod row;
mod sessions;
mod write;

pub use read::{LoginRecord, for_login, get, has_users, list, password_hash};
pub use sessions::{
    ApiToken, AuthSession, SessionKind, authenticate, create_api_token, list_api_tokens,
    revoke_api_token, revoke_session, start_session, touch_session,
};
pub use write::{create, create_first, delete, record_attempt, unlock, update};
