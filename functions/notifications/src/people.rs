//! What the notifications core reads about the tenant and its users: the
//! plan (features and caps) and a user's addresses, locale and time zone.
//! Views over the identity items (unknown attributes ignored), so this
//! context never writes them.

use crm_kernel::{AppError, Phone, TenantId, Timestamp, UserId};
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

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ProfileView {
    #[serde(default)]
    pub locale: Option<String>,
    #[serde(default)]
    pub timezone: Option<String>,
}

/// A user as a recipient.
#[derive(Debug, Clone, Deserialize)]
pub struct Person {
    pub id: UserId,
    pub email: String,
    pub status: String,
    #[serde(default)]
    pub full_name: Option<String>,
    #[serde(default)]
    pub phone_e164: Option<Phone>,
    #[serde(default)]
    pub phone_verified_at: Option<Timestamp>,
    #[serde(default)]
    pub profile: ProfileView,
}

impl Person {
    /// The user, if they are in `tenant` and not deactivated (else 404: a
    /// foreign or removed user is not a recipient).
    pub async fn load(store: &Store, tenant: TenantId, user: UserId) -> Result<Self, AppError> {
        store.get_as::<Self>(&keys::user(tenant, &user.to_string())).await?.filter(|p| p.status != "deactivated").ok_or(AppError::NotFound)
    }

    /// The phone, only once verified.
    pub fn verified_phone(&self) -> Option<Phone> {
        self.phone_verified_at.and(self.phone_e164.clone())
    }
}
