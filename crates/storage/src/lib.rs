//! Tenantry's storage: one code base over SQLite (the embedded default) and PostgreSQL.
//!
//! The backend is chosen from the database URL's scheme. Reads go through [`Storage::read`];
//! every change goes through [`Storage::write`], which hands out a [`Writer`]: the only way to
//! reach the functions that change data, so a change can't run outside a write transaction.

/// Runs one diesel expression on whichever backend the connection is, for what diesel's
/// multi-backend connection cannot build itself (`RETURNING`, upserts, batch inserts, raw loads):
/// the same query, written once, as Vaultwarden's `db_run!`. Queries whose SQL differs per
/// backend live in `dialect.rs`; nothing else matches on the backend (`.ci/architecture`).
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConnection::Sqlite($c) => $body,
            $crate::db::DbConnection::Pg($c) => $body,
        }
    };
}

pub mod backup;
pub mod backup_defaults;
pub mod data_steps;
mod db;
pub mod devices;
mod dialect;
mod error;
pub mod groups;
pub mod housekeeping;
pub mod known_plugins;
pub mod migrations;
pub mod outbox;
mod page;
pub mod plugin_records;
mod schema;
pub mod seed;
pub mod settings;
pub mod stats;
pub mod users;

pub use db::{Backend, DbConnection, PoolSettings, PoolUsage, Storage, Writer};
pub use error::StoreError;
pub use page::{Cursor, DEFAULT_PAGE, MAX_PAGE, Page, PageRequest};

/// The current time at the precision both backends keep (microseconds), so that what a change
/// returns is exactly what a later read returns.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    use chrono::SubsecRound;
    chrono::Utc::now().trunc_subsecs(6)
}
