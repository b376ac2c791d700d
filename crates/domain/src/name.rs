use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

use crate::{DomainError, FieldError};

const MAX_NAME_CHARS: usize = 100;

/// A group's display name: trimmed, 1 to 100 characters, no control characters.
///
/// Names are unique across the installation compared case-insensitively, because the name is
/// part of every login; [`GroupName::key`] is the form that uniqueness is checked on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupName(String);

impl GroupName {
    pub fn parse(raw: &str) -> Result<GroupName, DomainError> {
        parse_text("name", raw, MAX_NAME_CHARS)
            .map_err(|error| DomainError::Validation(vec![error]))?
            .map(GroupName)
            .ok_or_else(|| DomainError::invalid("name", "must not be empty"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    /// The case-folded form stored beside the name under a unique index, so that "Acme" and
    /// "ACME" collide on both database backends alike.
    pub fn key(&self) -> String {
        name_key(&self.0)
    }

    /// The uniqueness key of a name already stored (validated when it was written).
    pub fn key_of(stored: &str) -> String {
        name_key(stored)
    }
}

/// The uniqueness key of any name-like text (also used for case-insensitive name filters and
/// for the group and username typed at login): NFKC-normalised, then lower-cased, so that
/// `Ａｃｍｅ`, `ACME` and `Acme` are one name.
pub(crate) fn name_key(text: &str) -> String {
    text.nfkc().collect::<String>().to_lowercase()
}

/// An external code a provider uses in its own billing or CRM system: optional, trimmed,
/// at most 100 characters, no control characters. Blank means "none".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomerReference(String);

impl CustomerReference {
    pub fn parse(raw: &str) -> Result<Option<CustomerReference>, DomainError> {
        parse_text("customer_reference", raw, MAX_NAME_CHARS)
            .map(|text| text.map(CustomerReference))
            .map_err(|error| DomainError::Validation(vec![error]))
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// Normalises `raw` (NFKC: full-width letters, ligatures and the like become their plain
/// forms, so that what looks alike is stored alike), trims it and checks it: `None` when blank,
/// an error naming `field` when it is too long or carries control or invisible characters.
pub(crate) fn parse_text(
    field: &str,
    raw: &str,
    max_chars: usize,
) -> Result<Option<String>, FieldError> {
    let normalized: String = raw.nfkc().collect();
    let text = normalized.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let chars = text.chars().count();
    if chars > max_chars {
        return Err(FieldError::new(
            field,
            format!("must be at most {max_chars} characters (got {chars})"),
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(FieldError::new(
            field,
            "must not contain control characters",
        ));
    }
    if text.chars().any(is_invisible) {
        return Err(FieldError::new(
            field,
            "must not contain invisible formatting characters (zero-width spaces and joiners, \
             direction overrides, byte-order marks, tags, line separators)",
        ));
    }
    Ok(Some(text.to_owned()))
}

/// Characters that change how text reads without being seen: Unicode's format characters
/// (zero-width space, joiners, bidi overrides and isolates, the BOM, tag characters, soft
/// hyphens) and the line and paragraph separators. In a name they make two names look alike,
/// or one name read backwards.
fn is_invisible(c: char) -> bool {
    matches!(
        c.general_category(),
        GeneralCategory::Format
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn look_alike_names_are_one_name() {
        let wide = GroupName::parse("Ａｃｍｅ").unwrap();
        assert_eq!(wide.as_str(), "Acme", "stored in its plain form");
        assert_eq!(wide.key(), GroupName::parse("ACME").unwrap().key());
        assert_eq!(GroupName::key_of("Ａｃｍｅ"), "acme");
        // An ideographic space is a space: trimmed like one.
        assert_eq!(
            GroupName::parse("\u{3000}Acme\u{3000}").unwrap().as_str(),
            "Acme"
        );
    }

    #[test]
    fn invisible_characters_are_refused() {
        for raw in [
            "Acme\u{200b}",
            "\u{200b}",
            "Ac\u{200d}me",
            "\u{202e}emcA",
            "\u{2066}Acme\u{2069}",
            "\u{feff}Acme",
            "Acme\u{e0041}",
            "Acme\u{2028}Ltd",
            "Acme\u{2029}Ltd",
            "Ac\u{ad}me",
        ] {
            let Err(DomainError::Validation(errors)) = GroupName::parse(raw) else {
                panic!("{raw:?} was accepted");
            };
            assert!(errors[0].message.contains("invisible"), "{raw:?}");
        }
        // Letters of every script stay welcome.
        for raw in [
            "Müller GmbH",
            "Łódź Backup",
            "東京バックアップ",
            "مرحبا",
            "Ωmega",
        ] {
            assert!(GroupName::parse(raw).is_ok(), "{raw}");
        }
    }

    #[test]
    fn names_are_trimmed() {
        assert_eq!(
            GroupName::parse("  Acme Backup  ").unwrap().as_str(),
            "Acme Backup"
        );
    }

    #[test]
    fn empty_and_blank_names_are_refused() {
        for raw in ["", "   ", "\t"] {
            assert!(
                matches!(GroupName::parse(raw), Err(DomainError::Validation(_))),
                "{raw:?}"
            );
        }
    }

    #[test]
    fn length_is_counted_in_characters() {
        assert!(GroupName::parse(&"é".repeat(100)).is_ok());
        assert!(GroupName::parse(&"é".repeat(101)).is_err());
        assert!(GroupName::parse(&"x".repeat(10 * 1024)).is_err());
    }

    #[test]
    fn control_characters_are_refused() {
        for raw in ["a\nb", "a\u{0}b", "a\u{7f}b", "a\u{9b}b"] {
            assert!(GroupName::parse(raw).is_err(), "{raw:?}");
        }
    }

    #[test]
    fn keys_ignore_case() {
        let a = GroupName::parse("ACME Ltd").unwrap();
        let b = GroupName::parse("acme ltd").unwrap();
        assert_eq!(a.key(), b.key());
        assert_eq!(
            GroupName::parse("Ölwerk").unwrap().key(),
            GroupName::parse("ÖLWERK").unwrap().key()
        );
    }

    #[test]
    fn customer_reference_blank_is_none() {
        assert_eq!(CustomerReference::parse("  ").unwrap(), None);
        assert_eq!(
            CustomerReference::parse(" C-42 ")
                .unwrap()
                .unwrap()
                .into_string(),
            "C-42"
        );
        assert!(CustomerReference::parse(&"x".repeat(101)).is_err());
    }
}
