//! The end-to-end harness: start the real `tenantry-server` binary on 127.0.0.1 with an
//! ephemeral port and a database of its own, and talk to it over HTTP.
//!
//! Backend: a fresh SQLite file per server by default; a fresh PostgreSQL database per server
//! when `TENANTRY_TEST_POSTGRES_URL` names a server to create them on (e.g.
//! `postgres://root@127.0.0.1:5432/postgres`).

pub mod clock;
mod database;
mod http;
mod scratch;
mod server;
mod smtp;

pub use database::TestDatabase;
pub use http::Reply;
pub use scratch::Scratch;
pub use server::{
    ADMIN_EMAIL, ADMIN_PASSWORD, As, ROOT_NAME, TestServer, USER_PASSWORD, agent_binary,
    binary as server_binary, downloads_dir, plugins_dir,
};
pub use smtp::{SmtpSink, attachment};

/// Which backend this test run uses (for messages and backend-specific assertions).
pub fn on_postgres() -> bool {
    std::env::var_os("TENANTRY_TEST_POSTGRES_URL").is_some()
}
