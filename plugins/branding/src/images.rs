//! Logos and favicons: PNG or SVG, at most 512 kB, with sensible dimensions; an SVG that could
//! run script or fetch anything is refused rather than "cleaned", so what is stored is exactly
//! what was checked.

use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};
use serde::{Deserialize, Serialize};
use tenantry_plugin_api::{PluginError, PluginErrorCode};

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
            PluginErrorCode::PayloadTooLarge,
            format!("an image is at most {} kB", MAX_BYTES / 1024),
        ));
    }
    let (width, height) = match content_type {
        Some("image/png") => png_size(bytes)?,
        Some("image/svg+xml") => svg_size(bytes)?,
        _ => {
            return Err(PluginError::new(
                PluginErrorCode::UnsupportedMediaType,
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

/// The elements a logo or an icon is drawn with, and nothing else: shapes, text, paint servers,
/// clipping, masking, filters, reuse within the document, styles and metadata. Everything that
/// runs script, embeds another document, animates (an animation can rewrite a link after this
/// check) or comes from another vocabulary (XHTML's `meta` refresh, say) is not on the list, so
/// whatever a later standard adds is refused until someone decides it is safe.
const ALLOWED_ELEMENTS: [&str; 53] = [
    "svg",
    "g",
    "defs",
    "symbol",
    "use",
    "title",
    "desc",
    "metadata",
    "style",
    "switch",
    "a",
    "path",
    "rect",
    "circle",
    "ellipse",
    "line",
    "polyline",
    "polygon",
    "text",
    "tspan",
    "textPath",
    "linearGradient",
    "radialGradient",
    "stop",
    "pattern",
    "clipPath",
    "mask",
    "marker",
    "image",
    "filter",
    "feBlend",
    "feColorMatrix",
    "feComponentTransfer",
    "feComposite",
    "feConvolveMatrix",
    "feDiffuseLighting",
    "feDisplacementMap",
    "feDistantLight",
    "feDropShadow",
    "feFlood",
    "feFuncA",
    "feFuncB",
    "feFuncG",
    "feFuncR",
    "feGaussianBlur",
    "feMerge",
    "feMergeNode",
    "feMorphology",
    "feOffset",
    "fePointLight",
    "feSpecularLighting",
    "feSpotLight",
    "feTile",
];

/// What drawing programs leave in their files and browsers ignore: Inkscape's and Sodipodi's
/// view settings, and the descriptions (RDF, Dublin Core) inside `<metadata>`. Any element may
/// stand inside `<metadata>` (nothing there is drawn or run) except these, which would be
/// dangerous wherever a browser met them.
const EDITOR_ELEMENTS: [&str; 6] = [
    "namedview",
    "perspective",
    "path-effect",
    "guide",
    "grid",
    "page",
];
const NEVER: [&str; 14] = [
    "script",
    "iframe",
    "embed",
    "object",
    "foreignObject",
    "meta",
    "link",
    "base",
    "handler",
    "set",
    "animate",
    "animateMotion",
    "animateTransform",
    "discard",
];

/// CSS as a browser reads it, for checking: comments out, escapes (`\40 import`, `u\72l(`,
/// `\@import`) resolved, lower case.
fn css_as_read(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut last = ' ';
                for c in chars.by_ref() {
                    if last == '*' && c == '/' {
                        break;
                    }
                    last = c;
                }
            }
            '\\' => {
                let mut hex = String::new();
                while hex.len() < 6 && chars.peek().is_some_and(char::is_ascii_hexdigit) {
                    hex.extend(chars.next());
                }
                if hex.is_empty() {
                    // `\x` is `x`, whatever x is (a newline escape is nothing).
                    if let Some(next) = chars.next().filter(|c| *c != '\n') {
                        out.push(next);
                    }
                } else {
                    // One white space after a hex escape belongs to it.
                    if chars.peek().is_some_and(|c| c.is_whitespace()) {
                        chars.next();
                    }
                    let code = u32::from_str_radix(&hex, 16).unwrap_or(0xfffd);
                    out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                }
            }
            other => out.push(other),
        }
    }
    out.to_lowercase()
}

/// Whether CSS or an attribute value reaches outside the document: a script URL, an import, an
/// image set, or a `url(…)` that is not a fragment of the document itself (`url(#gradient)` is
/// fine). Read as a browser would, escapes and comments resolved.
fn reaches_out(text: &str) -> bool {
    let lower = css_as_read(text);
    let squeezed: String = lower.chars().filter(|c| !c.is_whitespace()).collect();
    if [
        "javascript:",
        "@import",
        "image-set(",
        "expression(",
        "@namespace",
        "@font-face",
    ]
    .iter()
    .any(|bad| squeezed.contains(bad))
    {
        return true;
    }
    squeezed.match_indices("url(").any(|(at, _)| {
        let rest = squeezed[at + 4..].trim_start_matches(['"', '\'']);
        !rest.starts_with('#')
    })
}

/// How deep elements may nest, and how many a document may hold: far more than a logo needs, and
/// bounds that keep a hostile file from costing more than a real one. The reader is a stream
/// (no recursion), so depth costs no stack either way.
const MAX_DEPTH: usize = 64;
const MAX_ELEMENTS: usize = 10_000;

fn invalid(message: &str) -> PluginError {
    PluginError::invalid("image", message.to_owned())
}

fn malformed<E>(_: E) -> PluginError {
    invalid("is not well-formed SVG")
}

/// Reads the SVG as a stream of XML events, refusing what could run script or load anything,
/// and answers the size its root element declares.
fn svg_size(bytes: &[u8]) -> Result<(f64, f64), PluginError> {
    let text = std::str::from_utf8(bytes).map_err(|_| invalid("is not UTF-8 SVG text"))?;
    let mut reader = Reader::from_str(text);
    reader.config_mut().check_comments = true;
    let (mut depth, mut elements) = (0usize, 0usize);
    let mut size = None;
    let mut root_closed = false;
    // The text of the `<style>` element being read, and the depth it opened at.
    let mut style: Option<(usize, String)> = None;
    // The depth a `<metadata>` element opened at, while inside it.
    let mut metadata: Option<usize> = None;
    loop {
        let event = reader.read_event().map_err(malformed)?;
        match &event {
            Event::Start(element) | Event::Empty(element) => {
                if root_closed {
                    return Err(invalid("has more than one root element"));
                }
                elements += 1;
                if elements > MAX_ELEMENTS {
                    return Err(invalid(&format!("has more than {MAX_ELEMENTS} elements")));
                }
                let name = check_element(element, metadata.is_some())?;
                if name == "metadata" && metadata.is_none() && matches!(event, Event::Start(_)) {
                    metadata = Some(depth + 1);
                }
                if depth == 0 {
                    if name != "svg" {
                        return Err(invalid("is not an SVG document"));
                    }
                    size = Some(declared_size(element)?);
                }
                if matches!(event, Event::Start(_)) {
                    depth += 1;
                    if depth > MAX_DEPTH {
                        return Err(invalid(&format!(
                            "nests elements more than {MAX_DEPTH} deep"
                        )));
                    }
                    if name.eq_ignore_ascii_case("style") && style.is_none() {
                        style = Some((depth, String::new()));
                    }
                } else if depth == 0 {
                    root_closed = true;
                }
            }
            Event::End(_) => {
                if metadata == Some(depth) {
                    metadata = None;
                }
                if let Some((opened, css)) = &style
                    && *opened == depth
                {
                    if reaches_out(css) {
                        return Err(invalid("must not load anything from its styles"));
                    }
                    style = None;
                }
                depth = depth.checked_sub(1).ok_or_else(|| malformed(()))?;
                root_closed = depth == 0;
            }
            Event::Text(text) => {
                let content = text.xml10_content();
                if depth == 0 && !content.trim().is_empty() {
                    return Err(malformed(()));
                }
                if let Some((_, css)) = &mut style {
                    css.push_str(&content);
                }
            }
            Event::CData(data) => {
                if let Some((_, css)) = &mut style {
                    css.push_str(&data.clone().into_inner());
                }
            }
            Event::GeneralRef(reference) => {
                let resolved = match reference.resolve_char_ref().map_err(malformed)? {
                    Some(c) => c.to_string(),
                    None => resolve_predefined_entity(&reference.clone().into_inner())
                        .ok_or_else(|| invalid("uses an entity XML does not define"))?
                        .to_owned(),
                };
                if let Some((_, css)) = &mut style {
                    css.push_str(&resolved);
                }
            }
            // No DTDs: entity tricks are refused outright.
            Event::DocType(_) => return Err(invalid("must not carry a DOCTYPE")),
            // `<?xml-stylesheet …?>` loads a style sheet; no other instruction has a use here.
            Event::PI(_) => return Err(invalid("must not carry processing instructions")),
            Event::Decl(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    match size {
        Some(size) if root_closed => Ok(size),
        _ => Err(malformed(())),
    }
}

/// Checks one element's name and attributes; answers its name (without a prefix).
fn check_element(element: &BytesStart<'_>, in_metadata: bool) -> Result<String, PluginError> {
    let name = element.local_name().as_ref().to_owned();
    let allowed = ALLOWED_ELEMENTS.contains(&name.as_str())
        || EDITOR_ELEMENTS.contains(&name.as_str())
        || (in_metadata && !NEVER.iter().any(|never| never.eq_ignore_ascii_case(&name)));
    if !allowed {
        return Err(invalid(&format!(
            "must not contain <{name}>: only shapes, text, gradients, patterns, clips, masks, \
             filters, styles and links within the image are allowed"
        )));
    }
    for attribute in element.attributes() {
        let attribute = attribute.map_err(malformed)?;
        let attr = attribute.key.local_name().as_ref().to_ascii_lowercase();
        // `xml:base` moves where the document's own links point.
        if attr == "base" {
            return Err(invalid("must not carry xml:base"));
        }
        let value = attribute
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(malformed)?;
        if attr.starts_with("on") {
            return Err(invalid(&format!("must not carry event handlers ({attr})")));
        }
        if attr == "href" && !value.trim_start().starts_with('#') {
            return Err(invalid("may link only within itself (href=\"#…\")"));
        }
        if reaches_out(&value) {
            return Err(invalid(&format!("must not load anything ({attr})")));
        }
    }
    Ok(name)
}

/// The size the root element declares: width and height, or else its viewBox.
fn declared_size(root: &BytesStart<'_>) -> Result<(f64, f64), PluginError> {
    let attribute = |name: &str| -> Option<String> {
        root.attributes()
            .flatten()
            .find(|a| a.key.as_ref() == name)
            .and_then(|a| a.normalized_value(XmlVersion::Implicit1_0).ok())
            .map(|v| v.into_owned())
    };
    let number = |name: &str| {
        attribute(name).and_then(|v| v.trim().trim_end_matches("px").parse::<f64>().ok())
    };
    if let (Some(width), Some(height)) = (number("width"), number("height")) {
        return Ok((width, height));
    }
    let view_box: Vec<f64> = attribute("viewBox")
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
            PluginErrorCode::UnsupportedMediaType
        );
        assert_eq!(
            check(Some("image/png"), &vec![0; MAX_BYTES + 1])
                .unwrap_err()
                .code,
            PluginErrorCode::PayloadTooLarge
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

    fn svg(body: &str) -> Vec<u8> {
        format!(r#"<svg xmlns="http://www.w3.org/2000/svg" width="20" height="20">{body}</svg>"#)
            .into_bytes()
    }

    #[test]
    fn deep_or_huge_svgs_are_refused_without_using_the_stack() {
        // 3,500 nested groups once overflowed a server thread's stack and aborted the process.
        // Checked here on a thread with 64 kB of stack: the reader does not recurse.
        let deep = svg(&format!("{}{}", "<g>".repeat(3500), "</g>".repeat(3500)));
        let refused = std::thread::Builder::new()
            .stack_size(64 * 1024)
            .spawn(move || check(Some("image/svg+xml"), &deep).unwrap_err())
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(refused.code, PluginErrorCode::ValidationFailed);
        assert!(
            refused.message.contains("nests elements more than 64 deep"),
            "{}",
            refused.message
        );

        let fine = svg(&format!("{}{}", "<g>".repeat(60), "</g>".repeat(60)));
        assert!(check(Some("image/svg+xml"), &fine).is_ok());

        let many = svg(&"<rect/>".repeat(MAX_ELEMENTS));
        let refused = check(Some("image/svg+xml"), &many).unwrap_err();
        assert!(refused.message.contains("elements"), "{}", refused.message);
    }

    #[test]
    fn escaped_and_unusual_ways_to_load_or_run_are_refused() {
        for bad in [
            // Character references spell what plain text would have.
            svg(r#"<a href="&#106;avascript:alert(1)"><rect/></a>"#),
            svg("<style>&#64;import 'https://x.example/s.css';</style>"),
            svg("<style><![CDATA[@import 'https://x.example/s.css';]]></style>"),
            format!(
                r#"<?xml-stylesheet href="https://x.example/s.css"?>{}"#,
                String::from_utf8(svg("")).unwrap()
            )
            .into_bytes(),
            svg("<rect/></svg><svg>"),
            svg("<rect>"),
            format!("{}trailing text", String::from_utf8(svg("")).unwrap()).into_bytes(),
            svg("&undefined;"),
            svg("<!-- a -- b -->"),
            // CSS escapes and comments spell an import, a URL or an image set all the same.
            svg(r"<style>@\69mport 'https://x.example/s.css';</style>"),
            svg(r"<style>@\000069 mport 'https://x.example/s.css';</style>"),
            svg(r"<style>@imp\ort 'https://x.example/s.css';</style>"),
            svg("<style>@im/**/port 'https://x.example/s.css';</style>"),
            svg(r"<style>rect { fill: u\72l(https://x.example/t) }</style>"),
            svg(r#"<rect style="fill: url ( 'https://x.example/t' )"/>"#),
            svg(r#"<rect style="background: image-set('https://x.example/a.png' 1x)"/>"#),
            svg("<style>rect { background: -webkit-image-set(url(#a) 1x, 'x.png' 2x) }</style>"),
            // Another document's base, and elements from other vocabularies or that animate.
            svg(r##"<g xml:base="https://x.example/"><use href="#a"/></g>"##),
            svg(
                r#"<meta xmlns="http://www.w3.org/1999/xhtml" http-equiv="refresh" content="0;url=https://x.example/"/>"#,
            ),
            svg(r#"<animate attributeName="href" to="https://x.example/"/>"#),
            svg("<unknownFutureThing/>"),
            svg("<iframe/>"),
            svg("<metadata><script>alert(1)</script></metadata>"),
            svg(
                r#"<metadata><meta xmlns="http://www.w3.org/1999/xhtml" http-equiv="refresh"/></metadata>"#,
            ),
        ] {
            assert!(
                check(Some("image/svg+xml"), &bad).is_err(),
                "{}",
                String::from_utf8_lossy(&bad)
            );
        }
        let with_text =
            svg("<text>Acme &amp; Co &#169;</text><style>rect { fill: url(#shade) }</style>");
        assert!(check(Some("image/svg+xml"), &with_text).is_ok());
        // What Inkscape writes around a drawing passes.
        let inkscape = svg(
            r##"<sodipodi:namedview xmlns:sodipodi="http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd" pagecolor="#ffffff"/><metadata><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:cc="http://creativecommons.org/ns#" xmlns:dc="http://purl.org/dc/elements/1.1/"><cc:Work><dc:format>image/svg+xml</dc:format></cc:Work></rdf:RDF></metadata><g><path d="M0 0h10v10z"/></g>"##,
        );
        assert!(
            check(Some("image/svg+xml"), &inkscape).is_ok(),
            "{:?}",
            check(Some("image/svg+xml"), &inkscape)
        );
        let declared = format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>{}"#,
            String::from_utf8(svg("")).unwrap()
        );
        assert!(check(Some("image/svg+xml"), declared.as_bytes()).is_ok());
    }
}
