//! `login` and `logout`.

use std::io::{BufRead, IsTerminal, Write};

use serde_json::{Value, json};

use crate::cli::{Cli, Login};
use crate::client::Client;
use crate::error::AgentError;
use crate::profiles::{Profile, Store};

pub fn login(cli: &Cli, login: &Login) -> Result<(), AgentError> {
    let mut store = Store::load()?;
    // What is not given comes from the profile's last login: `tenantry login` alone logs in
    // again as before. Never another server's group and user: a different --server starts over.
    let saved = store.profiles.get(&cli.profile).filter(|p| {
        login
            .server
            .as_ref()
            .is_none_or(|s| same_server(s, &p.server))
    });
    let given = |flag: &Option<String>, kept: Option<&String>, name: &str| {
        flag.clone().or_else(|| kept.cloned()).ok_or_else(|| {
            AgentError::Usage(format!(
                "--{name} is needed: profile {:?} has not logged in before",
                cli.profile
            ))
        })
    };
    let server = given(&login.server, saved.map(|p| &p.server), "server")?;
    let group = given(&login.group, saved.map(|p| &p.group), "group")?;
    let user = given(&login.user, saved.map(|p| &p.user), "user")?;
    let password = if login.password_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| AgentError::Local(format!("cannot read the password: {e}")))?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    } else {
        prompt_password()?
    };
    let client = Client::new(&server, None, cli.verbose);
    let answer = client.call(
        "POST",
        "/auth/login",
        Some(&json!({"group": group, "username": user, "password": password})),
    )?;
    let token = answer
        .get("token")
        .and_then(Value::as_str)
        .ok_or_else(|| AgentError::Transport("the login answer has no token".to_owned()))?;
    store.profiles.insert(
        cli.profile.clone(),
        Profile {
            server: client.server().to_owned(),
            token: token.to_owned(),
            group: group.clone(),
            user: user.clone(),
            group_id: answer["user"]["group_id"].as_i64(),
        },
    );
    store.save()?;
    eprintln!(
        "logged in to {} as {user} ({group}); profile {:?}",
        client.server(),
        cli.profile
    );
    Ok(())
}

/// Whether two spellings of a server's address name the same server (`/` at the end or not).
pub fn same_server(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

/// Reads a password from the terminal without echoing it.
fn prompt_password() -> Result<String, AgentError> {
    if !std::io::stdin().is_terminal() {
        return Err(AgentError::Usage(
            "no terminal to ask for the password: use --password-stdin".to_owned(),
        ));
    }
    eprint!("Password: ");
    let _ = std::io::stderr().flush();
    // `stty -echo` for the one line: no extra crate for a prompt.
    let stty = |arg: &str| {
        std::process::Command::new("stty")
            .arg(arg)
            .stdin(std::process::Stdio::inherit())
            .status()
    };
    let _ = stty("-echo");
    let mut line = String::new();
    let read = std::io::stdin().lock().read_line(&mut line);
    let _ = stty("echo");
    eprintln!();
    read.map_err(|e| AgentError::Local(format!("cannot read the password: {e}")))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

pub fn logout(cli: &Cli) -> Result<(), AgentError> {
    let mut store = Store::load()?;
    // The session is forgotten; the server, group and user stay, for `tenantry login` alone.
    let Some(profile) = store
        .profiles
        .get_mut(&cli.profile)
        .filter(|p| !p.token.is_empty())
    else {
        return Err(AgentError::Usage(format!(
            "profile {:?} is not logged in",
            cli.profile
        )));
    };
    let token = std::mem::take(&mut profile.token);
    let server = profile.server.clone();
    let client = Client::new(&server, Some(token), cli.verbose);
    // Forgotten here whatever the server says: an expired session is as good as ended.
    let ended = client.call("POST", "/auth/logout", None);
    store.save()?;
    match ended {
        Ok(_) | Err(AgentError::Api { status: 401, .. }) => {
            eprintln!("logged out of {server}");
            Ok(())
        }
        Err(error) => Err(error),
    }
}
