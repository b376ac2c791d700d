//! How the console looks for a group: the theme plugin's answer (`plugins::theme`), checked and
//! turned into what a page shows — the product's name in the header and title, a stylesheet of
//! CSS variables (`/theme.css`, so the CSP stays `style-src 'self'`), the logo and favicon
//! (`/theme/logo`, `/theme/favicon`) and the support contact in the footer.
//!
//! These routes take no group: they answer for the group whose console it is — the signed-in
//! user's own, or the installation's root for someone not signed in (the login page). So they
//! can show nothing of another tenant's. Their addresses carry a digest of what they answer
//! (`?v=`), and each answers an `ETag`: a theme changed shows on the next page, an unchanged
//! one costs a 304.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha2::{Digest, Sha256};
use tenantry_domain::Group;
use tenantry_plugin_host::api::{Theme, ThemeImage};
use tenantry_storage::{StoreError, groups};

use super::page::ConsoleError;
use super::viewer::Viewer;
use crate::error::ApiError;
use crate::state::AppState;

/// The name pages carry when no theme names the product.
pub const PRODUCT: &str = "Tenantry";
/// At most this many characters of a name or contact are shown.
const MAX_TEXT: usize = 100;
/// An image larger than this is not served (the branding plugin takes at most 1 MiB).
const MAX_IMAGE_BYTES: usize = 1024 * 1024;

/// What a page shows of its theme: every value checked, every address versioned.
#[derive(Debug, Clone)]
pub struct Look {
    pub product: String,
    pub company: Option<String>,
    pub support_email: Option<String>,
    pub support_phone: Option<String>,
    /// Only `http(s)://` addresses, so that a link can never run script.
    pub support_url: Option<String>,
    pub stylesheet: Option<String>,
    pub logo: Option<String>,
    pub favicon: Option<String>,
}

impl Default for Look {
    fn default() -> Look {
        Look::from(None)
    }
}

impl Look {
    /// Whether the footer has a support contact to show.
    pub fn has_support(&self) -> bool {
        self.support_email.is_some() || self.support_phone.is_some() || self.support_url.is_some()
    }
}

impl From<Option<Theme>> for Look {
    fn from(theme: Option<Theme>) -> Look {
        Look::new(theme, None)
    }
}

impl Look {
    /// The look of a theme; for the page of a white-label login address, its stylesheet and
    /// images are asked for by the address (nobody is signed in yet).
    pub fn new(theme: Option<Theme>, login: Option<&str>) -> Look {
        let theme = theme.unwrap_or_default();
        let login = login.map_or_else(String::new, |address| format!("&login={address}"));
        let stylesheet = Colours::of(&theme)
            .map(|colours| format!("/theme.css?v={}{login}", digest(&colours.css())));
        let image = |name: &str, image: &Option<ThemeImage>| {
            image
                .as_ref()
                .filter(|i| is_image_type(&i.content_type))
                .map(|i| format!("/theme/{name}?v={}{login}", digest(&i.version)))
        };
        Look {
            product: text(theme.product_name.as_deref()).unwrap_or_else(|| PRODUCT.to_owned()),
            company: text(theme.company_name.as_deref()),
            support_email: text(theme.support_email.as_deref()).filter(|e| e.contains('@')),
            support_phone: text(theme.support_phone.as_deref()),
            support_url: text(theme.support_url.as_deref())
                .filter(|u| u.starts_with("https://") || u.starts_with("http://")),
            logo: image("logo", &theme.logo),
            favicon: image("favicon", &theme.favicon),
            stylesheet,
        }
    }
}

/// A text as a page may show it: trimmed, without control characters, at most `MAX_TEXT`
/// characters; nothing when blank.
fn text(value: Option<&str>) -> Option<String> {
    let clean: String = value?
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_TEXT)
        .collect();
    (!clean.is_empty()).then_some(clean)
}

fn is_image_type(content_type: &str) -> bool {
    matches!(content_type, "image/png" | "image/svg+xml")
}

