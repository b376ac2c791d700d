//! Secrets: read from files (container secrets mounted at `/run/secrets`), and masked wherever
//! the configuration is shown.

use super::Settings;

impl Settings {
    /// Reads the secrets kept in files (`*_file` keys); a file wins over the value beside it.
    pub(super) fn with_secret_files(mut self) -> anyhow::Result<Settings> {
        if !self.database.password_file.is_empty() {
            let password = read_secret("database.password_file", &self.database.password_file)?;
            self.database.url = with_password(&self.database.url, &password)
                .map_err(|e| anyhow::anyhow!("database.url: {e}"))?;
        }
        for (key, file, value) in [
            (
                "mail.smtp_url_file",
                &self.mail.smtp_url_file,
                &mut self.mail.smtp_url,
            ),
            (
                "bootstrap.admin_password_file",
                &self.bootstrap.admin_password_file,
                &mut self.bootstrap.admin_password,
            ),
        ] {
            if !file.is_empty() {
                *value = read_secret(key, file)?;
            }
        }
        Ok(self)
    }

    /// The settings as `config check` prints them: passwords in URLs and the bootstrap
    /// password masked.
    pub fn masked(&self) -> Settings {
        let mut shown = self.clone();
        shown.database.url = mask_url(&self.database.url);
        shown.mail.smtp_url = mask_url(&self.mail.smtp_url);
        if !shown.bootstrap.admin_password.is_empty() {
            shown.bootstrap.admin_password = "***".to_owned();
        }
        shown
    }
}

/// A secret kept in a file. Such files usually end in a newline the secret does not have.
fn read_secret(key: &str, file: &str) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| anyhow::anyhow!("{key}: cannot read {file}: {e}"))?;
    Ok(text.trim_end_matches(['\n', '\r']).to_owned())
}

/// `scheme://user@host…` with `password` added to the user part, percent-encoded.
fn with_password(url: &str, password: &str) -> anyhow::Result<String> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| anyhow::anyhow!("is not a URL"))?;
    let (user, host) = rest.split_once('@').ok_or_else(|| {
        anyhow::anyhow!("needs a user (postgres://USER@HOST/DB) for database.password_file")
    })?;
    anyhow::ensure!(
        !user.contains(':'),
        "has a password already; with database.password_file give only the user"
    );
    let encoded =
        percent_encoding::utf8_percent_encode(password, percent_encoding::NON_ALPHANUMERIC);
    Ok(format!("{scheme}://{user}:{encoded}@{host}"))
}

/// A URL with its passwords replaced by `***`: the one in the user part (`user:password@`) and
/// a `password=` query parameter (which libpq also takes). Nothing else changes.
pub(super) fn mask_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (address, query) = match rest.split_once('?') {
        Some((address, query)) => (address, Some(query)),
        None => (rest, None),
    };
    let address = match address.rsplit_once('@') {
        Some((user, host)) if user.contains(':') => {
            let name = user.split(':').next().unwrap_or_default();
            format!("{name}:***@{host}")
        }
        _ => address.to_owned(),
    };
    let query = query.map(|query| {
        query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}=***"),
                _ => pair.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("&")
    });
    match query {
        Some(query) => format!("{scheme}://{address}?{query}"),
        None => format!("{scheme}://{address}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_file_goes_into_the_url_encoded() {
        assert_eq!(
            with_password("postgres://tenantry@db:5432/tenantry", "p@ss:w/rd").unwrap(),
            "postgres://tenantry:p%40ss%3Aw%2Frd@db:5432/tenantry"
        );
        assert!(with_password("postgres://db:5432/tenantry", "x").is_err());
        assert!(with_password("postgres://u:old@db/t", "x").is_err());
    }

    #[test]
    fn passwords_are_masked_and_nothing_else() {
        for (url, shown) in [
            (
                "postgres://tenantry:s3cr:et@db:5432/tenantry",
                "postgres://tenantry:***@db:5432/tenantry",
            ),
            (
                "postgres://tenantry@db/t?sslmode=require&password=s3cret",
                "postgres://tenantry@db/t?sslmode=require&password=***",
            ),
            ("postgres://tenantry@db/t", "postgres://tenantry@db/t"),
            ("sqlite://data/tenantry.db", "sqlite://data/tenantry.db"),
            ("smtp://relay:25", "smtp://relay:25"),
            (
                "smtp://me:pw@smtp.example.com:587?tls=required",
                "smtp://me:***@smtp.example.com:587?tls=required",
            ),
        ] {
            assert_eq!(mask_url(url), shown);
        }
    }
}
