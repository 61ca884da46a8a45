//! Mailbox accounts (SalesOS `email_provider_accounts`): a tenant's Gmail or
//! Outlook (Microsoft 365) mailboxes that sales email is sent from, with
//! their OAuth tokens sealed at rest ([`crm_auth::seal`], bound to the
//! account). One account may be the tenant's default (a pointer item, moved
//! in the same transaction); a dispatch may name another. An account whose
//! refresh token stops working turns `reauth_required`.

use crm_kernel::{EntityId, TenantId, Timestamp, UserId};
use crm_store::item::ItemExt;
use crm_store::{item, keys, Index, Item, Key, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::json;

pub const EMAIL_ACCOUNT: &str = "EMAILACCOUNT";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MailboxProvider {
    Gmail,
    Outlook,
}

impl MailboxProvider {
    pub fn as_str(&self) -> &'static str {
        match self {
            MailboxProvider::Gmail => "gmail",
            MailboxProvider::Outlook => "outlook",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    Active,
    ReauthRequired,
    Disabled,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EmailAccount {
    pub id: EntityId,
    pub tenant_id: TenantId,
    pub provider: MailboxProvider,
    pub email: String,
    /// Sealed; never leaves the notifications context.
    pub access_token: String,
    pub refresh_token: String,
    pub token_expires_at: Timestamp,
    pub status: AccountStatus,
    pub created_by: UserId,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: u64,
}

impl EmailAccount {
    pub fn key(tenant: TenantId, id: EntityId) -> Key {
        keys::entity(tenant, EMAIL_ACCOUNT, id)
    }

    /// The tenant's default-account pointer.
    pub fn default_key(tenant: TenantId) -> Key {
        keys::email_default(tenant)
    }

    /// One account per mailbox and provider in a tenant.
    pub fn unique_key(&self) -> Key {
        keys::unique(self.tenant_id, EMAIL_ACCOUNT, &format!("{}#{}", self.provider.as_str(), self.email))
    }

    /// What the sealed tokens are bound to.
    pub fn seal_context(tenant: TenantId, id: EntityId) -> String {
        format!("{tenant}/{EMAIL_ACCOUNT}/{id}")
    }

    pub fn to_item(&self) -> Result<Item, StoreError> {
        Ok(item::to_item(&Self::key(self.tenant_id, self.id), self)?.with_index(
            Index::ByKind,
            keys::by_kind_pk(self.tenant_id, EMAIL_ACCOUNT),
            format!("{}#{}", self.created_at, self.id),
        ))
    }

    /// What the API shows: never a token.
    pub fn public(&self, is_default: bool) -> AccountView {
        AccountView {
            id: self.id,
            provider: self.provider,
            email: self.email.clone(),
            status: self.status,
            is_default,
            token_expires_at: self.token_expires_at,
            created_by: self.created_by,
            created_at: self.created_at,
            updated_at: self.updated_at,
            version: self.version,
        }
    }
}

/// The tenant's default account id, if any.
pub async fn default_id(store: &crm_store::Store, tenant: TenantId) -> Result<Option<EntityId>, StoreError> {
    Ok(store
        .get(&EmailAccount::default_key(tenant))
        .await?
        .and_then(|it| it.str_attr("account_id").and_then(|id| EntityId::parse(id).ok())))
}

/// The pointer item naming `id` the default.
pub fn default_item(tenant: TenantId, id: EntityId) -> Result<Item, StoreError> {
    item::to_item(&EmailAccount::default_key(tenant), &json!({ "account_id": id }))
}

/// A mailbox account as the API shows it: never a token.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct AccountView {
    pub id: EntityId,
    pub provider: MailboxProvider,
    pub email: String,
    pub status: AccountStatus,
    /// Sends go from it unless a dispatch names another.
    pub is_default: bool,
    pub token_expires_at: Timestamp,
    pub created_by: UserId,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: u64,
}
