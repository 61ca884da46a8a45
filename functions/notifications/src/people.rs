//! What the notifications core reads about the tenant and its users: the
//! plan (features and caps) and a user's addresses, locale and time zone.
//! Views over the identity items (unknown attributes ignored), so this
//! context never writes them.

use crm_directory::UserView;
use crm_kernel::{AppError, TenantId, UserId};
use crm_store::{keys, Store};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct TenantView {
    pub name: String,
    pub plan: String,
    /// `active` or `suspended`.
    pub status: String,
}

impl TenantView {
    pub async fn load(store: &Store, tenant: TenantId) -> Result<Self, AppError> {
        store.get_as::<Self>(&keys::tenant(tenant)).await?.ok_or(AppError::NotFound)
    }
}

/// A user as a recipient: the directory's view ([`crm_directory`]), if
/// they are in `tenant` and not deactivated (else 404: a foreign or
/// removed user is not a recipient).
pub async fn recipient(store: &Store, tenant: TenantId, user: UserId) -> Result<UserView, AppError> {
    crm_directory::get(store, tenant, user).await?.filter(|u| !u.is_deactivated()).ok_or(AppError::NotFound)
}
