//! A group's effective branding as charts and mailed reports use it: each field its own, else
//! the nearest ancestor's, read from the branding plugin's records (its `values` record, that
//! plugin's documented format: `main_color` `#rrggbb`, `company_name`, …), or the default colour
//! and no names when no group on the way up sets them or branding was never used. Mailed
//! reports also carry the effective logo, read the same way from its `logo-data` records.

use tenantry_plugin_api::{Host, ListRecords, PluginError, Value};

use crate::chart::DEFAULT_COLOUR;

/// A group's effective branding, as reports use it: each field its own or its nearest
/// ancestor's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Brand {
    pub colour: (u8, u8, u8),
    pub company_name: Option<String>,
    pub product_name: Option<String>,
    pub support_email: Option<String>,
    pub support_url: Option<String>,
    /// The effective logo as base64 PNG, for mailed reports ([`for_mail`]); charts leave it out.
    pub logo: Option<String>,
}

/// What a message's HTML calls the logo it carries inline (`cid:logo`).
pub const LOGO_ID: &str = "logo";

/// The group's effective branding with its logo, for a mailed report: the logo is the
/// nearest group's (its own, else an ancestor's) as base64 PNG, or none when no group on the way
/// up sets one, or when the nearest is SVG, which most mail readers do not show (the report then
/// shows the names alone, not a logo from further up).
pub fn for_mail(host: &Host, group: i64) -> Result<Brand, PluginError> {
    let chain = nearest_first(host, group)?;
    let mut brand = resolve(host, &chain)?;
    for &id in &chain {
        if let Some(record) = first(host, id, "logo-data")? {
            let png = record.data.get("content_type").and_then(Value::as_str) == Some("image/png");
            brand.logo = png
                .then(|| record.data.get("base64").and_then(Value::as_str))
                .flatten()
                .map(str::to_owned);
            break;
        }
    }
    Ok(brand)
}

/// The group, then its ancestors up to the root.
fn nearest_first(host: &Host, group: i64) -> Result<Vec<i64>, PluginError> {
    let mut ids = vec![group];
    ids.extend(host.ancestors(group)?.into_iter().rev().map(|g| g.id));
    Ok(ids)
}

/// A group's one record of a branding collection, if it has one.
fn first(
    host: &Host,
    group: i64,
    collection: &str,
) -> Result<Option<tenantry_plugin_api::Record>, PluginError> {
    let page = host.list_other_records("branding", ListRecords::first_of(group, collection))?;
    Ok(page.items.into_iter().next())
}

pub fn colour(host: &Host, group: i64) -> Result<(u8, u8, u8), PluginError> {
    Ok(brand(host, group)?.colour)
}

/// The group's effective branding, without the logo (what charts use).
pub fn brand(host: &Host, group: i64) -> Result<Brand, PluginError> {
    resolve(host, &nearest_first(host, group)?)
}

/// Each field from the nearest group of `chain` (nearest first) that sets it.
fn resolve(host: &Host, chain: &[i64]) -> Result<Brand, PluginError> {
    let mut found: Vec<Value> = Vec::new();
    for &id in chain {
        found.extend(first(host, id, "values")?.map(|record| record.data));
    }
    let field = |name: &str| {
        found
            .iter()
            .find_map(|data| data.get(name).and_then(Value::as_str))
            .map(str::to_owned)
    };
    Ok(Brand {
        colour: found
            .iter()
            .find_map(|data| {
                data.get("main_color")
                    .and_then(Value::as_str)
                    .and_then(parse_hex)
            })
            .unwrap_or(DEFAULT_COLOUR),
        company_name: field("company_name"),
        product_name: field("product_name"),
        support_email: field("support_email"),
        support_url: field("support_url"),
        logo: None,
    })
}

/// `#rrggbb` as its three bytes.
fn parse_hex(text: &str) -> Option<(u8, u8, u8)> {
    let hex = text.strip_prefix('#').filter(|h| h.len() == 6)?;
    let byte = |i: usize| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok();
    Some((byte(0)?, byte(2)?, byte(4)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_are_rrggbb() {
        assert_eq!(parse_hex("#1f6FeB"), Some((0x1f, 0x6f, 0xeb)));
        for bad in ["1f6feb", "#1f6fe", "#1f6feb0", "#gg0000", "", "#"] {
            assert_eq!(parse_hex(bad), None, "{bad}");
        }
    }
}
