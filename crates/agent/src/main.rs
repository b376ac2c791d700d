//! `tenantry`, the admin agent: the command line an administrator or a script uses instead of
//! raw HTTP, and what a protected machine runs to join and report. It links `api-types` and an
//! HTTP client, never the database.

mod cli;
mod client;
mod commands;
mod error;
mod output;
mod profiles;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match commands::run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{error}");
            ExitCode::from(error.exit_code())
        }
    }
}
