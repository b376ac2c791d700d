//! `groups company get|set`: a group's company profile. The API replaces the profile whole;
//! `set` reads it, changes the fields given and writes it back conditionally (`If-Match`), so
//! that a change someone made in between is refused rather than overwritten.

use serde_json::{Value, json};

use crate::cli::{Cli, Company};
use crate::client::Client;
use crate::error::AgentError;
use crate::output::{self, Format};

pub fn run(cli: &Cli, client: &Client, command: &Company) -> Result<(), AgentError> {
    let (id, profile) = match command {
        Company::Get { id } => (*id, client.get(&format!("/groups/{id}/company"))?),
        Company::Set(set) => {
            let given = set.given();
            if given.is_empty() {
                return Err(AgentError::Usage(
                    "nothing to change: give at least one field (see --help)".to_owned(),
                ));
            }
            let path = format!("/groups/{}/company", set.id);
            let (mut profile, etag) = client.exchange("GET", &path, None, None)?;
            if let Some(fields) = profile.as_object_mut() {
                for (name, value) in given {
                    let value = if value.is_empty() {
                        Value::Null
                    } else {
                        json!(value)
                    };
                    fields.insert(name.to_owned(), value);
                }
            }
            let (saved, _) = client.exchange("PUT", &path, Some(&profile), etag.as_deref())?;
            (set.id, saved)
        }
    };
    match cli.output {
        Format::Json => output::print(cli.output, &profile, &[]),
        format => {
            // One row per field: a profile has too many for one line.
            let rows: Vec<Value> = profile
                .as_object()
                .into_iter()
                .flatten()
                .map(|(field, value)| json!({"field": field, "value": value}))
                .collect();
            output::print(
                format,
                &json!({"items": rows}),
                &[("FIELD", "field"), ("VALUE", "value")],
            );
            if format == Format::Table {
                eprintln!("(company profile of group {id})");
            }
        }
    }
    Ok(())
}
