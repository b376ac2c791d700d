//! Every API operation the hand-written commands (`login`, `groups …`, `device …`) do not
//! cover, as `tenantry <noun> <verb>`: one row of a table each, so that a new endpoint is one new
//! row, and a test holds the table (with the hand-written commands' operations) against the
//! server's OpenAPI document. Path parameters are positional arguments; a body is built from
//! `--set key=value` (dotted keys nest; values that read as JSON are JSON) over `--file`.

use std::io::Read;

use clap::{Arg, ArgAction, ArgMatches, Command};
use serde_json::{Map, Value, json};

use crate::client::Client;
use crate::error::AgentError;
use crate::output::{self, Format};

/// How a verb's answer comes and goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A JSON answer (an object, or nothing).
    One,
    /// A list of `items`, followed through its cursors.
    List,
    /// A JSON body from `--set`/`--file`.
    Body,
    /// Bytes to save with `--out FILE` (an installer, an image, a chart).
    Download,
    /// An image uploaded from `--image FILE` (PNG or SVG).
    Upload,
}

#[derive(Debug)]
pub struct Operation {
    pub noun: &'static str,
    pub verb: &'static str,
    pub method: &'static str,
    pub path: &'static str,
    pub kind: Kind,
    pub about: &'static str,
}

const fn op(
    noun: &'static str,
    verb: &'static str,
    method: &'static str,
    path: &'static str,
    kind: Kind,
    about: &'static str,
) -> Operation {
    Operation {
        noun,
        verb,
        method,
        path,
        kind,
        about,
    }
}

use Kind::{Body, Download, List, One, Upload};

