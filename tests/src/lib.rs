//! The end-to-end harness: start the real `tenantry-server` binary on 127.0.0.1 with an
//! ephemeral port and a database of its own, and talk to it over HTTP.
//!
//! Backend: a fresh SQLite file per server by default; a fresh PostgreSQL database per server
//! when `TENANTRY_TEST_POSTGRES_URL` names a server to create them on (e.g.
//! `postgres://root@127.0.0.1:5432/postgres`).
// Tests may unwrap and expect: a panic there is a failed assertion (server code may not:
// the workspace lints deny both).
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod clock;
pub mod console;
mod database;
mod http;
mod scratch;
mod server;
mod smtp;

pub use database::TestDatabase;
pub use http::Reply;
pub use scratch::Scratch;
pub use server::{
    ADMIN_EMAIL, ADMIN_PASSWORD, As, FILE_SIZE_LIMIT_KB, PLUGINS, ROOT_NAME, TestServer,
    USER_PASSWORD, agent_binary, binary as server_binary, downloads_dir, plugins_dir,
};
pub use smtp::{SmtpSink, attachment};

/// Which backend this test run uses (for messages and backend-specific assertions).
pub fn on_postgres() -> bool {
    std::env::var_os("TENANTRY_TEST_POSTGRES_URL").is_some()
}

/// A file or folder of the repository, by its path from the repository's root (the deployment
/// files the tests hold the code to).
pub fn repository_path(relative: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(relative)
}

/// The text of a repository file (see [`repository_path`]).
pub fn repository_file(relative: &str) -> String {
    let path = repository_path(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
