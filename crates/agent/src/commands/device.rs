//! `device …`: what a protected machine runs. `enroll` joins a group with a deployment token
//! (Quick Installation) and keeps the device's credential in the profile store; `report` sends
//! a finished backup session with that credential.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::cli::{Cli, Device};
use crate::client::Client;
use crate::error::AgentError;
use crate::output;
use crate::profiles::{DeviceIdentity, Store};

pub fn run(cli: &Cli, command: &Device) -> Result<(), AgentError> {
    match command {
        Device::Enroll {
            server,
            token,
            name,
            os,
            machine_id,
        } => {
            let name = name.clone().unwrap_or_else(host_name);
            let os = os.clone().unwrap_or_else(os_family);
            let machine_id = machine_id.clone().or_else(this_machine_id);
            let client = Client::new(server, None, cli.verbose);
            let created = client.call(
                "POST",
                "/enroll",
                Some(&json!({"token": token, "name": name, "os": os, "machine_id": machine_id})),
            )?;
            let (Some(id), Some(credential)) = (
                created.get("id").and_then(Value::as_i64),
                created.get("credential").and_then(Value::as_str),
            ) else {
                return Err(AgentError::Transport(
                    "the enrolment answer has no device id and credential".to_owned(),
                ));
            };
            let mut store = Store::load()?;
            store.devices.insert(
                cli.profile.clone(),
                DeviceIdentity {
                    server: client.server().to_owned(),
                    device_id: id,
                    credential: credential.to_owned(),
                },
            );
            store.save()?;
            if created.get("taken_over") == Some(&Value::Bool(true)) {
                eprintln!(
                    "this machine was enrolled already: its device {id} is kept, with its history; \
                     the credential it had before no longer works"
                );
            }
            // The credential is kept, never printed.
            let mut shown = created.clone();
            if let Some(object) = shown.as_object_mut() {
                object.remove("credential");
            }
            output::print(
                cli.output,
                &shown,
                &[
                    ("ID", "id"),
                    ("NAME", "name"),
                    ("OS", "os"),
                    ("GROUP", "group_id"),
                ],
            );
            Ok(())
        }
        Device::Report {
            status,
            selected_size,
            used_storage,
            started_at,
            ended_at,
            files,
            errors,
        } => {
            let store = Store::load()?;
            let identity = store.devices.get(&cli.profile).ok_or_else(|| {
                AgentError::Usage(format!(
                    "this machine is not enrolled (profile {:?}): run `tenantry device enroll`",
                    cli.profile
                ))
            })?;
            let ended = time("--ended-at", ended_at.as_deref())?.unwrap_or_else(Utc::now);
            let started = time("--started-at", started_at.as_deref())?.unwrap_or(ended);
            let client = Client::new(
                &identity.server,
                Some(identity.credential.clone()),
                cli.verbose,
            );
            let answer = client.call(
                "POST",
                &format!("/devices/{}/sessions", identity.device_id),
                Some(&json!({
                    "started_at": started.to_rfc3339(),
                    "ended_at": ended.to_rfc3339(),
                    "status": status,
                    "selected_bytes": selected_size,
                    "used_bytes": used_storage,
                    "files": files,
                    "errors": errors,
                })),
            )?;
            output::print(
                cli.output,
                &answer,
                &[
                    ("STATUS", "status"),
                    ("ENDED", "ended_at"),
                    ("USED", "used_bytes"),
                ],
            );
            Ok(())
        }
    }
}

fn time(flag: &str, text: Option<&str>) -> Result<Option<DateTime<Utc>>, AgentError> {
    text.map(|t| {
        DateTime::parse_from_rfc3339(t)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| AgentError::Usage(format!("{flag} must be an RFC 3339 time: {t:?}")))
    })
    .transpose()
}

fn host_name() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "device".to_owned())
}

/// The operating system's stable identifier of this machine, where the agent knows how to read
/// it (systemd's and D-Bus's machine id on Linux); none elsewhere, and the server then adds a
/// device at every enrolment.
fn this_machine_id() -> Option<String> {
    ["/etc/machine-id", "/var/lib/dbus/machine-id"]
        .iter()
        .filter_map(|path| std::fs::read_to_string(path).ok())
        .map(|id| id.trim().to_owned())
        .find(|id| !id.is_empty())
}

fn os_family() -> String {
    match std::env::consts::OS {
        "linux" => "Linux",
        "macos" => "macOS",
        "windows" => "Windows",
        other => other,
    }
    .to_owned()
}
