//! Logos and favicons: PNG or SVG, at most 512 kB, with sensible dimensions; an SVG that could
//! run script or fetch anything is refused rather than "cleaned", so what is stored is exactly
//! what was checked.

use serde::{Deserialize, Serialize};
use tenantry_plugin_api::PluginError;

pub const MAX_BYTES: usize = 512 * 1024;
const MIN_SIDE: f64 = 16.0;
const MAX_SIDE: f64 = 4096.0;

/// An image as stored (the bytes base64, as they arrived).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Image {
    pub content_type: String,
    pub width: f64,
    pub height: f64,
    pub bytes: usize,
    pub base64: String,
}

/// Checks an uploaded image of `content_type`.
pub fn check(content_type: Option<&str>, bytes: &[u8]) -> Result<(f64, f64), PluginError> {
    if bytes.len() > MAX_BYTES {
        return Err(PluginError::new(
            "payload_too_large",
            format!("an image is at most {} kB", MAX_BYTES / 1024),
        ));
    }
    let (width, height) = match content_type {
        Some("image/png") => png_size(bytes)?,
        Some("image/svg+xml") => svg_size(bytes)?,
        _ => {
            return Err(PluginError::new(
                "unsupported_media_type",
                "send the image as image/png or image/svg+xml",
            ));
        }
    };
    for (side, value) in [("width", width), ("height", height)] {
        if !(MIN_SIDE..=MAX_SIDE).contains(&value) {
            return Err(PluginError::invalid(
                "image",
                format!(
                    "its {side} must be between {MIN_SIDE} and {MAX_SIDE} pixels (got {value})"
                ),
            ));
        }
    }
    Ok((width, height))
}

fn png_size(bytes: &[u8]) -> Result<(f64, f64), PluginError> {
    let not_png = || PluginError::invalid("image", "is not a PNG image");
    if !matches!(imagesize::image_type(bytes), Ok(imagesize::ImageType::Png)) {
        return Err(not_png());
    }
    let size = imagesize::blob_size(bytes).map_err(|_| not_png())?;
    Ok((size.width as f64, size.height as f64))
}

/// Elements that run script, embed other documents, or change attributes (links) after the
/// check.
const FORBIDDEN_ELEMENTS: [&str; 11] = [
    "script",
    "foreignObject",
    "iframe",
    "embed",
    "object",
    "handler",
    "set",
    "animate",
    "animateMotion",
    "animateTransform",
    "discard",
];

/// Whether CSS or an attribute value reaches outside the document: a script URL, or a `url(…)`
/// that is not a fragment of the document itself (`url(#gradient)` is fine).
fn reaches_out(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    if lower.contains("javascript:") || lower.contains("@import") {
        return true;
    }
    lower.match_indices("url(").any(|(at, _)| {
        let rest = lower[at + 4..].trim_start_matches([' ', '"', '\'']);
        !rest.starts_with('#')
    })
}