pub const OPERATIONS: &[Operation] = &[
    op(
        "me",
        "show",
        "GET",
        "/me",
        One,
        "Who you are, your group, and what you may do",
    ),
    op(
        "plugins",
        "list",
        "GET",
        "/plugins",
        One,
        "The plugins this installation loaded",
    ),
    op(
        "users",
        "list",
        "GET",
        "/groups/{id}/users",
        List,
        "A group's users",
    ),
    op(
        "users",
        "add",
        "POST",
        "/groups/{id}/users",
        Body,
        "Add a user: --set username=… --set role=… --set password=…",
    ),
    op("users", "get", "GET", "/users/{id}", One, "One user"),
    op(
        "users",
        "edit",
        "PATCH",
        "/users/{id}",
        Body,
        "Change a user (only the fields set)",
    ),
    op("users", "rm", "DELETE", "/users/{id}", One, "Remove a user"),
    op(
        "users",
        "unlock",
        "POST",
        "/users/{id}/unlock",
        One,
        "Lift a user's lockout after too many failed logins",
    ),
    op(
        "tokens",
        "list",
        "GET",
        "/users/{id}/tokens",
        One,
        "An API user's tokens",
    ),
    op(
        "tokens",
        "add",
        "POST",
        "/users/{id}/tokens",
        Body,
        "Issue an API token (shown once): --set name=…",
    ),
    op(
        "tokens",
        "rm",
        "DELETE",
        "/users/{id}/tokens/{token_id}",
        One,
        "Revoke an API token",
    ),
    op(
        "devices",
        "list",
        "GET",
        "/groups/{id}/devices",
        List,
        "A group's devices (--query descendants=true for its subtree)",
    ),
    op(
        "devices",
        "add",
        "POST",
        "/groups/{id}/devices",
        Body,
        "Add a device: --set name=… --set os=…",
    ),
    op("devices", "get", "GET", "/devices/{id}", One, "One device"),
    op(
        "devices",
        "edit",
        "PATCH",
        "/devices/{id}",
        Body,
        "Change or move a device",
    ),
    op(
        "devices",
        "rm",
        "DELETE",
        "/devices/{id}",
        One,
        "Remove a device",
    ),
    op(
        "devices",
        "history",
        "GET",
        "/devices/{id}/history",
        One,
        "A device's sessions per day",
    ),
    op(
        "devices",
        "passphrase",
        "POST",
        "/devices/{id}/passphrase",
        Body,
        "Generate the device's encryption passphrase (shown once); one it has is kept unless \
         --set replace=true (backups made with it can only be restored with it)",
    ),
    op(
        "deployment-tokens",
        "list",
        "GET",
        "/groups/{id}/deployment-tokens",
        One,
        "A group's Quick Installation tokens",
    ),
    op(
        "deployment-tokens",
        "add",
        "POST",
        "/groups/{id}/deployment-tokens",
        Body,
        "Issue a deployment token (shown once)",
    ),
    op(
        "deployment-tokens",
        "rm",
        "DELETE",
        "/groups/{id}/deployment-tokens/{tid}",
        One,
        "Revoke a deployment token",
    ),
    op(
        "downloads",
        "list",
        "GET",
        "/groups/{id}/downloads",
        One,
        "The installers offered, with install commands",
    ),
    op(
        "downloads",
        "get",
        "GET",
        "/groups/{id}/downloads/{os}/{file}",
        Download,
        "Download an installer: --out FILE",
    ),
    op(
        "profiles",
        "list",
        "GET",
        "/groups/{id}/profiles",
        List,
        "Backup profiles a group may use",
    ),
    op(
        "profiles",
        "add",
        "POST",
        "/groups/{id}/profiles",
        Body,
        "Create a backup profile (--file profile.json)",
    ),
    op(
        "profiles",
        "get",
        "GET",
        "/profiles/{id}",
        One,
        "One backup profile",
    ),
    op(
        "profiles",
        "edit",
        "PATCH",
        "/profiles/{id}",
        Body,
        "Change a backup profile",
    ),
    op(
        "profiles",
        "rm",
        "DELETE",
        "/profiles/{id}",
        One,
        "Remove a backup profile",
    ),
    op(
        "policies",
        "list",
        "GET",
        "/groups/{id}/retention-policies",
        List,
        "Retention policies a group may use",
    ),
    op(
        "policies",
        "add",
        "POST",
        "/groups/{id}/retention-policies",
        Body,
        "Create a retention policy (--file policy.json)",
    ),
    op(
        "policies",
        "get",
        "GET",
        "/retention-policies/{id}",
        One,
        "One retention policy",
    ),
    op(
        "policies",
        "edit",
        "PATCH",
        "/retention-policies/{id}",
        Body,
        "Change a retention policy",
    ),
    op(
        "policies",
        "rm",
        "DELETE",
        "/retention-policies/{id}",
        One,
        "Remove a retention policy",
    ),
    op(
        "defaults",
        "get",
        "GET",
        "/groups/{id}/backup-defaults",
        One,
        "A group's default backup profile and retention policy: its own, and those in effect",
    ),
    op(
        "defaults",
        "set",
        "PATCH",
        "/groups/{id}/backup-defaults",
        Body,
        "Set the profile or policy devices added in the group get (--set profile_id=N; null inherits)",
    ),
    op(
        "branding",
        "get",
        "GET",
        "/groups/{id}/branding",
        One,
        "A group's own branding values",
    ),
    op(
        "branding",
        "set",
        "PATCH",
        "/groups/{id}/branding",
        Body,
        "Change the branding values given (--set field=value; field= or null inherits again); the others stay. Takes `branding get -o json` output as --file",
    ),
    op(
        "branding",
        "replace",
        "PUT",
        "/groups/{id}/branding",
        Body,
        "Replace all of a group's branding values: fields not given inherit again",
    ),
    op(
        "branding",
        "reset",
        "DELETE",
        "/groups/{id}/branding",
        One,
        "Remove a group's branding (inherit again)",
    ),
    op(
        "branding",
        "effective",
        "GET",
        "/groups/{id}/branding/effective",
        One,
        "The branding a group shows, and where each value comes from",
    ),
    op(
        "branding",
        "fields",
        "GET",
        "/groups/{id}/branding/fields",
        List,
        "Each branding field and image as the group shows it, and where it comes from",
    ),
    op(
        "branding",
        "reset-field",
        "DELETE",
        "/groups/{id}/branding/values/{field}",
        One,
        "Reset one of the group's own values or images (company_name, …, logo): it inherits again",
    ),
    op(
        "branding",
        "get-logo",
        "GET",
        "/groups/{id}/branding/logo",
        Download,
        "Save the logo: --out FILE",
    ),
    op(
        "branding",
        "set-logo",
        "PUT",
        "/groups/{id}/branding/logo",
        Upload,
        "Upload a logo: --image FILE (PNG or SVG)",
    ),
    op(
        "branding",
        "get-favicon",
        "GET",
        "/groups/{id}/branding/favicon",
        Download,
        "Save the favicon: --out FILE",
    ),
    op(
        "branding",
        "set-favicon",
        "PUT",
        "/groups/{id}/branding/favicon",
        Upload,
        "Upload a favicon: --image FILE",
    ),
    op(
        "contacts",
        "list",
        "GET",
        "/groups/{id}/contacts",
        List,
        "A group's CRM contacts",
    ),
    op(
        "contacts",
        "add",
        "POST",
        "/groups/{id}/contacts",
        Body,
        "Add a contact: --set name=… --set type=billing --set email=…",
    ),
    op(
        "contacts",
        "get",
        "GET",
        "/groups/{id}/contacts/{cid}",
        One,
        "One contact",
    ),
    op(
        "contacts",
        "edit",
        "PATCH",
        "/groups/{id}/contacts/{cid}",
        Body,
        "Change a contact",
    ),
    op(
        "contacts",
        "rm",
        "DELETE",
        "/groups/{id}/contacts/{cid}",
        One,
        "Remove a contact",
    ),
    op(
        "activities",
        "list",
        "GET",
        "/groups/{id}/activities",
        List,
        "A group's CRM activities (--query when=upcoming)",
    ),
    op(
        "activities",
        "add",
        "POST",
        "/groups/{id}/activities",
        Body,
        "Log an activity: --set kind=call --set subject=… --set when=…",
    ),
    op(
        "activities",
        "get",
        "GET",
        "/groups/{id}/activities/{aid}",
        One,
        "One activity",
    ),
    op(
        "activities",
        "edit",
        "PATCH",
        "/groups/{id}/activities/{aid}",
        Body,
        "Change an activity",
    ),
    op(
        "activities",
        "rm",
        "DELETE",
        "/groups/{id}/activities/{aid}",
        One,
        "Remove an activity",
    ),
    op(
        "crm",
        "summary",
        "GET",
        "/groups/{id}/crm",
        One,
        "A group's last and next activity",
    ),
    op(
        "charts",
        "get",
        "GET",
        "/groups/{id}/charts/{metric}",
        One,
        "A metric per day (--query from=… --query to=…); as SVG: charts svg",
    ),
    op(
        "charts",
        "svg",
        "GET",
        "/groups/{id}/charts/{metric}",
        Download,
        "A chart as SVG: --out FILE",
    ),
    op(
        "reports",
        "list",
        "GET",
        "/groups/{id}/scheduled-reports",
        List,
        "A group's scheduled reports",
    ),
    op(
        "reports",
        "add",
        "POST",
        "/groups/{id}/scheduled-reports",
        Body,
        "Schedule a report (--file report.json, or --set …)",
    ),
    op(
        "reports",
        "get",
        "GET",
        "/groups/{id}/scheduled-reports/{rid}",
        One,
        "One scheduled report",
    ),
    op(
        "reports",
        "set",
        "PUT",
        "/groups/{id}/scheduled-reports/{rid}",
        Body,
        "Replace a scheduled report's definition",
    ),
    op(
        "reports",
        "rm",
        "DELETE",
        "/groups/{id}/scheduled-reports/{rid}",
        One,
        "Remove a scheduled report",
    ),
    op(
        "reports",
        "run",
        "POST",
        "/groups/{id}/scheduled-reports/{rid}/run",
        One,
        "Send a report now",
    ),
    op(
        "reports",
        "runs",
        "GET",
        "/groups/{id}/scheduled-reports/{rid}/runs",
        List,
        "A report's messages: when, to whom, outcome",
    ),
    op(
        "reports",
        "enable",
        "POST",
        "/groups/{id}/scheduled-reports/{rid}/enable",
        One,
        "Enable a report: it runs again on its schedule",
    ),
    op(
        "reports",
        "disable",
        "POST",
        "/groups/{id}/scheduled-reports/{rid}/disable",
        One,
        "Disable a report: it keeps its definition and does not run",
    ),
    op(
        "server",
        "health",
        "GET",
        "/healthz",
        One,
        "Whether the server process is up",
    ),
    op(
        "server",
        "ready",
        "GET",
        "/readyz",
        One,
        "Whether the server can serve (database reachable, plugins loaded)",
    ),
    op(
        "server",
        "metrics",
        "GET",
        "/metrics",
        Download,
        "Prometheus metrics: --out FILE (- for the terminal)",
    ),
];

