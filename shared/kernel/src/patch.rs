//! Partial updates: telling a field that is absent from one sent as `null`.

use serde::{Deserialize, Deserializer};

/// For `#[serde(default, deserialize_with = "crm_kernel::patch::nullable")]`
/// on an `Option<Option<T>>`: absent → `None` (keep), `null` → `Some(None)`
/// (clear), a value → `Some(Some(v))` (set).
pub fn nullable<'de, T: Deserialize<'de>, D: Deserializer<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}
