//! The server's configuration: `config/default.toml` (compiled in), then the file named by
//! `TENANTRY_CONFIG`, then `TENANTRY__SECTION__KEY` environment variables, then the secrets
//! kept in files (`secrets.rs`).

mod secrets;

use secrets::mask_url;

use serde::{Deserialize, Serialize};
use tenantry_domain::Level;

/// The defaults, from the one file that documents every key.
const DEFAULTS: &str = include_str!("../../../../config/default.toml");

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub root: RootSettings,
    pub groups: GroupSettings,
    pub auth: AuthSettings,
    pub bootstrap: BootstrapSettings,
    pub plugins: PluginSettings,
    pub downloads: DownloadSettings,
    pub stats: StatsSettings,
    pub mail: MailSettings,
    pub log: LogSettings,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    pub workers: usize,
    pub shutdown_timeout_secs: u64,
    pub max_body_bytes: usize,
    pub public_url: String,
    /// Addresses or networks (`10.0.0.7`, `172.16.0.0/12`) of reverse proxies whose
    /// `Forwarded`/`X-Forwarded-*` headers say what scheme and host a request came to. Anyone
    /// else's are ignored: the host goes into install commands.
    #[serde(default, deserialize_with = "names")]
    pub trusted_proxies: Vec<String>,
}

#[derive(Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    pub url: String,
    /// A file holding the database password (a container secret), put into `url`'s user part.
    pub password_file: String,
    pub pool_size: u32,
    pub connection_timeout_secs: u64,
}

impl std::fmt::Debug for DatabaseSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL carries the password (given, or put there from `password_file`).
        f.debug_struct("DatabaseSettings")
            .field("url", &mask_url(&self.url))
            .field("password_file", &self.password_file)
            .field("pool_size", &self.pool_size)
            .field("connection_timeout_secs", &self.connection_timeout_secs)
            .finish()
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RootSettings {
    pub name: String,
    pub level: Level,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct GroupSettings {
    pub trial_days: i64,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    pub session_idle_minutes: i64,
    pub session_lifetime_hours: i64,
    pub lockout_failures: i32,
    pub lockout_window_minutes: i64,
    pub lockout_minutes: i64,
    pub login_attempts_per_minute: i64,
    pub api_token_default_days: i64,
    pub api_token_max_days: i64,
    pub session_cache_seconds: u64,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PluginSettings {
    /// A list in a file; `branding,crm` (or `""` for none) from the environment.
    #[serde(deserialize_with = "names")]
    pub enabled: Vec<String>,
    pub dir: String,
    pub tick_seconds: u64,
    #[serde(default)]
    pub sha256: std::collections::BTreeMap<String, String>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StatsSettings {
    pub rollup_seconds: u64,
}

#[derive(Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MailSettings {
    pub smtp_url: String,
    /// A file holding `smtp_url` (a container secret); wins over `smtp_url` when set.
    pub smtp_url_file: String,
    pub from: String,
    pub max_attempts: i64,
    pub retry_base_seconds: u64,
    pub poll_seconds: u64,
    pub timeout_seconds: u64,
    /// Sent and given-up messages are deleted this many days after they were queued.
    pub keep_days: i64,
}

impl std::fmt::Debug for MailSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may carry the SMTP password.
        f.debug_struct("MailSettings")
            .field("smtp_url", &mask_url(&self.smtp_url))
            .field("smtp_url_file", &self.smtp_url_file)
            .field("from", &self.from)
            .field("max_attempts", &self.max_attempts)
            .field("retry_base_seconds", &self.retry_base_seconds)
            .field("poll_seconds", &self.poll_seconds)
            .field("timeout_seconds", &self.timeout_seconds)
            .field("keep_days", &self.keep_days)
            .finish()
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DownloadSettings {
    pub dir: String,
}

#[derive(Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BootstrapSettings {
    pub admin_email: String,
    pub admin_password: String,
    /// A file holding `admin_password` (a container secret); wins over it when set.
    pub admin_password_file: String,
}

impl std::fmt::Debug for BootstrapSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BootstrapSettings")
            .field("admin_email", &self.admin_email)
            .field("admin_password", &"***")
            .field("admin_password_file", &self.admin_password_file)
            .finish()
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    pub level: String,
}

