//! What the notifications core reads about the tenant and its users: the
//! plan (features and caps) and a user's addresses, locale and time zone.
//! Views over the identity items (unknown attributes ignored), so this
//! context never writes them.

use crm_directory::UserView;
use crm_kernel::{AppError, TenantId, UserId};
use crm_store::Store;

pub use crm_directory::TenantView;

/// The tenant (`404` if it is gone).
pub async fn tenant(store: &Store, tenant: TenantId) -> Result<TenantView, AppError> {
    crm_directory::tenant(store, tenant).await?.ok_or(AppError::NotFound)
}

/// A user as a recipient: the directory's view ([`crm_directory`]), if
/// they are in `tenant` and not deactivated (else 404: a foreign or
/// removed user is not a recipient).
pub async fn recipient(store: &Store, tenant: TenantId, user: UserId) -> Result<UserView, AppError> {
    crm_directory::get(store, tenant, user).await?.filter(|u| !u.is_deactivated()).ok_or(AppError::NotFound)
}
