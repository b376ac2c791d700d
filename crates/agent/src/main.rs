//! `tenantry`, the admin agent: the command line an administrator or a script uses instead of
//! raw HTTP, and what a protected machine runs to join and report. It links `api-types` and an
//! HTTP client, never the database.

mod cells;
mod cli;
mod client;
mod commands;
mod error;
mod operations;
mod output;
mod profiles;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

fn main() -> ExitCode {
    // The hand-written commands (derived), a noun per group of table-driven operations, and
    // `api` for any route.
    let matches = cli::Cli::command()
        .subcommands(operations::commands())
        .subcommand(commands::api::command())
        .get_matches();
    let outcome = match matches.subcommand() {
        Some((noun, verbs)) if operations::is_noun(noun) => {
            commands::run_operation(&matches, noun, verbs)
        }
        Some(("api", args)) => commands::run_api(&matches, args),
        _ => match cli::Cli::from_arg_matches(&matches) {
            Ok(cli) => commands::run(&cli),
            Err(error) => error.exit(),
        },
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{error}");
            ExitCode::from(error.exit_code())
        }
    }
}
