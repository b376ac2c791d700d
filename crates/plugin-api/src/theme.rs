//! How a group's console looks: the one plugin whose manifest says `themes` answers
//! [`ThemeCall`] for the group whose console it is (the signed-in user's, or the installation's
//! root on the plain login page). The host draws every page with it: names in the header and
//! title, colours as CSS variables, the logo and favicon, the support contact in the footer.
//!
//! The host trusts none of it: colours must be `#rgb` or `#rrggbb`, texts are escaped and
//! shortened, images must be PNG or SVG of at most 1 MiB; whatever fails is left out (and the
//! installation's look stands in), never an error on the page.

use serde::{Deserialize, Serialize};

/// The host asks for a group's theme.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThemeCall {
    pub group_id: i64,
    /// Answer the images' bytes too (the host asks only when it serves one): a page needs only
    /// their versions.
    #[serde(default)]
    pub with_images: bool,
    /// A white-label login address (`/login/{address}`): the theme of the group it belongs to,
    /// instead of `group_id`'s (the root's, then, whose reach is the whole tree); `not_found`
    /// when no group has it.
    #[serde(default)]
    pub login_address: Option<String>,
}

/// A group's theme: each value the group's own or inherited, as the plugin decides.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Theme {
    /// The product's name, in the header and the window's title (`Acme Backup`).
    #[serde(default)]
    pub product_name: Option<String>,
    /// The company behind it, beside the support contact.
    #[serde(default)]
    pub company_name: Option<String>,
    /// The header's and primary buttons' colour.
    #[serde(default)]
    pub main_color: Option<String>,
    /// Links and highlights.
    #[serde(default)]
    pub accent_color: Option<String>,
    /// Text on the main colour.
    #[serde(default)]
    pub navigation_text_color: Option<String>,
    #[serde(default)]
    pub support_email: Option<String>,
    #[serde(default)]
    pub support_phone: Option<String>,
    #[serde(default)]
    pub support_url: Option<String>,
    #[serde(default)]
    pub logo: Option<ThemeImage>,
    #[serde(default)]
    pub favicon: Option<ThemeImage>,
}

/// An image of a theme.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThemeImage {
    /// `image/png` or `image/svg+xml`.
    pub content_type: String,
    /// Changes whenever the image does (a record's version, a digest): pages address the image
    /// by it, so that browsers may keep it.
    pub version: String,
    /// The bytes, base64: only when the call asked `with_images`.
    #[serde(default)]
    pub base64: Option<String>,
}
