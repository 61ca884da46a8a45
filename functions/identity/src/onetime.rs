//! Single-use tokens for links sent by email (password reset, email
//! verification, invitations): opaque, stored hashed, with an expiry, spent
//! once (conditional on the version read).

use crm_auth::opaque::{same_hash, OpaqueToken};
use crm_kernel::{AppError, EntityId, TenantId, Timestamp, UserId};
use crm_store::item::ItemExt;
use crm_store::{item, keys, Index, Item, Key, StoreError};
use serde::{Deserialize, Serialize};

/// What a token is for: its wire prefix, its item kind and lifetime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    PasswordReset,
    EmailVerification,
    Invitation,
}

impl Purpose {
    pub fn prefix(self) -> &'static str {
        match self {
            Purpose::PasswordReset => "rst",
            Purpose::EmailVerification => "vfy",
            Purpose::Invitation => "inv",
        }
    }

    fn kind(self) -> &'static str {
        match self {
            Purpose::PasswordReset => "PWRESET",
            Purpose::EmailVerification => "EMAILVERIFY",
            Purpose::Invitation => "INVITE",
        }
    }

    /// The default lifetime (an invitation's is configurable: `INVITATION_TTL_SECS`).
    pub fn ttl_secs(self) -> i64 {
        match self {
            Purpose::PasswordReset => 3600,
            Purpose::EmailVerification => 3 * 24 * 3600,
            Purpose::Invitation => 7 * 24 * 3600,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OneTime {
    pub id: EntityId,
    pub tenant_id: TenantId,
    pub user_id: UserId,
    pub hash: String,
    pub expires_at: Timestamp,
    #[serde(default)]
    pub used_at: Option<Timestamp>,
    /// Set by the expiry sweep when an invitation ran out unused.
    #[serde(default)]
    pub expired_at: Option<Timestamp>,
    /// What the token carries beyond the user (an invitation's email and roles).
    #[serde(default)]
    pub payload: serde_json::Value,
    pub version: u64,
}

impl OneTime {
    /// A new token for `user` and the record that will redeem it.
    pub fn issue(purpose: Purpose, tenant_id: TenantId, user_id: UserId, now: Timestamp) -> (Self, OpaqueToken) {
        Self::issue_for(purpose, tenant_id, user_id, now, purpose.ttl_secs())
    }

    /// The same, living `ttl_secs`.
    pub fn issue_for(purpose: Purpose, tenant_id: TenantId, user_id: UserId, now: Timestamp, ttl_secs: i64) -> (Self, OpaqueToken) {
        let id = EntityId::new();
        let token = OpaqueToken::generate(Some(purpose.prefix()), tenant_id, id);
        (
            Self {
                id,
                tenant_id,
                user_id,
                hash: token.hash(),
                expires_at: now.plus_seconds(ttl_secs),
                used_at: None,
                expired_at: None,
                payload: serde_json::Value::Null,
                version: 1,
            },
            token,
        )
    }

    /// The tenant's open invitations, by expiry (`GET /v1/admin/invitations`).
    pub fn open_invitations_pk(tenant: TenantId) -> String {
        keys::by_lookup_pk(tenant, "invitations", "open")
    }

    pub fn key(purpose: Purpose, tenant: TenantId, id: EntityId) -> Key {
        keys::entity(tenant, purpose.kind(), id)
    }

    /// The item, gone by TTL a day after expiry. An open invitation is also
    /// listed by expiry for the sweep that frees its seat and email
    /// ([`crate::invitations`]); a used or expired one is not.
    pub fn to_item(&self, purpose: Purpose) -> Result<Item, StoreError> {
        let it = item::to_item(&Self::key(purpose, self.tenant_id, self.id), self)?.with_ttl(self.expires_at.unix_seconds() + 24 * 3600);
        Ok(if purpose == Purpose::Invitation && self.used_at.is_none() && self.expired_at.is_none() {
            it.with_index(Index::ByKind, keys::OPEN_INVITATIONS, format!("{}#{}#{}", self.expires_at, self.tenant_id, self.id)).with_index(
                Index::ByLookup,
                Self::open_invitations_pk(self.tenant_id),
                format!("{}#{}", self.expires_at, self.id),
            )
        } else {
            it
        })
    }

    /// The record once used at `now` (write it conditional on `self.version`).
    pub fn spent(&self, now: Timestamp) -> Self {
        Self { used_at: Some(now), version: self.version + 1, ..self.clone() }
    }

    /// Whether `token` redeems this record at `now` (pure).
    pub fn redeemable_by(&self, token: &OpaqueToken, now: Timestamp) -> bool {
        same_hash(&self.hash, &token.hash()) && self.used_at.is_none() && self.expired_at.is_none() && self.expires_at > now
    }
}

/// The error for a token that is unknown, used or expired (one answer for all).
pub fn invalid_token() -> AppError {
    AppError::invalid("token", "invalid, used or expired token")
}

/// Loads the record a presented token points at, if the token redeems it.
pub async fn redeem(store: &crm_store::Store, purpose: Purpose, raw: &str, now: Timestamp) -> Result<OneTime, AppError> {
    let token = OpaqueToken::parse(Some(purpose.prefix()), raw).ok_or_else(invalid_token)?;
    let record: OneTime = store.get_as(&OneTime::key(purpose, token.tenant_id, token.id)).await?.ok_or_else(invalid_token)?;
    if !record.redeemable_by(&token, now) {
        return Err(invalid_token());
    }
    Ok(record)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_use_and_expiry() {
        let now = Timestamp::now();
        let (record, token) = OneTime::issue(Purpose::PasswordReset, TenantId::new(), UserId::new(), now);
        assert!(token.to_wire().starts_with("rst."));
        assert!(record.redeemable_by(&token, now));
        assert!(!record.redeemable_by(&token, now.plus_seconds(3601)), "expired");
        let mut used = record.clone();
        used.used_at = Some(now);
        assert!(!used.redeemable_by(&token, now), "used");
        let (_, other) = OneTime::issue(Purpose::PasswordReset, record.tenant_id, record.user_id, now);
        assert!(!record.redeemable_by(&other, now), "another token");
    }
}
