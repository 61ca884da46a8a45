//! Proving a contact's address (the spec: "verification flows work via
//! Notifications Core"): the same one-time codes as a user's phone check
//! (`crm_auth::code` — six digits, salted hash, constant-time compare), sent
//! to the channel itself by email, SMS or WhatsApp. Ten minutes to live,
//! five attempts, a new code at most once a minute. One record per channel,
//! in the contact's item collection; a handler reads it, asks it what
//! happens, and writes the answer back conditional on the version it read.

use crm_auth::code;
use crm_kernel::{AppError, EntityId, TenantId, Timestamp};
use crm_store::item::ItemExt;
use crm_store::{item, keys, Item, Key, StoreError};
use serde::{Deserialize, Serialize};

pub const CODE_TTL_SECS: i64 = 600;
pub const MAX_ATTEMPTS: u32 = 5;
pub const RESEND_INTERVAL_SECS: i64 = 60;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChannelVerification {
    pub tenant_id: TenantId,
    pub contact_id: EntityId,
    pub channel_id: EntityId,
    /// The address the code went to: a code proves that address only.
    pub value: String,
    salt: String,
    code_hash: String,
    pub attempts: u32,
    pub sent_at: Timestamp,
    pub expires_at: Timestamp,
    pub version: u64,
}

impl ChannelVerification {
    pub fn key(tenant: TenantId, contact: EntityId, channel: EntityId) -> Key {
        keys::channel_verification(tenant, contact, channel)
    }

    /// A fresh code for the channel's address, unless one went out less than a
    /// minute ago (`429` with the wait). Answers the record and the code to send.
    pub fn issue(
        previous: Option<&Self>,
        tenant_id: TenantId,
        contact_id: EntityId,
        channel_id: EntityId,
        value: &str,
        now: Timestamp,
    ) -> Result<(Self, String), AppError> {
        if let Some(p) = previous {
            let wait = p.sent_at.unix_seconds() + RESEND_INTERVAL_SECS - now.unix_seconds();
            if wait > 0 {
                return Err(AppError::RateLimited { retry_after_secs: wait as u64 });
            }
        }
        let code = code::new_code();
        let salt = code::new_salt();
        let record = Self {
            tenant_id,
            contact_id,
            channel_id,
            value: value.to_string(),
            code_hash: code::hash(&salt, &code),
            salt,
            attempts: 0,
            sent_at: now,
            expires_at: now.plus_seconds(CODE_TTL_SECS),
            version: previous.map_or(1, |p| p.version + 1),
        };
        Ok((record, code))
    }

    /// Checks a code typed back for the channel now holding `value`, on a
    /// record whose attempt is already spent (`self.attempts` counts this
    /// one: the store's atomic `spend` comes first, so parallel guesses all
    /// count). A late one, a fifth wrong one or a changed address ends the
    /// record. Answers whether to delete the record, and the verdict; a wrong
    /// code with attempts left writes nothing (its attempt is counted).
    pub fn confirm(&self, value: &str, typed: &str, now: Timestamp) -> (bool, Result<(), AppError>) {
        if value != self.value {
            return (true, Err(rule("OTP_NOT_PENDING", "the address changed since the code was sent; start again")));
        }
        if now >= self.expires_at || self.attempts > MAX_ATTEMPTS {
            return (true, Err(rule("OTP_EXPIRED", "the code has expired; ask for a new one")));
        }
        if code::matches(&self.salt, &self.code_hash, typed) {
            return (true, Ok(()));
        }
        if self.attempts >= MAX_ATTEMPTS {
            return (true, Err(rule("OTP_ATTEMPTS_EXCEEDED", "too many wrong codes; start again")));
        }
        let left = MAX_ATTEMPTS - self.attempts;
        (false, Err(rule("OTP_INVALID", &format!("the code is not valid ({left} attempts left)"))))
    }

    /// The item, removed by TTL a day after the code expires.
    pub fn to_item(&self) -> Result<Item, StoreError> {
        Ok(item::to_item(&Self::key(self.tenant_id, self.contact_id, self.channel_id), self)?
            .with_ttl(self.expires_at.unix_seconds() + 24 * 3600))
    }

    pub fn public(&self) -> Pending {
        Pending {
            channel_id: self.channel_id,
            expires_at: self.expires_at,
            attempts_left: MAX_ATTEMPTS.saturating_sub(self.attempts),
            resend_after: self.sent_at.plus_seconds(RESEND_INTERVAL_SECS),
        }
    }
}

/// A verification code on its way, as the API shows it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Pending {
    pub channel_id: EntityId,
    pub expires_at: Timestamp,
    pub attempts_left: u32,
    /// No new code before this time.
    pub resend_after: Timestamp,
}

/// `{verification}`: the code just sent.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Started {
    pub verification: Pending,
}

fn rule(code: &'static str, message: &str) -> AppError {
    AppError::Rule { code, message: message.into() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issued(now: Timestamp) -> (ChannelVerification, String) {
        ChannelVerification::issue(None, TenantId::new(), EntityId::new(), EntityId::new(), "+201001234567", now).unwrap()
    }

    #[test]
    fn the_right_code_for_the_same_address_in_time_verifies() {
        let now = Timestamp::now();
        let (v, code) = issued(now);
        let v = ChannelVerification { attempts: 1, ..v };
        assert!(v.confirm("+201001234567", &code, now.plus_seconds(60)).1.is_ok());
        assert_eq!(v.confirm("+201001234568", &code, now).1.unwrap_err().code(), "OTP_NOT_PENDING");
        assert_eq!(v.confirm("+201001234567", &code, now.plus_seconds(CODE_TTL_SECS)).1.unwrap_err().code(), "OTP_EXPIRED");
    }

    #[test]
    fn wrong_codes_spend_attempts_and_resends_wait_a_minute() {
        let now = Timestamp::now();
        let (mut v, code) = issued(now);
        let wrong = if code == "000000" { "111111" } else { "000000" };
        for left in (1..MAX_ATTEMPTS).rev() {
            v.attempts += 1; // spent in the store before the comparison
            let (gone, verdict) = v.confirm(&v.value.clone(), wrong, now);
            assert_eq!(verdict.unwrap_err().code(), "OTP_INVALID");
            assert!(!gone);
            assert_eq!(MAX_ATTEMPTS - v.attempts, left);
        }
        v.attempts += 1;
        let (gone, verdict) = v.confirm(&v.value.clone(), wrong, now);
        assert!(gone);
        assert_eq!(verdict.unwrap_err().code(), "OTP_ATTEMPTS_EXCEEDED");
        let early = ChannelVerification::issue(Some(&v), v.tenant_id, v.contact_id, v.channel_id, &v.value, now.plus_seconds(30));
        assert!(matches!(early.unwrap_err(), AppError::RateLimited { retry_after_secs: 30 }));
        assert!(ChannelVerification::issue(Some(&v), v.tenant_id, v.contact_id, v.channel_id, &v.value, now.plus_seconds(61)).is_ok());
    }
}
