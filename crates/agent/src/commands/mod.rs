//! One module per noun; this one dispatches and finds the server and the credentials.

pub mod api;
mod auth;
mod company;
mod device;
mod groups;

use clap::ArgMatches;

use crate::cli::{Cli, Command};
use crate::client::Client;
use crate::error::AgentError;
use crate::operations;
use crate::output::Format;
use crate::profiles::Store;

pub fn run(cli: &Cli) -> Result<(), AgentError> {
    match &cli.command {
        Command::Login(login) => auth::login(cli, login),
        Command::Logout => auth::logout(cli),
        Command::Groups(command) => {
            groups::run(cli, command).map_err(|e| saved_login_ended(e, &cli.profile))
        }
        Command::Device(command) => device::run(cli, command),
        Command::Operations => {
            let mut text = operations::coverage().join("\n");
            text.push('\n');
            crate::output::emit(&text);
            Ok(())
        }
        Command::Completions { shell } => {
            use clap::CommandFactory;
            let mut command = Cli::command()
                .subcommands(operations::commands())
                .subcommand(api::command());
            let mut script = Vec::new();
            clap_complete::generate(*shell, &mut command, "tenantry", &mut script);
            crate::output::emit(&String::from_utf8_lossy(&script));
            Ok(())
        }
    }
}

/// A 401 to the profile's saved login (not to a token from `TENANTRY_TOKEN`) says to log in again.
fn saved_login_ended(error: AgentError, profile: &str) -> AgentError {
    let saved = env("TENANTRY_TOKEN").is_none()
        && Store::load().is_ok_and(|store| {
            store
                .profiles
                .get(profile)
                .is_some_and(|p| !p.token.is_empty())
        });
    if saved {
        error.with_login_hint(profile)
    } else {
        error
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// `tenantry <noun> <verb>` of the operations table, with the global options given.
pub fn run_operation(
    matches: &ArgMatches,
    noun: &str,
    verbs: &ArgMatches,
) -> Result<(), AgentError> {
    with_admin(matches, |client, format| {
        operations::run(client, format, noun, verbs)
    })
}

/// `tenantry api METHOD PATH`, with the global options given.
pub fn run_api(matches: &ArgMatches, args: &ArgMatches) -> Result<(), AgentError> {
    with_admin(matches, |client, format| api::run(client, format, args))
}

/// Runs a command given by matches (not derived) as the profile's admin; what it showed of a
/// group keeps the profile's group name current.
fn with_admin(
    matches: &ArgMatches,
    command: impl FnOnce(&Client, Format) -> Result<Option<serde_json::Value>, AgentError>,
) -> Result<(), AgentError> {
    let profile = matches
        .get_one::<String>("profile")
        .cloned()
        .unwrap_or_else(|| "default".to_owned());
    let verbose = matches.get_flag("verbose");
    let format = matches
        .get_one::<Format>("output")
        .copied()
        .unwrap_or_default();
    let client = admin_of(&profile, verbose)?;
    let answer = command(&client, format).map_err(|e| saved_login_ended(e, &profile))?;
    if let Some(answer) = answer {
        follow_group(&profile, &answer);
    }
    Ok(())
}

/// Keeps the profile's group name current when an answer shows the group renamed. Best effort:
/// the command itself succeeded, whatever happens to the profile file.
fn follow_group(profile: &str, answer: &serde_json::Value) {
    if env("TENANTRY_TOKEN").is_some() {
        return;
    }
    let Ok(mut store) = Store::load() else {
        return;
    };
    // Only from the profile's own server (TENANTRY_SERVER may point elsewhere).
    let elsewhere = |p: &crate::profiles::Profile| {
        env("TENANTRY_SERVER").is_some_and(|server| !auth::same_server(&server, &p.server))
    };
    if store
        .profiles
        .get_mut(profile)
        .filter(|p| !elsewhere(p))
        .is_some_and(|p| p.learn(answer))
        && let Err(error) = store.save()
    {
        eprintln!("warning: the profile keeps the group's old name: {error}");
    }
}

/// A client for an admin command: `TENANTRY_SERVER`/`TENANTRY_TOKEN` where set (scripts, API
/// tokens), else the profile's login; `TENANTRY_SERVER` alone for the unauthenticated endpoints.
fn admin(cli: &Cli) -> Result<Client, AgentError> {
    admin_of(&cli.profile, cli.verbose)
}

fn admin_of(profile_name: &str, verbose: bool) -> Result<Client, AgentError> {
    let cli_profile = profile_name;
    let store = Store::load()?;
    let profile = store.profiles.get(cli_profile);
    let server = env("TENANTRY_SERVER").or_else(|| profile.map(|p| p.server.clone()));
    // A profile logged out keeps its server, group and user, but no token.
    let token = env("TENANTRY_TOKEN").or_else(|| {
        profile
            .map(|p| p.token.clone())
            .filter(|token| !token.is_empty())
    });
    match (server, token) {
        (Some(server), Some(token)) => Ok(Client::new(&server, Some(token), verbose)),
        // A server without a login: enough for what needs none (`server ready` as a container's
        // health check); anything else gets the server's own 401.
        (Some(server), None) if env("TENANTRY_SERVER").is_some() => {
            Ok(Client::new(&server, None, verbose))
        }
        _ => Err(AgentError::NotLoggedIn(format!(
            "not logged in (profile {cli_profile:?}): run `tenantry login`, or set TENANTRY_SERVER and TENANTRY_TOKEN"
        ))),
    }
}