/// A list of names, or the same as one comma-separated string (what environment variables can
/// carry). Blank names are dropped.
fn names<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Names {
        List(Vec<String>),
        Text(String),
    }
    let names = match Names::deserialize(d)? {
        Names::List(list) => list,
        Names::Text(text) => text.split(',').map(str::to_owned).collect(),
    };
    Ok(names
        .into_iter()
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
        .collect())
}

impl Settings {
    /// `server.trusted_proxies` read as networks (a plain address is a network of one).
    pub fn trusted_proxies(&self) -> anyhow::Result<Vec<ipnet::IpNet>> {
        self.server
            .trusted_proxies
            .iter()
            .map(|entry| {
                entry
                    .parse::<ipnet::IpNet>()
                    .or_else(|_| entry.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| {
                        anyhow::anyhow!(
                            "server.trusted_proxies: {entry:?} is not an address or a network"
                        )
                    })
            })
            .collect()
    }

    pub fn load() -> anyhow::Result<Settings> {
        use config::{Config, Environment, File, FileFormat};
        let mut builder = Config::builder().add_source(File::from_str(DEFAULTS, FileFormat::Toml));
        if let Ok(path) = std::env::var("TENANTRY_CONFIG") {
            builder = builder.add_source(
                File::with_name(&path)
                    .format(FileFormat::Toml)
                    .required(true),
            );
        }
        let settings: Settings = builder
            .add_source(
                Environment::with_prefix("TENANTRY")
                    .prefix_separator("__")
                    .separator("__"),
            )
            .build()?
            .try_deserialize()?;
        let settings = settings.with_secret_files()?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> anyhow::Result<()> {
        tenantry_storage::Backend::of_url(&self.database.url)
            .map_err(|e| anyhow::anyhow!("database.url: {e}"))?;
        tenantry_domain::GroupName::parse(&self.root.name)
            .map_err(|e| anyhow::anyhow!("root.name is not a valid group name: {e:?}"))?;
        anyhow::ensure!(
            (1..=36_500).contains(&self.groups.trial_days),
            "groups.trial_days must be between 1 and 36500"
        );
        anyhow::ensure!(
            self.database.pool_size > 0,
            "database.pool_size must be at least 1"
        );
        let auth = &self.auth;
        for (key, value, max) in [
            (
                "session_idle_minutes",
                auth.session_idle_minutes,
                7 * 24 * 60,
            ),
            (
                "session_lifetime_hours",
                auth.session_lifetime_hours,
                366 * 24,
            ),
            ("lockout_failures", i64::from(auth.lockout_failures), 1000),
            (
                "lockout_window_minutes",
                auth.lockout_window_minutes,
                7 * 24 * 60,
            ),
            ("lockout_minutes", auth.lockout_minutes, 7 * 24 * 60),
            (
                "login_attempts_per_minute",
                auth.login_attempts_per_minute,
                1_000_000,
            ),
            ("api_token_default_days", auth.api_token_default_days, 3660),
            ("api_token_max_days", auth.api_token_max_days, 3660),
        ] {
            anyhow::ensure!(
                (1..=max).contains(&value),
                "auth.{key} must be between 1 and {max}"
            );
        }
        anyhow::ensure!(
            auth.api_token_default_days <= auth.api_token_max_days,
            "auth.api_token_default_days must not exceed auth.api_token_max_days"
        );
        anyhow::ensure!(
            auth.session_cache_seconds <= 60,
            "auth.session_cache_seconds must be at most 60"
        );
        anyhow::ensure!(
            self.stats.rollup_seconds <= 86_400,
            "stats.rollup_seconds must be at most 86400 (0 switches the roll-up off)"
        );
        anyhow::ensure!(
            (1..=3600).contains(&self.plugins.tick_seconds),
            "plugins.tick_seconds must be between 1 and 3600"
        );
        let mail = &self.mail;
        anyhow::ensure!(
            mail.smtp_url.is_empty()
                || mail.smtp_url.starts_with("smtp://")
                || mail.smtp_url.starts_with("smtps://"),
            "mail.smtp_url must be empty (mail off) or an smtp:// or smtps:// URL"
        );
        anyhow::ensure!(
            mail.from.parse::<lettre::message::Mailbox>().is_ok(),
            "mail.from must be an address, optionally with a name: \"Tenantry <reports@example.com>\""
        );
        anyhow::ensure!(
            (1..=50).contains(&mail.max_attempts),
            "mail.max_attempts must be between 1 and 50"
        );
        anyhow::ensure!(
            (1..=3600).contains(&mail.retry_base_seconds),
            "mail.retry_base_seconds must be between 1 and 3600"
        );
        anyhow::ensure!(
            (1..=3600).contains(&mail.poll_seconds) && (1..=600).contains(&mail.timeout_seconds),
            "mail.poll_seconds must be between 1 and 3600, mail.timeout_seconds between 1 and 600"
        );
        anyhow::ensure!(
            (1..=3650).contains(&mail.keep_days),
            "mail.keep_days must be between 1 and 3650"
        );
        self.trusted_proxies()?;
        let url = self.server.public_url.trim_end_matches('/');
        anyhow::ensure!(
            url.is_empty()
                || ((url.starts_with("http://") || url.starts_with("https://"))
                    && tenantry_domain::install_command(
                        tenantry_domain::InstallerOs::Linux,
                        "check",
                        url,
                        "check"
                    )
                    .is_some()),
            "server.public_url must be empty or an http:// or https:// address of letters, digits, \
             '.', '-', '_', ':', '/' and brackets"
        );
        tenantry_domain::Username::parse(&self.bootstrap.admin_email)
            .map_err(|e| anyhow::anyhow!("bootstrap.admin_email is not an email address: {e:?}"))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_file_parses_and_is_valid() {
        let settings: Settings = config::Config::builder()
            .add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml))
            .build()
            .unwrap()
            .try_deserialize()
            .unwrap();
        settings.validate().unwrap();
        assert_eq!(settings.database.url, "sqlite://data/tenantry.db");
        assert_eq!(settings.root.level, Level::Distributor);
    }

