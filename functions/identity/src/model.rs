//! Tenants, users and sessions as stored, and where.

use crm_kernel::{EntityId, TenantId, Timestamp, UserId};
use crm_store::item::ItemExt;
use crm_store::{item, keys, Index, Item, Key, StoreError};
use serde::{Deserialize, Serialize};

use crate::email::Email;

pub const TENANT: &str = "TENANT";
pub const USER: &str = crm_directory::USER;
pub const SESSION: &str = "SESSION";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TenantStatus {
    Active,
    Suspended,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Tenant {
    pub id: TenantId,
    pub name: String,
    pub status: TenantStatus,
    /// Plan code (`DevFree`, `DevPro`, `Business`): billing changes it.
    pub plan: String,
    /// From when an unpaid invoice restricts the plan's features (billing writes it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restricted_from: Option<Timestamp>,
    pub created_at: Timestamp,
    pub version: u64,
}

impl Tenant {
    pub fn key(id: TenantId) -> Key {
        keys::tenant(id)
    }

    /// The item, listed in the tenant registry (`by_kind` `G#TENANTS`).
    pub fn to_item(&self) -> Result<Item, StoreError> {
        Ok(item::to_item(&Self::key(self.id), self)?.with_index(Index::ByKind, keys::TENANTS, format!("{}#{}", self.created_at, self.id)))
    }
}

/// One definition for identity, which writes it, and the directory every
/// other context reads users through.
pub use crm_directory::UserStatus;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub tenant_id: TenantId,
    pub email: Email,
    /// Argon2id PHC string. Never leaves the store.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub password_hash: String,
    pub full_name: String,
    pub roles: Vec<String>,
    pub status: UserStatus,
    pub is_verified: bool,
    pub created_at: Timestamp,
    #[serde(default)]
    pub last_login_at: Option<Timestamp>,
    #[serde(default)]
    pub profile: Profile,
    /// The verified phone (`/v1/auth/phone/verify/*`) and when it was verified.
    #[serde(default)]
    pub phone_e164: Option<crm_kernel::Phone>,
    #[serde(default)]
    pub phone_verified_at: Option<Timestamp>,
    /// One-time-code second factors turned on (`sms`, `whatsapp`).
    #[serde(default)]
    pub otp_factors: Vec<crate::otp::OtpChannel>,
    /// Set by `DELETE /v1/admin/users/{id}`: the record stays for audit references only.
    #[serde(default)]
    pub deleted_at: Option<Timestamp>,
    /// The groups the user belongs to (ADR 0011), read by the authorizer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub group_ids: Vec<String>,
    /// The user's own entitlement overrides (they beat group and plan values).
    #[serde(default)]
    pub entitlement_overrides: crm_auth::access::Overrides,
    /// Every session opened before this instant is dead ("log out
    /// everywhere": force-logout, password reset, suspension, deactivation).
    /// The authorizer and refresh read it; revoking session items one by one
    /// is only the cleanup.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sessions_valid_after: Option<Timestamp>,
    pub version: u64,
}

/// What a user (or an admin) edits about the person (the spec's `user_profiles`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    #[serde(default)]
    pub job_title_code: Option<String>,
    #[serde(default)]
    pub department_code: Option<String>,
    /// BCP 47 language (`ar`, `en`); templates fall back to the tenant's.
    #[serde(default)]
    pub locale: Option<String>,
    /// IANA zone (`Africa/Cairo`), for quiet hours and digests.
    #[serde(default)]
    pub timezone: Option<String>,
    #[serde(default)]
    pub avatar_url: Option<String>,
}

impl User {
    /// A new active user, unverified and never logged in.
    pub fn new(
        id: UserId,
        tenant_id: TenantId,
        email: Email,
        password_hash: String,
        full_name: String,
        roles: Vec<String>,
        now: Timestamp,
    ) -> Self {
        Self {
            id,
            tenant_id,
            email,
            password_hash,
            full_name,
            roles,
            status: UserStatus::Active,
            is_verified: false,
            created_at: now,
            last_login_at: None,
            profile: Profile::default(),
            phone_e164: None,
            phone_verified_at: None,
            otp_factors: Vec::new(),
            deleted_at: None,
            group_ids: Vec::new(),
            entitlement_overrides: Default::default(),
            sessions_valid_after: None,
            version: 1,
        }
    }

    pub fn key(tenant: TenantId, id: UserId) -> Key {
        keys::user(tenant, &id.to_string())
    }

    /// The item; a deleted user keeps no index entries (it leaves every list and lookup).
    pub fn to_item(&self) -> Result<Item, StoreError> {
        if self.deleted_at.is_some() {
            return Ok(item::to_item(&Self::key(self.tenant_id, self.id), self)?.with_str("kind", "user"));
        }
        Ok(item::to_item(&Self::key(self.tenant_id, self.id), self)?
            .with_str("kind", "user")
            .with_index(Index::ByKind, keys::by_kind_pk(self.tenant_id, USER), format!("{}#{}", self.created_at, self.id))
            .with_index(Index::ByLookup, keys::by_lookup_pk(self.tenant_id, "EMAIL", self.email.as_str()), self.id.to_string()))
    }

