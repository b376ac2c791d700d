//! One module per noun; this one dispatches and finds the server and the credentials.

mod auth;
mod company;
mod device;
mod groups;

use crate::cli::{Cli, Command};
use crate::client::Client;
use crate::error::AgentError;
use crate::profiles::Store;

pub fn run(cli: &Cli) -> Result<(), AgentError> {
    match &cli.command {
        Command::Login(login) => auth::login(cli, login),
        Command::Logout => auth::logout(cli),
        Command::Groups(command) => groups::run(cli, command),
        Command::Device(command) => device::run(cli, command),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            let mut command = Cli::command();
            clap_complete::generate(*shell, &mut command, "tenantry", &mut std::io::stdout());
            Ok(())
        }
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// A client for an admin command: `TENANTRY_SERVER`/`TENANTRY_TOKEN` where set (scripts, API
/// tokens), else the profile's login.
fn admin(cli: &Cli) -> Result<Client, AgentError> {
    let store = Store::load()?;
    let profile = store.profiles.get(&cli.profile);
    let server = env("TENANTRY_SERVER").or_else(|| profile.map(|p| p.server.clone()));
    let token = env("TENANTRY_TOKEN").or_else(|| profile.map(|p| p.token.clone()));
    match (server, token) {
        (Some(server), Some(token)) => Ok(Client::new(&server, Some(token), cli.verbose)),
        _ => Err(AgentError::Usage(format!(
            "not logged in (profile {:?}): run `tenantry login`, or set TENANTRY_SERVER and TENANTRY_TOKEN",
            cli.profile
        ))),
    }
}