    fn defaults() -> Settings {
        config::Config::builder()
            .add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml))
            .build()
            .unwrap()
            .try_deserialize()
            .unwrap()
    }

    #[test]
    fn a_public_url_must_be_a_plain_http_address() {
        let mut settings = defaults();
        for good in ["", "https://backup.example.com", "http://10.0.0.1:8080/"] {
            settings.server.public_url = good.to_owned();
            assert!(settings.validate().is_ok(), "{good}");
        }
        for bad in [
            "backup.example.com",
            "ftp://x",
            "https://x/'$(id)'",
            "https://a b",
        ] {
            settings.server.public_url = bad.to_owned();
            assert!(settings.validate().is_err(), "{bad}");
        }
    }

    #[test]
    fn trusted_proxies_are_addresses_or_networks() {
        let mut settings = defaults();
        assert!(settings.trusted_proxies().unwrap().is_empty());
        settings.server.trusted_proxies =
            vec!["10.0.0.7".into(), "172.16.0.0/12".into(), "::1".into()];
        let networks = settings.trusted_proxies().unwrap();
        assert!(networks[0].contains(&"10.0.0.7".parse::<std::net::IpAddr>().unwrap()));
        assert!(!networks[0].contains(&"10.0.0.8".parse::<std::net::IpAddr>().unwrap()));
        assert!(networks[1].contains(&"172.20.1.1".parse::<std::net::IpAddr>().unwrap()));
        settings.server.trusted_proxies = vec!["nginx".into()];
        assert!(settings.validate().is_err());
    }
}