    /// What the API shows of a user.
    pub fn public(&self) -> UserView {
        UserView {
            id: self.id,
            tenant_id: self.tenant_id,
            email: self.email.clone(),
            full_name: self.full_name.clone(),
            roles: self.roles.clone(),
            status: self.status,
            is_verified: self.is_verified,
            created_at: self.created_at,
            last_login_at: self.last_login_at,
            job_title_code: self.profile.job_title_code.clone(),
            department_code: self.profile.department_code.clone(),
            locale: self.profile.locale.clone(),
            timezone: self.profile.timezone.clone(),
            avatar_url: self.profile.avatar_url.clone(),
            phone_e164: self.phone_e164.clone(),
            phone_verified_at: self.phone_verified_at,
            otp_factors: self.otp_factors.clone(),
            version: self.version,
        }
    }
}

/// A user as the API shows it (never a password hash).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct UserView {
    pub id: UserId,
    pub tenant_id: TenantId,
    pub email: Email,
    pub full_name: String,
    pub roles: Vec<String>,
    pub status: UserStatus,
    pub is_verified: bool,
    pub created_at: Timestamp,
    pub last_login_at: Option<Timestamp>,
    pub job_title_code: Option<String>,
    pub department_code: Option<String>,
    pub locale: Option<String>,
    pub timezone: Option<String>,
    pub avatar_url: Option<String>,
    pub phone_e164: Option<crm_kernel::Phone>,
    pub phone_verified_at: Option<Timestamp>,
    /// Second factors on: `sms`, `whatsapp`.
    pub otp_factors: Vec<crate::otp::OtpChannel>,
    pub version: u64,
}

/// The system-wide marker of a login email: which tenant and user own it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EmailOwner {
    pub tenant_id: TenantId,
    pub user_id: UserId,
}

pub fn email_marker_key(email: &Email) -> Key {
    keys::global_unique("EMAIL", email.as_str())
}

/// Failed-login record of an email (system-wide, see `lockout`).
pub fn login_failures_key(email: &Email) -> Key {
    keys::login_failures(email.as_str())
}

/// A session = one refresh-token family.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    pub id: EntityId,
    pub tenant_id: TenantId,
    pub user_id: UserId,
    pub current_hash: String,
    #[serde(default)]
    pub previous_hashes: Vec<String>,
    pub created_at: Timestamp,
    pub last_used_at: Timestamp,
    pub expires_at: Timestamp,
    #[serde(default)]
    pub revoked_at: Option<Timestamp>,
    #[serde(default)]
    pub revoked_reason: Option<String>,
    #[serde(default)]
    pub user_agent: String,
    #[serde(default)]
    pub ip: String,
    pub version: u64,
}

impl Session {
    pub fn key(tenant: TenantId, id: EntityId) -> Key {
        keys::session(tenant, &id.to_string())
    }

    /// Stored with its owner index (the user's sessions) and a TTL: expired
    /// sessions disappear by themselves.
    pub fn to_item(&self) -> Result<Item, StoreError> {
        let mut hidden = self.clone();
        hidden.previous_hashes.truncate(crate::refresh::REMEMBERED_HASHES);
        Ok(item::to_item(&Self::key(self.tenant_id, self.id), &hidden)?
            .with_str("kind", "session")
            .with_index(
                Index::ByOwner,
                keys::by_owner_pk(self.tenant_id, SESSION, &self.user_id.to_string()),
                format!("{}#{}", self.created_at, self.id),
            )
            .with_ttl(self.expires_at.unix_seconds() + 24 * 3600))
    }

    pub fn is_active(&self, now: Timestamp) -> bool {
        self.revoked_at.is_none() && self.expires_at > now
    }

    /// Active, and opened after the user's last "log out everywhere".
    pub fn is_live(&self, now: Timestamp, valid_after: Option<Timestamp>) -> bool {
        self.is_active(now) && valid_after.is_none_or(|after| self.created_at >= after)
    }

    pub fn public(&self, current: Option<&str>) -> SessionView {
        SessionView {
            id: self.id,
            created_at: self.created_at,
            last_used_at: self.last_used_at,
            expires_at: self.expires_at,
            user_agent: self.user_agent.clone(),
            ip: self.ip.clone(),
            current: current == Some(self.id.to_string().as_str()),
        }
    }
}

/// A session as its user sees it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct SessionView {
    pub id: EntityId,
    pub created_at: Timestamp,
    pub last_used_at: Timestamp,
    pub expires_at: Timestamp,
    pub user_agent: String,
    pub ip: String,
    /// The session of this request.
    pub current: bool,
}

pub const API_KEY: &str = "APIKEY";
pub use crm_auth::opaque::API_KEY_PREFIX;

