//! `groups …`: the customer tree.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use crate::cli::{Cli, EditGroup, GroupProperties, Groups};
use crate::client::Client;
use crate::error::AgentError;
use crate::operations::{encode, save};
use crate::output::{self, Column, Format};

const GROUP_COLUMNS: [Column; 6] = [
    ("ID", "id"),
    ("PARENT", "parent_id"),
    ("NAME", "name"),
    ("LEVEL", "level"),
    ("STATE", "state"),
    ("SERVICE", "service_type"),
];

pub fn run(cli: &Cli, command: &Groups) -> Result<(), AgentError> {
    let client = super::admin(cli)?;
    let show = |answer: &Value| {
        output::print(cli.output, answer, &GROUP_COLUMNS);
        super::follow_group(&cli.profile, answer);
    };
    match command {
        Groups::Tree { id, depth } => tree(cli, &client, *id, *depth),
        Groups::List {
            id,
            level,
            name,
            limit,
        } => {
            let top = top_of(&client, *id)?;
            let mut path = format!("/groups/{top}/descendants");
            let mut filters = Vec::new();
            if let Some(level) = level {
                filters.push(format!("level={}", encode(level)));
            }
            if let Some(name) = name {
                filters.push(format!("name={}", encode(name)));
            }
            if !filters.is_empty() {
                path = format!("{path}?{}", filters.join("&"));
            }
            show(&client.list(&path, *limit)?);
            Ok(())
        }
        Groups::Children { id, limit } => {
            show(&client.list(&format!("/groups/{id}/children"), *limit)?);
            Ok(())
        }
        Groups::Ancestors { id } => {
            show(&client.get(&format!("/groups/{id}/ancestors"))?);
            Ok(())
        }
        Groups::Get { id } => {
            show(&client.get(&format!("/groups/{id}"))?);
            Ok(())
        }
        Groups::Add(add) => {
            let mut body = Map::new();
            body.insert("name".into(), json!(add.name));
            body.insert("parent_id".into(), json!(add.parent));
            body.insert("level".into(), json!(add.level));
            properties(&mut body, &add.properties);
            show(&client.call("POST", "/groups", Some(&Value::Object(body)))?);
            Ok(())
        }
        Groups::Edit(edit) => {
            let body = edit_body(edit);
            if body.is_empty() {
                return Err(AgentError::Usage(
                    "nothing to change: give at least one of --name, --level, --service-type, \
                     --state, --customer-reference, --automatic-deployment"
                        .to_owned(),
                ));
            }
            show(&client.call(
                "PATCH",
                &format!("/groups/{}", edit.id),
                Some(&Value::Object(body)),
            )?);
            Ok(())
        }
        Groups::Mv { id, to } => {
            show(&client.call(
                "PATCH",
                &format!("/groups/{id}"),
                Some(&json!({"parent_id": to})),
            )?);
            Ok(())
        }
        Groups::Rm { id } => {
            client.call("DELETE", &format!("/groups/{id}"), None)?;
            if cli.output != Format::Json {
                eprintln!("removed group {id}");
            }
            Ok(())
        }
        Groups::Company(command) => super::company::run(cli, &client, command),
        Groups::Import {
            file,
            into,
            dry_run,
        } => import(cli, &client, file, *into, *dry_run),
        Groups::Export { id, out } => {
            let top = top_of(&client, *id)?;
            save(
                out,
                &client.bytes(&format!("/groups/{top}/export"), "text/csv")?,
            )
        }
        Groups::Modules { id } => {
            let answer = client.get(&format!("/groups/{id}/modules"))?;
            match cli.output {
                Format::Json => output::print(cli.output, &answer, &[]),
                _ => {
                    let items =
                        json!({"items": answer.get("modules").cloned().unwrap_or_default()});
                    output::print(
                        cli.output,
                        &items,
                        &[
                            ("MODULE", "module"),
                            ("TITLE", "title"),
                            ("AVAILABLE", "available"),
                        ],
                    );
                }
            }
            Ok(())
        }
    }
}

fn optional(body: &mut Map<String, Value>, key: &str, value: &Option<String>) {
    if let Some(value) = value {
        body.insert(key.to_owned(), json!(value));
    }
}

fn edit_body(edit: &EditGroup) -> Map<String, Value> {
    let mut body = Map::new();
    optional(&mut body, "name", &edit.name);
    optional(&mut body, "level", &edit.level);
    properties(&mut body, &edit.properties);
    body
}

/// The properties given, into a body (an empty customer reference clears it).
fn properties(body: &mut Map<String, Value>, given: &GroupProperties) {
    optional(body, "service_type", &given.service_type);
    optional(body, "state", &given.state);
    if let Some(reference) = &given.customer_reference {
        let value = if reference.is_empty() {
            Value::Null
        } else {
            json!(reference)
        };
        body.insert("customer_reference".into(), value);
    }
    if let Some(on) = given.automatic_deployment {
        body.insert("automatic_deployment".into(), json!(on));
    }
}