fn svg_size(bytes: &[u8]) -> Result<(f64, f64), PluginError> {
    let invalid = |message: &str| PluginError::invalid("image", message.to_owned());
    let text = std::str::from_utf8(bytes).map_err(|_| invalid("is not UTF-8 SVG text"))?;
    // No DTDs: entity tricks are refused outright (roxmltree refuses most of them anyway).
    if text.contains("<!DOCTYPE") || text.contains("<!ENTITY") {
        return Err(invalid("must not carry a DOCTYPE"));
    }
    let document =
        roxmltree::Document::parse(text).map_err(|_| invalid("is not well-formed SVG"))?;
    let root = document.root_element();
    if root.tag_name().name() != "svg" {
        return Err(invalid("is not an SVG document"));
    }
    for node in document.descendants().filter(|n| n.is_element()) {
        let name = node.tag_name().name();
        if FORBIDDEN_ELEMENTS
            .iter()
            .any(|f| f.eq_ignore_ascii_case(name))
        {
            return Err(invalid(&format!("must not contain <{name}>")));
        }
        for attribute in node.attributes() {
            let attr = attribute.name().to_ascii_lowercase();
            if attr.starts_with("on") {
                return Err(invalid(&format!("must not carry event handlers ({attr})")));
            }
            if attr == "href" && !attribute.value().trim_start().starts_with('#') {
                return Err(invalid("may link only within itself (href=\"#…\")"));
            }
            if reaches_out(attribute.value()) {
                return Err(invalid(&format!("must not load anything ({attr})")));
            }
        }
        if name == "style" && node.text().is_some_and(reaches_out) {
            return Err(invalid("must not load anything from its styles"));
        }
    }
    let number = |name: &str| {
        root.attribute(name)
            .map(|v| v.trim().trim_end_matches("px"))
            .and_then(|v| v.parse::<f64>().ok())
    };
    match (number("width"), number("height")) {
        (Some(width), Some(height)) => Ok((width, height)),
        _ => {
            let view_box: Vec<f64> = root
                .attribute("viewBox")
                .unwrap_or_default()
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|part| !part.is_empty())
                .filter_map(|part| part.parse().ok())
                .collect();
            match view_box.as_slice() {
                [_, _, width, height] => Ok((*width, *height)),
                _ => Err(invalid("needs width and height, or a viewBox")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The smallest valid PNG header of a `width` × `height` image (enough for its size).
    pub fn png(width: u32, height: u32) -> Vec<u8> {
        let mut bytes = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13];
        bytes.extend_from_slice(b"IHDR");
        bytes.extend_from_slice(&width.to_be_bytes());
        bytes.extend_from_slice(&height.to_be_bytes());
        bytes.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
        bytes
    }

    #[test]
    fn pngs_of_sensible_size_pass() {
        assert_eq!(
            check(Some("image/png"), &png(200, 60)).unwrap(),
            (200.0, 60.0)
        );
        assert!(check(Some("image/png"), &png(8, 8)).is_err());
        assert!(check(Some("image/png"), &png(5000, 100)).is_err());
        assert!(check(Some("image/png"), b"GIF89a....").is_err());
        assert_eq!(
            check(Some("image/gif"), &png(100, 100)).unwrap_err().code,
            "unsupported_media_type"
        );
        assert_eq!(
            check(Some("image/png"), &vec![0; MAX_BYTES + 1])
                .unwrap_err()
                .code,
            "payload_too_large"
        );
    }

    #[test]
    fn svgs_pass_only_without_script() {
        let fine = br##"<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40"><rect width="10" height="10" fill="url(#shade)"/></svg>"##;
        assert_eq!(check(Some("image/svg+xml"), fine).unwrap(), (120.0, 40.0));
        let view_box = br#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 32"/>"#;
        assert_eq!(
            check(Some("image/svg+xml"), view_box).unwrap(),
            (64.0, 32.0)
        );
        for bad in [
            &br#"<svg xmlns="http://www.w3.org/2000/svg" width="20" height="20"><script>alert(1)</script></svg>"#[..],
            br#"<svg xmlns="http://www.w3.org/2000/svg" width="20" height="20" onload="alert(1)"/>"#,
            br#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:x="http://www.w3.org/1999/xlink" width="20" height="20"><a x:href="javascript:alert(1)"><rect/></a></svg>"#,
            br#"<svg xmlns="http://www.w3.org/2000/svg" width="20" height="20"><foreignObject/></svg>"#,
            br#"<svg xmlns="http://www.w3.org/2000/svg" width="20" height="20"><style>rect { fill: url(https://x.example/t) }</style></svg>"#,
            br#"<!DOCTYPE svg [<!ENTITY x "y">]><svg xmlns="http://www.w3.org/2000/svg" width="20" height="20"/>"#,
            br#"<svg xmlns="http://www.w3.org/2000/svg" width="20" height="20"><a><set attributeName="href" to="javascript:alert(1)"/><rect/></a></svg>"#,
            br#"<svg xmlns="http://www.w3.org/2000/svg" width="20" height="20"><rect style="fill: url(https://x.example/t)"/></svg>"#,
            br#"<svg xmlns="http://www.w3.org/2000/svg" width="20" height="20"><a><set attributeName="href" to="javascript:alert(1)"/><rect/></a></svg>"#,
            br#"<svg xmlns="http://www.w3.org/2000/svg" width="20" height="20"><rect style="fill: url(https://x.example/t)"/></svg>"#,
            br#"<html/>"#,
            br#"<svg xmlns="http://www.w3.org/2000/svg"/>"#,
        ] {
            assert!(check(Some("image/svg+xml"), bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }
}
