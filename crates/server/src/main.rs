//! `tenantry-server`: Tenantry's HTTP API server, and its `seed` chore.

mod auth;
mod caller;
mod config;
mod convert;
mod device_caller;
mod downloads;
mod error;
mod etag;
mod events;
mod extract;
mod plugins;
mod routes;
mod startup;
mod state;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Tenantry, the multi-tenant backup management console: HTTP API server.
///
/// Configuration comes from config/default.toml (built in), the file named by TENANTRY_CONFIG,
/// and TENANTRY__SECTION__KEY environment variables, in that order.
#[derive(Debug, Parser)]
#[command(name = "tenantry-server", version)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the HTTP API (what runs when no command is given).
    Serve,
    /// Create a large group tree under the root, in bulk (for benchmarks and trials at scale).
    ///
    /// Example: `tenantry-server seed --shape 10,10,10,110` creates 10 sub-distributors under a
    /// distributor root, 10 resellers under each, 10 end-customers under each of those and 110
    /// sites under each end-customer: 111,110 groups, in which every reseller heads 1,111.
    Seed {
        /// Children per parent, one number per generation, top first.
        #[arg(long, value_delimiter = ',', default_value = "10,10,10,110")]
        shape: Vec<usize>,
        /// The first word of every generated group's name.
        #[arg(long, default_value = "Seed")]
        prefix: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match config::Settings::load() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("tenantry-server: configuration error: {error:#}");
            return ExitCode::from(2);
        }
    };
    init_logging(&settings.log.level);
    let outcome = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => startup::serve(settings),
        Command::Seed { shape, prefix } => startup::seed(settings, &shape, &prefix),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            log::error!("{error:#}");
            eprintln!("tenantry-server: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(level: &str) {
    let filters = std::env::var("RUST_LOG").unwrap_or_else(|_| level.to_owned());
    env_logger::Builder::new()
        .parse_filters(&filters)
        .format_timestamp_millis()
        .init();
}