/// A short digest for addresses and `ETag`s.
fn digest(text: &str) -> String {
    Sha256::digest(text.as_bytes())[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The theme's colours, each a checked `#rrggbb`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Colours {
    main: Option<Rgb>,
    accent: Option<Rgb>,
    navigation_text: Option<Rgb>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Rgb(u8, u8, u8);

impl Rgb {
    /// `#rgb` or `#rrggbb`; anything else is no colour (it never reaches a stylesheet).
    fn parse(value: Option<&str>) -> Option<Rgb> {
        let hex = value?.trim().strip_prefix('#')?;
        if !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        let channel = |digits: &str| u8::from_str_radix(digits, 16).ok();
        match hex.len() {
            3 => {
                let twice = |i: usize| channel(&hex[i..=i].repeat(2));
                Some(Rgb(twice(0)?, twice(1)?, twice(2)?))
            }
            6 => Some(Rgb(
                channel(&hex[0..2])?,
                channel(&hex[2..4])?,
                channel(&hex[4..6])?,
            )),
            _ => None,
        }
    }

    fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }

    /// WCAG relative luminance.
    fn luminance(self) -> f64 {
        let linear = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.039_28 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * linear(self.0) + 0.7152 * linear(self.1) + 0.0722 * linear(self.2)
    }

    /// White or near-black, whichever reads better on this colour.
    fn readable_text(self) -> Rgb {
        let on_white = 1.05 / (self.luminance() + 0.05);
        let on_black = (self.luminance() + 0.05) / 0.05;
        if on_white >= on_black {
            Rgb(255, 255, 255)
        } else {
            Rgb(0x1d, 0x27, 0x33)
        }
    }
}

impl Colours {
    /// The theme's colours, or `None` when it sets none that reads.
    fn of(theme: &Theme) -> Option<Colours> {
        let colours = Colours {
            main: Rgb::parse(theme.main_color.as_deref()),
            accent: Rgb::parse(theme.accent_color.as_deref()),
            navigation_text: Rgb::parse(theme.navigation_text_color.as_deref()),
        };
        (colours.main.is_some() || colours.accent.is_some() || colours.navigation_text.is_some())
            .then_some(colours)
    }

    /// The variables `console.css` reads, overridden. Text on the main colour is the theme's,
    /// or else white or dark, whichever reads on it.
    fn css(&self) -> String {
        let mut css = String::from(":root {\n");
        if let Some(main) = self.main {
            let text = self.navigation_text.unwrap_or_else(|| main.readable_text());
            css.push_str(&format!("  --brand: {};\n", main.hex()));
            css.push_str(&format!("  --brand-text: {};\n", text.hex()));
            css.push_str(&format!(
                "  --brand-muted: color-mix(in srgb, {} 75%, {});\n",
                text.hex(),
                main.hex()
            ));
            css.push_str(&format!("  --brand-mark: {};\n", text.hex()));
        } else if let Some(text) = self.navigation_text {
            css.push_str(&format!("  --brand-text: {};\n", text.hex()));
        }
        if let Some(accent) = self.accent {
            let accent = accent.hex();
            css.push_str(&format!("  --accent: {accent};\n"));
            css.push_str(&format!(
                "  --accent-hover: color-mix(in srgb, {accent} 80%, black);\n"
            ));
            css.push_str(&format!(
                "  --accent-soft: color-mix(in srgb, {accent} 10%, white);\n"
            ));
            css.push_str(&format!("  --focus: {accent};\n"));
        }
        css.push_str("}\n");
        css
    }
}

/// Whose theme a request is for: the viewer's own group; for nobody signed in, the group of the
/// white-label login address the request names (asked through the root), else the root's.
async fn console_group(
    state: &AppState,
    viewer: Option<Viewer>,
    login: Option<&str>,
) -> Result<(Group, Option<String>), ConsoleError> {
    if let Some(viewer) = viewer {
        return Ok((viewer.group, None));
    }
    let root = state.read(groups::root).await?;
    let root = root.ok_or_else(|| {
        ConsoleError::from(ApiError::from(StoreError::Corrupt(
            "no root group".to_owned(),
        )))
    })?;
    Ok((
        root,
        login.filter(|a| is_login_address(a)).map(str::to_owned),
    ))
}

/// What a white-label login address may look like (the branding plugin checks the same when it
/// is set): 3 to 40 lowercase letters, digits and inner hyphens.
pub fn is_login_address(address: &str) -> bool {
    (3..=40).contains(&address.len())
        && !address.starts_with('-')
        && !address.ends_with('-')
        && address
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// The query of the theme's routes: beside the digest pages put there, a login address.
#[derive(Debug, serde::Deserialize)]
pub struct ThemeQuery {
    login: Option<String>,
}

/// The look of the console for whoever asks: the signed-in user's group's, the group's whose
/// login address it is (`None` when no group has it), or the root's.
pub async fn look_for(
    state: &AppState,
    viewer: Option<Viewer>,
    login: Option<&str>,
) -> Option<Look> {
    let Ok((group, login)) = console_group(state, viewer, login).await else {
        return Some(Look::default());
    };
    let plugins = std::sync::Arc::clone(&state.plugins);
    let asked = login.clone();
    let theme = state
        .read(move |c| Ok(plugins.theme(c, group, asked.as_deref(), false)))
        .await
        .unwrap_or_default();
    match (&login, theme) {
        (Some(_), None) => None,
        (_, theme) => Some(Look::new(theme, login.as_deref())),
    }
}

/// Answers `bytes` with an `ETag` of `version`, or 304 when the browser has them.
fn with_etag(req: &HttpRequest, version: &str, content_type: &str, bytes: Vec<u8>) -> HttpResponse {
    let etag = format!("\"{}\"", digest(version));
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|sent| sent.split(',').any(|tag| tag.trim() == etag));
    let mut answer = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    answer
        .insert_header((header::ETAG, etag))
        // Per person (the theme follows the session), checked again on every use.
        .insert_header((header::CACHE_CONTROL, "private, no-cache"))
        .insert_header((header::VARY, "Cookie"))
        .insert_header(("X-Content-Type-Options", "nosniff"));
    if fresh {
        answer.finish()
    } else {
        answer.content_type(content_type).body(bytes)
    }
}

/// `GET /theme.css`: the console's colours for the group whose console it is.
pub async fn stylesheet(
    state: web::Data<AppState>,
    viewer: Option<Viewer>,
    req: HttpRequest,
    query: web::Query<ThemeQuery>,
) -> Result<HttpResponse, ConsoleError> {
    let (group, login) = console_group(&state, viewer, query.login.as_deref()).await?;
    let plugins = std::sync::Arc::clone(&state.plugins);
    let theme = state
        .read(move |c| Ok(plugins.theme(c, group, login.as_deref(), false)))
        .await?;
    let css = theme
        .as_ref()
        .and_then(Colours::of)
        .map(|colours| colours.css())
        .unwrap_or_else(|| ":root {}\n".to_owned());
    Ok(with_etag(
        &req,
        &css,
        "text/css; charset=utf-8",
        css.clone().into_bytes(),
    ))
}

/// `GET /theme/{image}`: the logo or favicon of the group whose console it is (404 without).
pub async fn image(
    state: web::Data<AppState>,
    viewer: Option<Viewer>,
    req: HttpRequest,
    name: web::Path<String>,
    query: web::Query<ThemeQuery>,
) -> Result<HttpResponse, ConsoleError> {
    let name = name.into_inner();
    let not_found = || ConsoleError::from(ApiError::not_found("image"));
    if name != "logo" && name != "favicon" {
        return Err(not_found());
    }
    let (group, login) = console_group(&state, viewer, query.login.as_deref()).await?;
    let plugins = std::sync::Arc::clone(&state.plugins);
    let theme = state
        .read(move |c| Ok(plugins.theme(c, group, login.as_deref(), true)))
        .await?;
    let image = theme
        .and_then(|t| if name == "logo" { t.logo } else { t.favicon })
        .filter(|i| is_image_type(&i.content_type))
        .ok_or_else(not_found)?;
    let bytes = image
        .base64
        .as_deref()
        .and_then(|encoded| BASE64.decode(encoded).ok())
        .filter(|bytes| bytes.len() <= MAX_IMAGE_BYTES)
        .ok_or_else(not_found)?;
    let mut answer = with_etag(&req, &image.version, &image.content_type, bytes);
    // An SVG opened on its own runs in a sandbox with nothing to load.
    if image.content_type == "image/svg+xml" {
        answer.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY,
            header::HeaderValue::from_static(
                "default-src 'none'; style-src 'unsafe-inline'; sandbox",
            ),
        );
    }
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn theme(main: &str, accent: &str, text: &str) -> Theme {
        let some = |v: &str| (!v.is_empty()).then(|| v.to_owned());
        Theme {
            main_color: some(main),
            accent_color: some(accent),
            navigation_text_color: some(text),
            ..Theme::default()
        }
    }

    #[test]
    fn only_hex_colours_reach_the_stylesheet() {
        for wrong in [
            "red",
            "#12",
            "#1234567",
            "#gggggg",
            "#fff;} body{display:none",
            "expression(alert(1))",
        ] {
            assert_eq!(Colours::of(&theme(wrong, wrong, wrong)), None, "{wrong}");
        }
        let css = Colours::of(&theme("#abc", "#0B5CAB", ""))
            .map(|c| c.css())
            .unwrap_or_default();
        assert!(css.contains("--brand: #aabbcc;"), "{css}");
        assert!(css.contains("--accent: #0b5cab;"), "{css}");
    }

    #[test]
    fn text_on_the_main_colour_stays_readable() {
        assert_eq!(Rgb(255, 255, 0).readable_text(), Rgb(0x1d, 0x27, 0x33));
        assert_eq!(Rgb(0x13, 0x29, 0x4b).readable_text(), Rgb(255, 255, 255));
        // The theme's own text colour wins.
        let css = Colours::of(&theme("#ffff00", "", "#000000"))
            .map(|c| c.css())
            .unwrap_or_default();
        assert!(css.contains("--brand-text: #000000;"), "{css}");
    }

    #[test]
    fn texts_and_links_are_checked() {
        let look = Look::from(Some(Theme {
            product_name: Some("  Acme\u{7} Backup ".into()),
            support_url: Some("javascript:alert(1)".into()),
            support_email: Some("not an address".into()),
            ..Theme::default()
        }));
        assert_eq!(look.product, "Acme Backup");
        assert_eq!(look.support_url, None);
        assert_eq!(look.support_email, None);
        assert_eq!(Look::default().product, PRODUCT);
        assert_eq!(Look::default().stylesheet, None);
    }
}