/// Sends a customer-tree file; the server checks every row and answers every problem at once.
fn import(
    cli: &Cli,
    client: &Client,
    file: &str,
    into: Option<i64>,
    dry_run: bool,
) -> Result<(), AgentError> {
    let bytes = if file == "-" {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes)
            .map_err(|e| AgentError::Local(format!("cannot read stdin: {e}")))?;
        bytes
    } else {
        std::fs::read(file).map_err(|e| AgentError::Local(format!("cannot read {file}: {e}")))?
    };
    let top = top_of(client, into)?;
    let path = format!("/groups/{top}/import?dry_run={dry_run}");
    let answer = client.upload("POST", &path, "text/csv", &bytes)?;
    let created = answer.get("created").and_then(Value::as_u64).unwrap_or(0);
    let groups = json!({"items": answer.get("groups").cloned().unwrap_or_default()});
    output::print(
        cli.output,
        if cli.output == Format::Json {
            &answer
        } else {
            &groups
        },
        &[
            ("LINE", "line"),
            ("ID", "id"),
            ("PARENT", "parent_id"),
            ("NAME", "name"),
            ("LEVEL", "level"),
        ],
    );
    if cli.output != Format::Json {
        if dry_run {
            eprintln!("dry run: every row is fine; {created} groups would be created");
        } else {
            eprintln!("created {created} groups");
        }
    }
    Ok(())
}

/// The group a command starts from: the one given, else the caller's own.
fn top_of(client: &Client, id: Option<i64>) -> Result<i64, AgentError> {
    if let Some(id) = id {
        return Ok(id);
    }
    client
        .get("/me")?
        .pointer("/group/id")
        .and_then(Value::as_i64)
        .ok_or_else(|| AgentError::Transport("`/me` names no group".to_owned()))
}

/// The tree below a group: each group with its depth and the devices of its whole subtree.
fn tree(
    cli: &Cli,
    client: &Client,
    id: Option<i64>,
    depth: Option<usize>,
) -> Result<(), AgentError> {
    // Your own group comes with `/me`: no second request for it.
    let top = match id {
        Some(id) => client.get(&format!("/groups/{id}"))?,
        None => client.get("/me")?.get("group").cloned().unwrap_or_default(),
    };
    let top_id = top.get("id").and_then(Value::as_i64).unwrap_or_default();
    let below = client.list(&format!("/groups/{top_id}/descendants"), None)?;
    // Each group's own devices, in one request however many there are.
    let own = client.get(&format!("/groups/{top_id}/device-counts"))?;
    let mut groups: Vec<Value> = vec![top];
    groups.extend(
        below
            .get("items")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
    );
    let id_of = |g: &Value| g.get("id").and_then(Value::as_i64).unwrap_or_default();
    let parent_of = |g: &Value| g.get("parent_id").and_then(Value::as_i64);
    // Descendants come in tree order: a parent before its children.
    let mut depth_of: HashMap<i64, usize> = HashMap::new();
    for group in &groups {
        let depth = parent_of(group)
            .and_then(|p| depth_of.get(&p))
            .map_or(0, |d| d + 1);
        depth_of.insert(id_of(group), if id_of(group) == top_id { 0 } else { depth });
    }
    let parents: HashMap<i64, Option<i64>> =
        groups.iter().map(|g| (id_of(g), parent_of(g))).collect();
    let mut counts: HashMap<i64, i64> = HashMap::new();
    for count in own
        .get("items")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        // A group's devices count for it and every group above it, up to the top.
        let devices = count.get("devices").and_then(Value::as_i64).unwrap_or(0);
        let mut at = count.get("group_id").and_then(Value::as_i64);
        while let Some(group) = at {
            *counts.entry(group).or_default() += devices;
            at = if group == top_id {
                None
            } else {
                parents.get(&group).copied().flatten()
            };
        }
    }
    let rows: Vec<Value> = groups
        .iter()
        .filter(|g| depth.is_none_or(|max| depth_of.get(&id_of(g)).copied().unwrap_or(0) <= max))
        .map(|g| {
            json!({
                "id": id_of(g),
                "parent_id": if id_of(g) == top_id { Value::Null } else { json!(parent_of(g)) },
                "depth": depth_of.get(&id_of(g)).copied().unwrap_or(0),
                "name": g.get("name").cloned().unwrap_or_default(),
                "level": g.get("level").cloned().unwrap_or_default(),
                "state": g.get("state").cloned().unwrap_or_default(),
                "devices": counts.get(&id_of(g)).copied().unwrap_or(0),
            })
        })
        .collect();
    match cli.output {
        Format::Table => {
            let mut text = String::new();
            for row in &rows {
                let indent = "  ".repeat(row["depth"].as_u64().unwrap_or(0) as usize);
                text.push_str(&format!(
                    "{indent}{}  ({}, {} devices)  #{}\n",
                    row["name"].as_str().unwrap_or_default(),
                    row["level"].as_str().unwrap_or_default(),
                    row["devices"],
                    row["id"]
                ));
            }
            output::emit(&text);
        }
        format => output::print(
            format,
            &json!({"items": rows}),
            &[
                ("id", "id"),
                ("parent_id", "parent_id"),
                ("depth", "depth"),
                ("name", "name"),
                ("level", "level"),
                ("state", "state"),
                ("devices", "devices"),
            ],
        ),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(encode("Acme & Co"), "Acme%20%26%20Co");
        assert_eq!(encode("end_customer"), "end_customer");
    }
}
