//! PATCH bodies must tell "set this field to null" from "leave this field alone".

use serde::{Deserialize, Deserializer};

/// For `Option<Option<T>>` fields with `#[serde(default)]`: absent stays `None`, an explicit
/// `null` becomes `Some(None)`, a value becomes `Some(Some(value))`.
pub(crate) fn nullable<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}