/// Paths served outside `/api/v1`.
pub const OUTSIDE_API: [&str; 3] = ["/healthz", "/readyz", "/metrics"];

/// What a download asks for: a chart is JSON unless SVG is asked for (`charts svg` once saved
/// JSON into chart.svg); installers and images come as they are.
fn accept(operation: &Operation) -> &'static str {
    match operation.path {
        "/groups/{id}/charts/{metric}" => "image/svg+xml",
        _ => "*/*",
    }
}

/// Every operation the agent makes, as `METHOD PATH` (full paths) with its command: what
/// `tenantry operations` prints and the coverage test compares with the OpenAPI document.
pub fn coverage() -> Vec<String> {
    let full = |path: &str| {
        if OUTSIDE_API.contains(&path) {
            path.to_owned()
        } else {
            format!("/api/v1{path}")
        }
    };
    let mut lines: Vec<String> = HANDWRITTEN
        .iter()
        .map(|(command, method, path)| format!("{method} {}  {command}", full(path)))
        .chain(
            OPERATIONS
                .iter()
                .map(|o| format!("{} {}  {} {}", o.method, full(o.path), o.noun, o.verb)),
        )
        .collect();
    lines.sort();
    lines
}

/// The operations the hand-written commands make, for the coverage listing.
pub const HANDWRITTEN: &[(&str, &str, &str)] = &[
    ("login", "POST", "/auth/login"),
    ("logout", "POST", "/auth/logout"),
    ("groups add", "POST", "/groups"),
    ("groups get", "GET", "/groups/{id}"),
    ("groups edit, groups mv", "PATCH", "/groups/{id}"),
    ("groups rm", "DELETE", "/groups/{id}"),
    (
        "groups list, groups tree",
        "GET",
        "/groups/{id}/descendants",
    ),
    ("groups tree", "GET", "/groups/{id}/device-counts"),
    ("groups children", "GET", "/groups/{id}/children"),
    ("groups ancestors", "GET", "/groups/{id}/ancestors"),
    ("groups modules", "GET", "/groups/{id}/modules"),
    ("groups company get", "GET", "/groups/{id}/company"),
    ("groups company set", "PUT", "/groups/{id}/company"),
    ("groups import", "POST", "/groups/{id}/import"),
    ("groups export", "GET", "/groups/{id}/export"),
    ("device enroll", "POST", "/enroll"),
    ("device report", "POST", "/devices/{id}/sessions"),
];

