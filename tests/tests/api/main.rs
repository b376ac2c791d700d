//! The HTTP API, end to end: each test starts the real server on a fresh database.
//! The tree of files follows the routes: `groups/create.rs` is `POST /api/v1/groups`, …
// Tests may unwrap and expect: a panic there is a failed assertion (server code may not:
// the workspace lints deny both).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod auth;
mod crash;
mod deployment;
mod devices;
mod downloads;
mod fuzz;
mod groups;
mod health;
mod housekeeping;
mod isolation;
mod observability;
mod permissions;
mod plugins;
mod races;
mod seed;
mod server;
mod settings;
mod users;
