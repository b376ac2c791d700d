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
    /// Every field by name, in the order a form (or a file's columns) shows them.
    pub fn fields(&self) -> [(&'static str, Option<&str>); 14] {
        [
            ("legal_name", self.legal_name.as_deref()),
            ("website", self.website.as_deref()),
            ("phone", self.phone.as_deref()),
            ("fax", self.fax.as_deref()),
            ("vat_number", self.vat_number.as_deref()),
            (
                "chamber_of_commerce_number",
                self.chamber_of_commerce_number.as_deref(),
            ),
            ("bank_account", self.bank_account.as_deref()),
            ("street", self.street.as_deref()),
            ("city", self.city.as_deref()),
            ("district", self.district.as_deref()),
            ("state", self.state.as_deref()),
            ("zip", self.zip.as_deref()),
            ("country", self.country.as_deref()),
            ("billing_contact", self.billing_contact.as_deref()),
        ]
    }

    /// The field called `name`, to set it; `None` for a name that is no field.
    pub fn field_mut(&mut self, name: &str) -> Option<&mut Option<String>> {
        Some(match name {
            "legal_name" => &mut self.legal_name,
            "website" => &mut self.website,
            "phone" => &mut self.phone,
            "fax" => &mut self.fax,
            "vat_number" => &mut self.vat_number,
            "chamber_of_commerce_number" => &mut self.chamber_of_commerce_number,
            "bank_account" => &mut self.bank_account,
            "street" => &mut self.street,
            "city" => &mut self.city,
            "district" => &mut self.district,
            "state" => &mut self.state,
            "zip" => &mut self.zip,
            "country" => &mut self.country,
            "billing_contact" => &mut self.billing_contact,
            _ => return None,
        })
    }

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
    fn fields_by_name_reach_every_field() {
        let mut profile = CompanyProfile::default();
        let names: Vec<&str> = profile.fields().iter().map(|(name, _)| *name).collect();
        for name in &names {
            *profile.field_mut(name).unwrap() = Some(format!("{name}!"));
        }
        // Every field set through its name, and each name is the field's API (JSON) name.
        let json = serde_json::to_value(&profile).unwrap();
        let object = json.as_object().unwrap();
        assert_eq!(object.len(), names.len());
        for (name, value) in profile.fields() {
            assert_eq!(value, Some(format!("{name}!").as_str()));
            assert_eq!(object[name], format!("{name}!"));
        }
        assert!(profile.field_mut("colour").is_none());
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