/// The nouns of the table, as subcommands of `tenantry`.
pub fn commands() -> Vec<Command> {
    let mut nouns: Vec<&str> = OPERATIONS.iter().map(|o| o.noun).collect();
    nouns.dedup();
    nouns
        .into_iter()
        .map(|noun| {
            let verbs: Vec<Command> = OPERATIONS
                .iter()
                .filter(|o| o.noun == noun)
                .map(verb)
                .collect();
            // A noun with one verb that takes nothing (`tenantry me`) runs it when named alone.
            let alone = verbs.len() == 1 && verbs[0].get_arguments().all(|a| !a.is_required_set());
            Command::new(noun)
                .about(format!("{noun}: {}", verbs_of(noun)))
                .subcommand_required(!alone)
                .arg_required_else_help(!alone)
                .subcommands(verbs)
        })
        .collect()
}

pub fn is_noun(name: &str) -> bool {
    OPERATIONS.iter().any(|o| o.noun == name)
}

fn verbs_of(noun: &str) -> String {
    OPERATIONS
        .iter()
        .filter(|o| o.noun == noun)
        .map(|o| o.verb)
        .collect::<Vec<_>>()
        .join(", ")
}

fn parameters(path: &str) -> Vec<&str> {
    path.split('/')
        .filter_map(|part| part.strip_prefix('{').and_then(|p| p.strip_suffix('}')))
        .collect()
}

