//! `tenantry-server`: Tenantry's HTTP API server, and its `seed` chore.

mod auth;
mod caller;
mod command_tokens;
mod config;
mod console;
mod convert;
mod device_caller;
mod downloads;
mod error;
mod etag;
mod events;
mod extract;
mod group_csv;
mod mailer;
mod methods;
mod metrics;
mod origin;
mod plugins;
mod request_id;
mod rollup;
mod routes;
mod shutdown;
mod startup;
mod state;
mod text_guard;
mod ticker;

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
    /// List the web console's routes (method and path), one a line: what the isolation tests
    /// walk, beside the API's OpenAPI document.
    Routes,
    /// The configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Print the permission table as `docs/permissions.md` shows it: the core's actions, and
    /// those of the plugins the configuration enables (loaded to read their manifests).
    ///
    /// Example: `TENANTRY__PLUGINS__ENABLED=branding,crm tenantry-server permissions`
    Permissions,
    /// Copy the SQLite database to a new file while the server keeps running: a consistent
    /// snapshot (one read transaction, `VACUUM INTO`), written beside the destination and moved
    /// into place only when whole. For PostgreSQL use `pg_dump`.
    ///
    /// Example: `tenantry-server backup --to backups/tenantry-2026-12-07.db`. To restore, stop
    /// the server, put the copy in place of the database file, delete its `-wal` and `-shm`
    /// files, and start the server.
    Backup {
        /// The new file (it must not exist yet).
        #[arg(long)]
        to: std::path::PathBuf,
    },
    /// Create a large group tree under the root, in bulk (for benchmarks and trials at scale).
    ///
    /// Example: `tenantry-server seed --shape 10,10,10,110` creates 10 sub-distributors under a
    /// distributor root, 10 resellers under each, 10 end-customers under each of those and 110
    /// sites under each end-customer: 111,110 groups, in which every reseller heads 1,111.
    /// `--devices 100000` then adds 100,000 devices with 90 days of history.
    Seed {
        /// Children per parent, one number per generation, top first.
        #[arg(long, value_delimiter = ',', default_value = "10,10,10,110")]
        shape: Vec<usize>,
        /// The first word of every generated group's (and device's) name.
        #[arg(long, default_value = "Seed")]
        prefix: String,
        /// Devices to add, dealt round-robin over the new tree's leaf groups (and any older
        /// leaves), each with its status, sizes and last session.
        #[arg(long, default_value_t = 0)]
        devices: usize,
        /// Days of per-day history for each device that has reported, ending today.
        #[arg(long, default_value_t = 90)]
        history_days: u32,
        /// Days to roll up for charts, ending today (default: the history's days when devices are
        /// added, else none).
        #[arg(long)]
        rollup_days: Option<u32>,
        /// Give each device a credential and write `<device id> <credential>` lines to this
        /// file (what the session-report benchmark sends). Without it the devices have none.
        #[arg(long)]
        credentials: Option<std::path::PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Validate the configuration (defaults, TENANTRY_CONFIG, TENANTRY__… variables, secret
    /// files) and print the effective values, passwords masked. Exit code 2 when it is invalid.
    ///
    /// Example: `TENANTRY_CONFIG=config/docker.toml tenantry-server config check`
    Check,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::Routes) = cli.command {
        for (method, path) in console::ROUTES {
            println!("{} {path}", method.to_uppercase());
        }
        return ExitCode::SUCCESS;
    }
    let settings = match config::Settings::load() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("tenantry-server: configuration error: {error:#}");
            return ExitCode::from(2);
        }
    };
    if let Some(Command::Config(ConfigCommand::Check)) = cli.command {
        return match toml::to_string(&settings.masked()) {
            Ok(text) => {
                println!("# the configuration is valid; effective values:\n\n{text}");
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("tenantry-server: cannot print the configuration: {error}");
                ExitCode::FAILURE
            }
        };
    }
    init_logging(&settings.log.level);
    let outcome = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => startup::serve(settings),
        // Answered above, before logging starts (its output is the configuration only).
        Command::Config(_) | Command::Routes => Ok(()),
        Command::Permissions => startup::permissions(&settings),
        Command::Backup { to } => tenantry_storage::backup::sqlite_to(&settings.database.url, &to)
            .map(|bytes| println!("backed up {bytes} bytes to {}", to.display()))
            .map_err(anyhow::Error::from),
        Command::Seed {
            shape,
            prefix,
            devices,
            history_days,
            rollup_days,
            credentials,
        } => startup::seed(
            settings,
            startup::SeedPlan {
                shape,
                prefix,
                devices,
                history_days,
                rollup_days: rollup_days.unwrap_or(if devices > 0 { history_days } else { 0 }),
                credentials,
            },
        ),
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