/// An API key: a machine credential with its own permission scope.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ApiKey {
    pub id: EntityId,
    pub tenant_id: TenantId,
    pub name: String,
    /// SHA-256 of the secret; the secret itself is shown once, at creation.
    pub hash: String,
    /// First characters of the secret, to tell keys apart.
    pub hint: String,
    pub permissions: Vec<String>,
    pub created_by: UserId,
    pub created_at: Timestamp,
    #[serde(default)]
    pub expires_at: Option<Timestamp>,
    #[serde(default)]
    pub last_used_at: Option<Timestamp>,
    #[serde(default)]
    pub revoked_at: Option<Timestamp>,
    pub version: u64,
}

impl ApiKey {
    pub fn key(tenant: TenantId, id: EntityId) -> Key {
        keys::api_key(tenant, &id.to_string())
    }

    pub fn to_item(&self) -> Result<Item, StoreError> {
        Ok(item::to_item(&Self::key(self.tenant_id, self.id), self)?.with_str("kind", "api_key").with_index(
            Index::ByKind,
            keys::by_kind_pk(self.tenant_id, API_KEY),
            format!("{}#{}", self.created_at, self.id),
        ))
    }

    pub fn public(&self, now: Timestamp) -> ApiKeyView {
        let status = if self.revoked_at.is_some() {
            "revoked"
        } else if self.expires_at.is_some_and(|e| e <= now) {
            "expired"
        } else {
            "active"
        };
        ApiKeyView {
            id: self.id,
            name: self.name.clone(),
            hint: format!("{API_KEY_PREFIX}.…{}", self.hint),
            permissions: self.permissions.clone(),
            created_by: self.created_by,
            created_at: self.created_at,
            expires_at: self.expires_at,
            last_used_at: self.last_used_at,
            revoked_at: self.revoked_at,
            status,
        }
    }
}

/// An API key as the API shows it (never its secret or hash).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ApiKeyView {
    pub id: EntityId,
    pub name: String,
    /// Tells keys apart: the prefix and the secret's last characters.
    pub hint: String,
    pub permissions: Vec<String>,
    pub created_by: UserId,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
    /// `active`, `expired` or `revoked`.
    pub status: &'static str,
}

/// A user's TOTP factor: pending until confirmed with a first code.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Totp {
    pub tenant_id: TenantId,
    pub user_id: UserId,
    /// The base32 secret, sealed (AES-256-GCM, bound to the user: see
    /// [`Totp::secret`]). Records from before sealing hold it in the clear
    /// and are sealed on their next write.
    pub secret: String,
    pub enabled: bool,
    /// SHA-256 of each unused backup code.
    #[serde(default)]
    pub backup_hashes: Vec<String>,
    /// The last time step a code was accepted at (codes work once).
    #[serde(default)]
    pub last_step: Option<i64>,
    #[serde(default)]
    pub confirmed_at: Option<Timestamp>,
    pub version: u64,
}

impl Totp {
    pub fn key(tenant: TenantId, user: UserId) -> Key {
        keys::user_totp(tenant, &user.to_string())
    }

    fn seal_context(&self) -> String {
        format!("totp:{}:{}", self.tenant_id, self.user_id)
    }

    /// Stores `base32` sealed for this record.
    pub fn set_secret(&mut self, sealer: &crm_auth::seal::Sealer, base32: &str) {
        self.secret = sealer.seal(base32, &self.seal_context());
    }

    /// The base32 secret: opened when sealed (a seal from another record or
    /// key opens nothing), as stored for a record from before sealing.
    pub fn secret(&self, sealer: &crm_auth::seal::Sealer) -> Option<String> {
        if self.secret.starts_with("v1.") {
            sealer.open(&self.secret, &self.seal_context())
        } else {
            Some(self.secret.clone())
        }
    }

    /// The record ready to store: a legacy clear secret is sealed.
    pub fn sealed(mut self, sealer: &crm_auth::seal::Sealer) -> Self {
        if !self.secret.starts_with("v1.") {
            let clear = self.secret.clone();
            self.set_secret(sealer, &clear);
        }
        self
    }

    pub fn to_item(&self) -> Result<Item, StoreError> {
        item::to_item(&Self::key(self.tenant_id, self.user_id), self)
    }
}

/// SHA-256 hex of a backup code (normalised: trimmed, lower case).
pub fn backup_hash(code: &str) -> String {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, code.trim().to_lowercase().as_bytes())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_round_trips_through_an_item() {
        let now = Timestamp::now();
        let s = Session {
            id: EntityId::new(),
            tenant_id: TenantId::new(),
            user_id: UserId::new(),
            current_hash: "a".repeat(64),
            previous_hashes: vec![],
            created_at: now,
            last_used_at: now,
            expires_at: now.plus_seconds(60),
            revoked_at: None,
            revoked_reason: None,
            user_agent: String::new(),
            ip: "127.0.0.1".into(),
            version: 1,
        };
        let back: Session = item::from_item(s.to_item().unwrap()).unwrap();
        assert_eq!(back.id, s.id);
        assert!(back.is_active(now));
    }
}
