//! A group's own branding values: every field optional (unset means "inherit"), each checked.

use serde::{Deserialize, Serialize};
use tenantry_plugin_api::PluginError;

/// The text fields, in the order the effective view lists them.
pub const FIELDS: [&str; 8] = [
    "company_name",
    "product_name",
    "main_color",
    "accent_color",
    "navigation_text_color",
    "support_email",
    "support_phone",
    "support_url",
];

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Values {
    #[serde(default)]
    pub company_name: Option<String>,
    #[serde(default)]
    pub product_name: Option<String>,
    /// `#rrggbb`.
    #[serde(default)]
    pub main_color: Option<String>,
    /// `#rrggbb`: links and highlights.
    #[serde(default)]
    pub accent_color: Option<String>,
    /// `#rrggbb`.
    #[serde(default)]
    pub navigation_text_color: Option<String>,
    #[serde(default)]
    pub support_email: Option<String>,
    #[serde(default)]
    pub support_phone: Option<String>,
    /// `https://…` or `http://…`.
    #[serde(default)]
    pub support_url: Option<String>,
    /// The group's own white-label login address (`/login/{address}`): 3 to 40 lowercase
    /// letters, digits and inner hyphens, unique in the installation. Not inherited: it names
    /// this group (so it is not one of [`FIELDS`]).
    #[serde(default)]
    pub login_address: Option<String>,
}

impl Values {
    pub fn get(&self, field: &str) -> Option<&String> {
        match field {
            "company_name" => self.company_name.as_ref(),
            "product_name" => self.product_name.as_ref(),
            "main_color" => self.main_color.as_ref(),
            "accent_color" => self.accent_color.as_ref(),
            "navigation_text_color" => self.navigation_text_color.as_ref(),
            "support_email" => self.support_email.as_ref(),
            "support_phone" => self.support_phone.as_ref(),
            "support_url" => self.support_url.as_ref(),
            _ => None,
        }
    }

    /// Trimmed, blanks dropped (blank means "inherit"), every field checked.
    pub fn validated(self) -> Result<Values, PluginError> {
        let clean = |field: &str,
                     value: Option<String>,
                     max: usize|
         -> Result<Option<String>, PluginError> {
            let Some(text) = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) else {
                return Ok(None);
            };
            if text.chars().count() > max {
                return Err(PluginError::invalid(
                    field,
                    format!("must be at most {max} characters"),
                ));
            }
            if text.chars().any(char::is_control) {
                return Err(PluginError::invalid(
                    field,
                    "must not contain control characters",
                ));
            }
            Ok(Some(text))
        };
        let values = Values {
            company_name: clean("company_name", self.company_name, 100)?,
            product_name: clean("product_name", self.product_name, 100)?,
            main_color: clean("main_color", self.main_color, 7)?,
            accent_color: clean("accent_color", self.accent_color, 7)?,
            navigation_text_color: clean("navigation_text_color", self.navigation_text_color, 7)?,
            support_email: clean("support_email", self.support_email, 254)?,
            support_phone: clean("support_phone", self.support_phone, 50)?,
            support_url: clean("support_url", self.support_url, 2048)?,
            login_address: clean("login_address", self.login_address, 40)?
                .map(|address| address.to_lowercase()),
        };
        if let Some(address) = &values.login_address {
            let well_formed = address.len() >= 3
                && !address.starts_with('-')
                && !address.ends_with('-')
                && address
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !well_formed {
                return Err(PluginError::invalid(
                    "login_address",
                    "must be 3 to 40 letters, digits and hyphens (not first or last), as in \
                     acme-backup",
                ));
            }
        }
        for field in ["main_color", "accent_color", "navigation_text_color"] {
            if values.get(field).is_some_and(|color| !is_color(color)) {
                return Err(PluginError::invalid(field, "must be a colour as #rrggbb"));
            }
        }
        if let Some(email) = &values.support_email {
            let well_formed = email.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            }) && !email.contains(char::is_whitespace);
            if !well_formed {
                return Err(PluginError::invalid(
                    "support_email",
                    "must be an email address",
                ));
            }
        }
        let web_url = |url: &String| {
            (url.starts_with("https://") || url.starts_with("http://"))
                && !url.contains(char::is_whitespace)
        };
        if values.support_url.as_ref().is_some_and(|url| !web_url(url)) {
            return Err(PluginError::invalid(
                "support_url",
                "must be an http(s) URL",
            ));
        }
        if let Some(phone) = &values.support_phone {
            let allowed = |c: char| c.is_ascii_digit() || " +-()./".contains(c);
            if !phone.chars().all(allowed) {
                return Err(PluginError::invalid(
                    "support_phone",
                    "may hold digits, spaces and + - ( ) . / only",
                ));
            }
        }
        Ok(values)
    }
}

fn is_color(text: &str) -> bool {
    text.len() == 7 && text.starts_with('#') && text[1..].chars().all(|c| c.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(field: &str, value: &str) -> Result<Values, PluginError> {
        let mut json = serde_json::Map::new();
        json.insert(field.to_owned(), value.into());
        serde_json::from_value::<Values>(json.into())
            .unwrap()
            .validated()
    }

    #[test]
    fn login_addresses_are_lowercase_words_with_hyphens() {
        assert_eq!(
            with("login_address", " Acme-Backup ")
                .ok()
                .and_then(|v| v.login_address),
            Some("acme-backup".to_owned())
        );
        for wrong in [
            "ab",
            "-acme",
            "acme-",
            "acme backup",
            "acme/x",
            "ácme",
            &"a".repeat(41),
        ] {
            assert!(with("login_address", wrong).is_err(), "{wrong}");
        }
    }

    #[test]
    fn colours_are_rrggbb() {
        assert!(with("main_color", "#1a2B3c").is_ok());
        for bad in ["1a2b3c", "#1a2b3", "#1a2b3g", "red", "#1a2b3c4"] {
            assert!(with("main_color", bad).is_err(), "{bad}");
        }
        let error = with("navigation_text_color", "blue").unwrap_err();
        assert_eq!(error.field.as_deref(), Some("navigation_text_color"));
    }

    #[test]
    fn contact_fields_are_checked_and_blanks_inherit() {
        assert!(with("support_email", "help@acme.example").is_ok());
        assert!(with("support_email", "help").is_err());
        assert!(with("support_url", "https://acme.example/help").is_ok());
        assert!(with("support_url", "javascript:alert(1)").is_err());
        assert!(with("support_phone", "+31 (0)20-123 4567").is_ok());
        assert!(with("support_phone", "call me").is_err());
        assert_eq!(with("company_name", "   ").unwrap().company_name, None);
    }
}