fn verb(operation: &Operation) -> Command {
    let mut command = Command::new(operation.verb)
        .about(operation.about)
        .after_help(format!(
            "{} /api/v1{}\nExample:\n  tenantry {} {} {}{}",
            operation.method,
            operation.path,
            operation.noun,
            operation.verb,
            parameters(operation.path)
                .iter()
                .map(|p| format!("<{p}>"))
                .collect::<Vec<_>>()
                .join(" "),
            match operation.kind {
                Body => " --set name=Example",
                Download => " --out FILE",
                Upload => " --image logo.png",
                List => " -o csv",
                One => "",
            }
        ));
    for name in parameters(operation.path) {
        command = command.arg(Arg::new(name).required(true).help(format!("{{{name}}}")));
    }
    command = command.arg(query_arg());
    match operation.kind {
        Body => {
            command = command.args(body_args());
        }
        List => {
            command = command.arg(
                Arg::new("limit")
                    .long("limit")
                    .value_parser(clap::value_parser!(usize))
                    .help("At most this many (default: all)"),
            );
        }
        Download => {
            command = command.arg(
                Arg::new("out")
                    .long("out")
                    .value_name("FILE")
                    .required(true)
                    .help("Where to save it (`-` for standard output)"),
            );
        }
        Upload => {
            command = command.arg(
                Arg::new("image")
                    .long("image")
                    .value_name("FILE")
                    .required(true)
                    .help("A PNG or SVG file"),
            );
        }
        One => {}
    }
    command
}

/// `--query KEY=VALUE`, repeated.
pub fn query_arg() -> Arg {
    Arg::new("query")
        .long("query")
        .value_name("KEY=VALUE")
        .action(ArgAction::Append)
        .help("A query parameter (filters, from/to, …)")
}

/// `--set KEY=VALUE` (repeated) over `--file FILE`: a JSON body.
pub fn body_args() -> [Arg; 2] {
    [
        Arg::new("set")
            .long("set")
            .value_name("KEY=VALUE")
            .action(ArgAction::Append)
            .help("A body field; dotted keys nest (schedule.at=07:00); JSON values are JSON"),
        Arg::new("file")
            .long("file")
            .value_name("FILE")
            .help("The JSON body, or `-` for standard input; --set applies over it"),
    ]
}

/// The `--query` pairs, encoded.
pub fn query_of(args: &ArgMatches) -> Result<Vec<String>, AgentError> {
    // `try_`: a noun named alone (`tenantry me`) brings its own matches, without the verb's options.
    args.try_get_many::<String>("query")
        .ok()
        .flatten()
        .into_iter()
        .flatten()
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) => Ok(format!("{}={}", encode(k), encode(v))),
            None => Err(AgentError::Usage(format!(
                "--query wants KEY=VALUE, not {pair:?}"
            ))),
        })
        .collect()
}

/// Runs `tenantry <noun> <verb> …`.
/// Runs one operation and shows its answer; answers the JSON it showed of one thing (a group,
/// the caller), for what the agent learns from it.
pub fn run(
    client: &Client,
    format: Format,
    noun: &str,
    matches: &ArgMatches,
) -> Result<Option<Value>, AgentError> {
    let only = OPERATIONS.iter().filter(|o| o.noun == noun).count() == 1;
    let (verb, args) = match matches.subcommand() {
        Some(chosen) => chosen,
        None if only => match OPERATIONS.iter().find(|o| o.noun == noun) {
            Some(operation) => (operation.verb, matches),
            None => return Err(AgentError::Usage(format!("no such command: {noun}"))),
        },
        None => {
            return Err(AgentError::Usage(format!(
                "{noun}: which? {}",
                verbs_of(noun)
            )));
        }
    };
    let operation = OPERATIONS
        .iter()
        .find(|o| o.noun == noun && o.verb == verb)
        .ok_or_else(|| AgentError::Usage(format!("no such command: {noun} {verb}")))?;
    let mut path = operation.path.to_owned();
    for name in parameters(operation.path) {
        let value = args
            .try_get_one::<String>(name)
            .ok()
            .flatten()
            .cloned()
            .unwrap_or_default();
        path = path.replace(&format!("{{{name}}}"), &encode(&value));
    }
    let query = query_of(args)?;
    if !query.is_empty() {
        path = format!("{path}?{}", query.join("&"));
    }
    match operation.kind {
        One if OUTSIDE_API.contains(&operation.path) => {
            show(
                client,
                format,
                &client.call_outside_api(operation.method, &path)?,
            );
        }
        One => {
            let answer = client.call(operation.method, &path, None)?;
            if answer.is_null() {
                eprintln!("done");
                return Ok(None);
            }
            show(client, format, &answer);
            return Ok(Some(answer));
        }
        List => {
            let limit = args.try_get_one::<usize>("limit").ok().flatten().copied();
            let answer = client.list(&path, limit)?;
            show(client, format, &answer);
        }
        Body => {
            let body = fed_back(operation, body(args)?);
            let answer = client.call(operation.method, &path, Some(&body))?;
            show(client, format, &answer);
            return Ok(Some(answer));
        }
        Download => {
            let bytes = if OUTSIDE_API.contains(&operation.path) {
                client.bytes_outside_api(&path)?
            } else {
                client.bytes(&path, accept(operation))?
            };
            let out = args.get_one::<String>("out").cloned().unwrap_or_default();
            save(&out, &bytes)?;
        }
        Upload => {
            let file = args.get_one::<String>("image").cloned().unwrap_or_default();
            let bytes = std::fs::read(&file)
                .map_err(|e| AgentError::Local(format!("cannot read {file}: {e}")))?;
            let content_type = if file.to_ascii_lowercase().ends_with(".svg") {
                "image/svg+xml"
            } else {
                "image/png"
            };
            let answer = client.upload(operation.method, &path, content_type, &bytes)?;
            show(client, format, &answer);
        }
    }
    Ok(None)
}

