//! Where the agent keeps what it logged in with: one JSON file in the user's configuration
//! directory (`$TENANTRY_AGENT_HOME`, else `$XDG_CONFIG_HOME/tenantry`, else
//! `~/.config/tenantry`), readable by its owner only (mode 0600), with named profiles of admin
//! sessions and, for a protected machine, its device credential.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::AgentError;

/// An admin login.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub server: String,
    pub token: String,
    /// The group's name, as logging in again needs it: kept current when an answer shows the
    /// group renamed (see [`Profile::learn`]).
    pub group: String,
    pub user: String,
    /// The group's id (absent in profiles saved before it was kept).
    #[serde(default)]
    pub group_id: Option<i64>,
}

impl Profile {
    /// Takes the group's new name from an answer that shows the group (`me`, `groups get`,
    /// `groups update`), so that `tenantry login` alone still finds it after a rename. Says
    /// whether anything changed.
    pub fn learn(&mut self, answer: &Value) -> bool {
        // A profile saved before the id was kept learns it from `me`: the caller's own group.
        let me = answer["user"]["username"]
            .as_str()
            .is_some_and(|user| user.eq_ignore_ascii_case(&self.user));
        if self.group_id.is_none() && me {
            self.group_id = answer["group"]["id"].as_i64();
        }
        let Some(own) = self.group_id else {
            return false;
        };
        let group_shaped = |v: &Value| v.get("level").is_some() && v.get("parent_id").is_some();
        let renamed = [answer, &answer["group"]]
            .into_iter()
            .filter(|v| group_shaped(v) && v["id"].as_i64() == Some(own))
            .find_map(|v| v["name"].as_str())
            .filter(|name| *name != self.group);
        match renamed {
            Some(name) => {
                self.group = name.to_owned();
                true
            }
            None => false,
        }
    }
}

/// A protected machine's own identity (from `device enroll`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceIdentity {
    pub server: String,
    pub device_id: i64,
    pub credential: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Store {
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
    #[serde(default)]
    pub devices: BTreeMap<String, DeviceIdentity>,
}

fn directory() -> Result<PathBuf, AgentError> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(home) = var("TENANTRY_AGENT_HOME") {
        return Ok(PathBuf::from(home));
    }
    if let Some(config) = var("XDG_CONFIG_HOME") {
        return Ok(PathBuf::from(config).join("tenantry"));
    }
    var("HOME")
        .map(|home| PathBuf::from(home).join(".config").join("tenantry"))
        .ok_or_else(|| AgentError::Local("no home directory: set TENANTRY_AGENT_HOME".to_owned()))
}

fn file() -> Result<PathBuf, AgentError> {
    Ok(directory()?.join("credentials.json"))
}

impl Store {
    pub fn load() -> Result<Store, AgentError> {
        let path = file()?;
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text)
                .map_err(|e| AgentError::Local(format!("{} is unreadable: {e}", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Store::default()),
            Err(e) => Err(AgentError::Local(format!(
                "cannot read {}: {e}",
                path.display()
            ))),
        }
    }

    /// Writes the whole store, created with mode 0600 (it holds bearer tokens), replacing the
    /// old file in one rename so that an interrupted write never leaves half a file.
    pub fn save(&self) -> Result<(), AgentError> {
        let dir = directory()?;
        let local =
            |e: std::io::Error| AgentError::Local(format!("cannot write {}: {e}", dir.display()));
        std::fs::create_dir_all(&dir).map_err(local)?;
        let path = file()?;
        let partial = dir.join("credentials.json.partial");
        let text =
            serde_json::to_string_pretty(self).map_err(|e| AgentError::Local(e.to_string()))?;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        {
            use std::io::Write;
            let mut out = options.open(&partial).map_err(local)?;
            out.write_all(text.as_bytes()).map_err(local)?;
            out.sync_all().map_err(local)?;
        }
        std::fs::rename(&partial, &path).map_err(local)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn profile() -> Profile {
        Profile {
            group: "Acme".to_owned(),
            group_id: Some(7),
            ..Profile::default()
        }
    }

    #[test]
    fn a_profile_follows_its_group_renamed() {
        let mut p = profile();
        let group = json!({"id": 7, "parent_id": 1, "level": "reseller", "name": "Acme Backup"});
        assert!(p.learn(&json!({"user": {"id": 3}, "group": group})));
        assert_eq!(p.group, "Acme Backup");
        assert!(!p.learn(&group), "nothing new");
    }

    #[test]
    fn other_groups_and_other_things_named_alike_teach_nothing() {
        let mut p = profile();
        assert!(!p.learn(&json!({"id": 8, "parent_id": 7, "level": "site", "name": "Other"})));
        // A user with the group's id is not the group.
        assert!(!p.learn(&json!({"id": 7, "name": "Someone", "group_id": 7})));
        let mut old = Profile {
            group_id: None,
            ..profile()
        };
        assert!(!old.learn(&json!({"id": 7, "parent_id": 1, "level": "site", "name": "X"})));
        assert_eq!(p.group, "Acme");
    }

    #[test]
    fn a_profile_saved_without_the_groups_id_learns_it_from_me() {
        let mut old = Profile {
            group_id: None,
            user: "ann@acme.example".to_owned(),
            ..profile()
        };
        let group = json!({"id": 7, "parent_id": 1, "level": "reseller", "name": "Acme Backup"});
        let someone_else = json!({"user": {"username": "bob@acme.example"}, "group": group});
        assert!(!old.learn(&someone_else));
        assert_eq!(old.group_id, None);
        assert!(old.learn(&json!({"user": {"username": "Ann@acme.example"}, "group": group})));
        assert_eq!((old.group_id, old.group.as_str()), (Some(7), "Acme Backup"));
    }
}
