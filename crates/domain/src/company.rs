use serde::{Deserialize, Serialize};

use crate::{DomainError, FieldError, name::parse_text};

/// A group's company profile: address, website and billing details. Every field is optional
/// free text; blank means "not given".
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CompanyProfile {
    pub legal_name: Option<String>,
    pub website: Option<String>,
    pub phone: Option<String>,
    pub fax: Option<String>,
    pub vat_number: Option<String>,
    pub chamber_of_commerce_number: Option<String>,
    pub bank_account: Option<String>,
    pub street: Option<String>,
    pub city: Option<String>,
    pub district: Option<String>,
    pub state: Option<String>,
    pub zip: Option<String>,
    pub country: Option<String>,
    pub billing_contact: Option<String>,
}

const MAX_FIELD_CHARS: usize = 200;

impl CompanyProfile {
    /// The fields' names, in the order a form (or a file's columns) shows them.
    pub const FIELDS: [&str; 14] = [
        "legal_name",
        "website",
        "phone",
        "fax",
        "vat_number",
        "chamber_of_commerce_number",
        "bank_account",
        "street",
        "city",
        "district",
        "state",
        "zip",
        "country",
        "billing_contact",
    ];

    /// Trims every field, turns blanks into `None`, and reports every field at fault at once.
    pub fn validated(self) -> Result<CompanyProfile, DomainError> {
        let mut errors: Vec<FieldError> = Vec::new();
        let mut field = |name: &str, value: Option<String>| -> Option<String> {
            match parse_text(name, value.as_deref().unwrap_or_default(), MAX_FIELD_CHARS) {
                Ok(text) => text,
                Err(error) => {
                    errors.push(error);
                    None
                }
            }
        };
        let profile = CompanyProfile {
            legal_name: field("legal_name", self.legal_name),
            website: field("website", self.website),
            phone: field("phone", self.phone),
            fax: field("fax", self.fax),
            vat_number: field("vat_number", self.vat_number),
            chamber_of_commerce_number: field(
                "chamber_of_commerce_number",
                self.chamber_of_commerce_number,
            ),
            bank_account: field("bank_account", self.bank_account),
            street: field("street", self.street),
            city: field("city", self.city),
            district: field("district", self.district),
            state: field("state", self.state),
            zip: field("zip", self.zip),
            country: field("country", self.country),
            billing_contact: field("billing_contact", self.billing_contact),
        };
        if errors.is_empty() {
            Ok(profile)
        } else {
            Err(DomainError::Validation(errors))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blanks_become_none_and_text_is_trimmed() {
        let profile = CompanyProfile {
            city: Some("  Utrecht ".into()),
            zip: Some("  ".into()),
            ..Default::default()
        }
        .validated()
        .unwrap();
        assert_eq!(profile.city.as_deref(), Some("Utrecht"));
        assert_eq!(profile.zip, None);
    }

    #[test]
    fn the_field_list_names_every_field() {
        let json = serde_json::to_value(CompanyProfile::default()).unwrap();
        let mut serialized: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut listed = CompanyProfile::FIELDS.to_vec();
        serialized.sort_unstable();
        listed.sort_unstable();
        assert_eq!(serialized, listed);
    }

    #[test]
    fn every_bad_field_is_reported() {
        let profile = CompanyProfile {
            phone: Some("1\n2".into()),
            website: Some("x".repeat(201)),
            ..Default::default()
        };
        let Err(DomainError::Validation(errors)) = profile.validated() else {
            panic!("expected errors")
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["website", "phone"]);
    }
}