/// A list as rows, one object as a row per field, JSON as it came. Nested objects spread into
/// dotted columns; tables (not CSV) show sizes, times and group names for people (`cells`).
pub fn show(client: &Client, format: Format, answer: &Value) {
    if format == Format::Json {
        return output::print(format, answer, &[]);
    }
    let flat = |value: &Value| {
        value
            .as_object()
            .map(crate::cells::flatten)
            .unwrap_or_default()
    };
    let items: Option<Vec<Vec<(String, Value)>>> = answer
        .get("items")
        .and_then(Value::as_array)
        .map(|items| items.iter().map(flat).collect());
    let rows_of = |items: &[Vec<(String, Value)>]| -> (Vec<String>, Vec<Vec<Value>>) {
        let mut fields: Vec<String> = Vec::new();
        for item in items {
            for (key, _) in item {
                if !fields.contains(key) {
                    fields.push(key.clone());
                }
            }
        }
        let rows = items
            .iter()
            .map(|item| {
                fields
                    .iter()
                    .map(|f| {
                        item.iter()
                            .find(|(k, _)| k == f)
                            .map_or(Value::Null, |(_, v)| v.clone())
                    })
                    .collect()
            })
            .collect();
        (fields, rows)
    };
    let (headings, rows): (Vec<String>, Vec<Vec<(String, Value)>>) = match &items {
        Some(items) => {
            let (fields, rows) = rows_of(items);
            let rows = rows
                .into_iter()
                .map(|row| fields.iter().cloned().zip(row).collect())
                .collect();
            (fields, rows)
        }
        None => (
            vec!["field".to_owned(), "value".to_owned()],
            flat(answer)
                .into_iter()
                .map(|(key, value)| {
                    vec![
                        ("field".to_owned(), Value::String(key.clone())),
                        (key, value),
                    ]
                })
                .collect(),
        ),
    };
    if format == Format::Csv {
        let cells: Vec<Vec<String>> = rows
            .iter()
            .map(|row| row.iter().map(|(_, v)| text(Some(v))).collect())
            .collect();
        return output::emit(&output::csv(&headings, &cells));
    }
    let names = group_names(client, rows.iter().flatten());
    let now = chrono::Utc::now();
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            row.iter()
                .map(|(field, value)| crate::cells::human(field, value, now, &names))
                .collect()
        })
        .collect();
    let headings: Vec<String> = headings.iter().map(|h| h.to_uppercase()).collect();
    output::emit(&output::table(&headings, &cells));
}

/// The names of the groups a table names by id (at most 25 looked up; any the caller cannot
/// read stay ids).
fn group_names<'a>(
    client: &Client,
    cells: impl Iterator<Item = &'a (String, Value)>,
) -> crate::cells::GroupNames {
    let mut ids: Vec<i64> = cells
        .filter(|(field, _)| crate::cells::is_group(field.rsplit('.').next().unwrap_or(field)))
        .filter_map(|(_, value)| value.as_i64())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let mut names = crate::cells::GroupNames::default();
    for id in ids.into_iter().take(25) {
        if let Ok(group) = client.get(&format!("/groups/{id}"))
            && let Some(name) = group.get("name").and_then(Value::as_str)
        {
            names.insert(id, name.to_owned());
        }
    }
    names
}

