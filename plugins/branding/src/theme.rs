//! The console's theme for a group: its effective branding (each value its own or the nearest
//! ancestor's, as the effective view resolves them), with the images' versions, and their bytes
//! when the host serves one.

use tenantry_plugin_api::{Host, PluginError, Theme, ThemeCall, ThemeImage};

use crate::images::Image;
use crate::values::Values;
use crate::{IMAGES, VALUES, chain, data_collection, nearest_image, own, stored_values};

pub fn of(host: &Host, call: &ThemeCall) -> Result<Theme, PluginError> {
    // A login address names the group whose theme it is (the host asks through the root).
    let group_id = match &call.login_address {
        Some(address) => {
            host.find_record(VALUES, address)?
                .ok_or_else(|| PluginError::not_found("login address"))?
                .group_id
        }
        None => call.group_id,
    };
    let group = host.group(group_id)?;
    let chain = chain(host, &group)?;
    let mut sets: Vec<Values> = Vec::new();
    for member in &chain {
        if let Some(record) = own(host, member.id, VALUES)? {
            sets.push(stored_values(&record)?);
        }
    }
    let nearest = |field: &str| sets.iter().find_map(|values| values.get(field).cloned());
    let mut images = Vec::new();
    for image in IMAGES {
        images.push(match nearest_image(host, &chain, image)? {
            None => None,
            Some((source, meta)) => {
                let content_type = meta.data["content_type"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                let base64 = if call.with_images {
                    let record = own(host, source, &data_collection(image))?
                        .ok_or_else(|| PluginError::not_found(image))?;
                    let stored: Image = serde_json::from_value(record.data)
                        .map_err(|e| PluginError::internal(e.to_string()))?;
                    Some(stored.base64)
                } else {
                    None
                };
                Some(ThemeImage {
                    content_type,
                    version: format!("{}.{}.{}", source, meta.id, meta.updated_at),
                    base64,
                })
            }
        });
    }
    let mut images = images.into_iter();
    Ok(Theme {
        product_name: nearest("product_name"),
        company_name: nearest("company_name"),
        main_color: nearest("main_color"),
        accent_color: nearest("accent_color"),
        navigation_text_color: nearest("navigation_text_color"),
        support_email: nearest("support_email"),
        support_phone: nearest("support_phone"),
        support_url: nearest("support_url"),
        logo: images.next().flatten(),
        favicon: images.next().flatten(),
    })
}
