//! The colour a group's charts are drawn in: its effective branding main colour — its own, else
//! the nearest ancestor's — read from the branding plugin's records (the `main_color` of its
//! `values` record, `#rrggbb`, that plugin's documented format), or the default when no group on
//! the way up sets one or branding was never used.

use tenantry_plugin_api::{Host, ListRecords, PluginError, Value};

use crate::chart::DEFAULT_COLOUR;

pub fn colour(host: &Host, group: i64) -> Result<(u8, u8, u8), PluginError> {
    let mut nearest_first = vec![group];
    nearest_first.extend(host.ancestors(group)?.into_iter().rev().map(|g| g.id));
    for id in nearest_first {
        let page = host.list_other_records(
            "branding",
            ListRecords {
                group_id: id,
                collection: "values".to_owned(),
                descending: false,
                from: None,
                to: None,
                cursor: None,
                limit: 1,
            },
        )?;
        let set = page
            .items
            .first()
            .and_then(|record| record.data.get("main_color"))
            .and_then(Value::as_str)
            .and_then(parse_hex);
        if let Some(colour) = set {
            return Ok(colour);
        }
    }
    Ok(DEFAULT_COLOUR)
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