fn text(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// The body: `--file` (or `{}`), then each `--set`.
pub fn body(args: &ArgMatches) -> Result<Value, AgentError> {
    let mut body = match args.get_one::<String>("file") {
        None => Value::Object(Map::new()),
        Some(file) => {
            let text = if file == "-" {
                let mut text = String::new();
                std::io::stdin()
                    .read_to_string(&mut text)
                    .map_err(|e| AgentError::Local(format!("cannot read standard input: {e}")))?;
                text
            } else {
                std::fs::read_to_string(file)
                    .map_err(|e| AgentError::Local(format!("cannot read {file}: {e}")))?
            };
            serde_json::from_str(&text)
                .map_err(|e| AgentError::Usage(format!("{file} is not JSON: {e}")))?
        }
    };
    for pair in args.get_many::<String>("set").into_iter().flatten() {
        let (key, raw) = pair
            .split_once('=')
            .ok_or_else(|| AgentError::Usage(format!("--set wants KEY=VALUE, not {pair:?}")))?;
        set(&mut body, key, parse_value(raw))?;
    }
    Ok(body)
}

/// A group's branding as `branding get -o json` shows it has its fields under `values`, beside
/// what cannot be set that way (the group, the images): fed back to `branding set|replace`, the
/// values are the body.
fn fed_back(operation: &Operation, mut body: Value) -> Value {
    if operation.path == "/groups/{id}/branding"
        && body.get("group_id").is_some()
        && body.get("values").is_some_and(Value::is_object)
    {
        let mut values = body["values"].take();
        // Fields `--set` added beside the view go over its values.
        if let (Some(values), Some(view)) = (values.as_object_mut(), body.as_object()) {
            for (key, value) in view {
                if !matches!(key.as_str(), "group_id" | "values" | "logo" | "favicon") {
                    values.insert(key.clone(), value.clone());
                }
            }
        }
        return values;
    }
    body
}

/// A value as JSON where it reads as JSON (`7`, `true`, `null`, `["a"]`), else as text.
fn parse_value(raw: &str) -> Value {
    serde_json::from_str(raw).unwrap_or_else(|_| json!(raw))
}

/// Sets a dotted key (`schedule.at`) in an object, creating the objects on the way.
fn set(body: &mut Value, key: &str, value: Value) -> Result<(), AgentError> {
    let mut at = body;
    let parts: Vec<&str> = key.split('.').collect();
    for (i, part) in parts.iter().enumerate() {
        let object = at.as_object_mut().ok_or_else(|| {
            AgentError::Usage(format!(
                "--set {key}: {part} is inside a value that is not an object"
            ))
        })?;
        if i + 1 == parts.len() {
            object.insert((*part).to_owned(), value);
            return Ok(());
        }
        at = object
            .entry((*part).to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
    }
    Ok(())
}

/// Saves bytes the server sent to a file, or to stdout for `-`.
pub fn save(out: &str, bytes: &[u8]) -> Result<(), AgentError> {
    if out == "-" {
        crate::output::emit_bytes(bytes);
        return Ok(());
    }
    std::fs::write(out, bytes)
        .map_err(|e| AgentError::Local(format!("cannot write {out}: {e}")))?;
    eprintln!("saved {} bytes to {out}", bytes.len());
    Ok(())
}

/// Percent-encodes a path or query part.
pub fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_builds_nested_json_bodies() {
        let mut body = json!({"title": "t"});
        set(&mut body, "schedule.at", parse_value("07:00")).unwrap();
        set(&mut body, "schedule.day", parse_value("1")).unwrap();
        set(
            &mut body,
            "recipients.emails",
            parse_value(r#"["a@b.example"]"#),
        )
        .unwrap();
        set(&mut body, "enabled", parse_value("false")).unwrap();
        assert_eq!(
            body,
            json!({"title": "t", "enabled": false,
                   "schedule": {"at": "07:00", "day": 1},
                   "recipients": {"emails": ["a@b.example"]}})
        );
        assert!(set(&mut body, "title.x", json!(1)).is_err());
    }

    #[test]
    fn every_verb_is_unique_and_its_parameters_are_named() {
        let mut seen = std::collections::HashSet::new();
        for o in OPERATIONS {
            assert!(seen.insert((o.noun, o.verb)), "{} {} twice", o.noun, o.verb);
        }
        assert_eq!(parameters("/groups/{id}/contacts/{cid}"), ["id", "cid"]);
        assert_eq!(encode("a b/c"), "a%20b%2Fc");
    }
}
