//! PATCH bodies must tell "set this field to null" from "leave this field alone".

use serde::{Deserialize, Deserializer};

/// For `Option<Option<T>>` fields with `#[serde(default)]`: absent stays `None`, an explicit
/// `null` becomes `Some(None)`, a value becomes `Some(Some(value))`.
/// For `Option<T>` fields with `#[serde(default)]` that may be left out but never be `null`:
/// an explicit `null` is an error naming the field, not a silent "no change".
pub(crate) fn not_null<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

pub(crate) fn nullable<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}
