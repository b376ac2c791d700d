//! `tenantry api METHOD PATH`: any route of the server, by its address, for what has no command
//! of its own — above all a plugin from outside this repository, whose routes the agent cannot
//! know when it is built. Bodies, query parameters, output formats and downloads work as in the
//! table-driven commands.

use clap::{Arg, ArgMatches, Command};

use crate::client::Client;
use crate::error::AgentError;
use crate::operations;
use crate::output::Format;

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/// The subcommand, beside the table's nouns.
pub fn command() -> Command {
    Command::new("api")
        .about("Any route of the server by its address (a plugin's from elsewhere, say)")
        .after_help(
            "The path is under /api/v1 (which may be written or left out). A body is sent when \
             --set or --file is given.\n\nExamples:\n  tenantry api GET /groups/12/notes\n  \
             tenantry api POST /groups/12/notes --set text=\"Call back\" --set pinned=true\n  \
             tenantry api DELETE /groups/12/notes/3\n  \
             tenantry api GET /groups/12/charts/used_bytes --query period=30d --out chart.json",
        )
        .arg(
            Arg::new("method")
                .required(true)
                .value_parser(clap::builder::PossibleValuesParser::new(METHODS))
                .ignore_case(true)
                .help("GET, POST, PUT, PATCH or DELETE"),
        )
        .arg(
            Arg::new("path")
                .required(true)
                .help("e.g. /groups/12/notes"),
        )
        .args(operations::body_args())
        .arg(operations::query_arg())
        .arg(
            Arg::new("out")
                .long("out")
                .value_name("FILE")
                .help("Save the answer's bytes as they come (`-` for standard output)"),
        )
}

/// Runs `tenantry api …`; answers what the server showed, for what the agent learns from it.
pub fn run(
    client: &Client,
    format: Format,
    args: &ArgMatches,
) -> Result<Option<serde_json::Value>, AgentError> {
    let method = args
        .get_one::<String>("method")
        .map(|m| m.to_ascii_uppercase())
        .unwrap_or_default();
    let path = api_path(args.get_one::<String>("path").map_or("", String::as_str))?;
    let query = operations::query_of(args)?;
    let path = if query.is_empty() {
        path
    } else {
        format!("{path}?{}", query.join("&"))
    };
    if let Some(out) = args.get_one::<String>("out") {
        if method != "GET" {
            return Err(AgentError::Usage("--out saves a GET's answer".to_owned()));
        }
        return operations::save(out, &client.bytes(&path, "*/*")?).map(|()| None);
    }
    let given = args.contains_id("file") || args.get_many::<String>("set").is_some();
    let body = given.then(|| operations::body(args)).transpose()?;
    let answer = client.call(&method, &path, body.as_ref())?;
    if answer.is_null() {
        eprintln!("done");
        return Ok(None);
    }
    operations::show(client, format, &answer);
    Ok(Some(answer))
}

/// The path under `/api/v1`, as the client wants it.
fn api_path(given: &str) -> Result<String, AgentError> {
    let path = given.strip_prefix("/api/v1").unwrap_or(given);
    if !path.starts_with('/') || path.contains(['?', '#']) || path.contains(char::is_whitespace) {
        return Err(AgentError::Usage(format!(
            "{given:?}: a path such as /groups/12/notes (query parameters go in --query)"
        )));
    }
    Ok(path.to_owned())
}

#[cfg(test)]
mod tests {
    use super::api_path;

    #[test]
    fn paths_are_taken_with_or_without_the_api_prefix() {
        assert_eq!(
            api_path("/groups/1/notes").ok().as_deref(),
            Some("/groups/1/notes")
        );
        assert_eq!(
            api_path("/api/v1/groups/1/notes").ok().as_deref(),
            Some("/groups/1/notes")
        );
        for wrong in ["groups/1", "/groups/1?x=1", "/groups/ 1", ""] {
            assert!(api_path(wrong).is_err(), "{wrong}");
        }
    }
}
