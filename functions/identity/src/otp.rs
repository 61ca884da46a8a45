//! One-time codes sent by SMS or WhatsApp (the spec's phone OTP rules):
//! 6 digits, 10 minutes to live, 5 attempts per code, stored only as a salted
//! SHA-256 and compared in constant time; a resend at most once a minute.
//!
//! One record per user and purpose, in the user's item collection:
//! `PHONEVERIFY` (proving a number, `/v1/auth/phone/verify/*`) and `LOGINOTP`
//! (the second factor of a login). The rules are pure: a handler loads the
//! record, asks it what happens next and writes the answer back conditional
//! on the version it read, so two concurrent confirms cannot both spend one code.

use crm_kernel::{AppError, Phone, TenantId, Timestamp, UserId};
use crm_notify::messages::Channel;
use crm_store::item::ItemExt;
use crm_store::{item, keys, Item, Key, StoreError};
use serde::{Deserialize, Serialize};

pub const CODE_TTL_SECS: i64 = 600;
pub const MAX_ATTEMPTS: u32 = 5;
pub const RESEND_INTERVAL_SECS: i64 = 60;
/// Sends of one code record (the first and its resends).
pub const MAX_SENDS: u32 = 5;
/// `start` calls per user per hour.
pub const STARTS_PER_HOUR: i64 = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OtpChannel {
    Sms,
    Whatsapp,
}

impl OtpChannel {
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        match raw {
            "sms" => Ok(Self::Sms),
            "whatsapp" => Ok(Self::Whatsapp),
            _ => Err(AppError::invalid("channel", "must be `sms` or `whatsapp`")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sms => "sms",
            Self::Whatsapp => "whatsapp",
        }
    }

    /// The plan feature that allows codes on this channel.
    pub fn feature(self) -> &'static str {
        match self {
            Self::Sms => "twofa.sms",
            Self::Whatsapp => "twofa.whatsapp",
        }
    }

    pub fn message_channel(self) -> Channel {
        match self {
            Self::Sms => Channel::Sms,
            Self::Whatsapp => Channel::Whatsapp,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OtpStatus {
    Pending,
    Verified,
    Expired,
    Revoked,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    PhoneVerify,
    Login,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Otp {
    pub tenant_id: TenantId,
    pub user_id: UserId,
    pub e164: Phone,
    pub channel: OtpChannel,
    salt: String,
    code_hash: String,
    pub status: OtpStatus,
    pub attempts: u32,
    pub sends: u32,
    pub last_sent_at: Timestamp,
    pub expires_at: Timestamp,
    pub created_at: Timestamp,
    #[serde(default)]
    pub verified_at: Option<Timestamp>,
    pub version: u64,
}

/// What a confirmation attempt came to: the record to write back, and the answer.
pub struct Outcome {
    pub record: Otp,
    pub result: Result<(), AppError>,
}

impl Otp {
    pub fn key(tenant: TenantId, user: UserId, purpose: Purpose) -> Key {
        match purpose {
            Purpose::PhoneVerify => keys::user_phone_verification(tenant, &user.to_string()),
            Purpose::Login => keys::user_login_code(tenant, &user.to_string()),
        }
    }

    /// A fresh code for `e164`; answers the record and the code to send.
    pub fn issue(tenant_id: TenantId, user_id: UserId, e164: Phone, channel: OtpChannel, now: Timestamp) -> (Self, String) {
        let code = new_code();
        let salt = new_salt();
        let record = Self {
            tenant_id,
            user_id,
            e164,
            channel,
            code_hash: hash(&salt, &code),
            salt,
            status: OtpStatus::Pending,
            attempts: 0,
            sends: 1,
            last_sent_at: now,
            expires_at: now.plus_seconds(CODE_TTL_SECS),
            created_at: now,
            verified_at: None,
            version: 1,
        };
        (record, code)
    }

    /// The item, kept a day past its expiry for the record, then removed by TTL.
    pub fn to_item(&self, purpose: Purpose) -> Result<Item, StoreError> {
        Ok(item::to_item(&Self::key(self.tenant_id, self.user_id, purpose), self)?.with_ttl(self.expires_at.unix_seconds() + 24 * 3600))
    }

    pub fn is_open(&self, now: Timestamp) -> bool {
        self.status == OtpStatus::Pending && now < self.expires_at && self.attempts < MAX_ATTEMPTS
    }

    /// Seconds until a resend is allowed (0: now).
    pub fn resend_wait(&self, now: Timestamp) -> i64 {
        (self.last_sent_at.unix_seconds() + RESEND_INTERVAL_SECS - now.unix_seconds()).max(0)
    }

    /// A new code for the same number (`resend`): at most once a minute and
    /// [`MAX_SENDS`] times; the previous code stops working and the attempts
    /// start again.
    pub fn resend(&self, now: Timestamp) -> Result<(Self, String), AppError> {
        if self.status != OtpStatus::Pending {
            return Err(not_pending());
        }
        let wait = self.resend_wait(now);
        if wait > 0 {
            return Err(AppError::RateLimited { retry_after_secs: wait as u64 });
        }
        if self.sends >= MAX_SENDS {
            return Err(AppError::Rule { code: "OTP_RESEND_LIMIT", message: "no more resends for this code; start again".into() });
        }
        let code = new_code();
        let mut next = self.clone();
        next.salt = new_salt();
        next.code_hash = hash(&next.salt, &code);
        next.attempts = 0;
        next.sends += 1;
        next.last_sent_at = now;
        next.expires_at = now.plus_seconds(CODE_TTL_SECS);
        next.version += 1;
        Ok((next, code))
    }

    /// Checks `code` for `e164` on a record whose attempt is already spent
    /// (`self.attempts` counts this one: see [`attempt`]). The fifth wrong
    /// one, or a late one, closes the record.
    pub fn confirm(&self, e164: Option<&Phone>, code: &str, now: Timestamp) -> Outcome {
        let mut next = self.clone();
        next.version += 1;
        let result = if self.status != OtpStatus::Pending {
            Err(not_pending())
        } else if now >= self.expires_at {
            next.status = OtpStatus::Expired;
            Err(AppError::Rule { code: "OTP_EXPIRED", message: "the code has expired; ask for a new one".into() })
        } else if self.attempts > MAX_ATTEMPTS {
            next.status = OtpStatus::Expired;
            Err(too_many())
        } else {
            let right_number = e164.is_none_or(|p| p == &self.e164);
            let right_code = crm_auth::code::matches(&self.salt, &self.code_hash, code);
            if right_number && right_code {
                next.status = OtpStatus::Verified;
                next.verified_at = Some(now);
                Ok(())
            } else if self.attempts >= MAX_ATTEMPTS {
                next.status = OtpStatus::Expired;
                Err(too_many())
            } else {
                let left = MAX_ATTEMPTS - self.attempts;
                Err(AppError::Rule { code: "OTP_INVALID", message: format!("the code is not valid ({left} attempts left)") })
            }
        };
        Outcome { record: next, result }
    }

    pub fn public(&self) -> OtpView {
        OtpView {
            e164: self.e164.masked(),
            channel: self.channel,
            status: self.status,
            expires_at: self.expires_at,
            attempts_left: MAX_ATTEMPTS.saturating_sub(self.attempts),
            resend_after: self.last_sent_at.plus_seconds(RESEND_INTERVAL_SECS),
        }
    }
}

/// A phone verification as the API shows it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct OtpView {
    /// The number, masked (`+2010******67`).
    pub e164: String,
    pub channel: OtpChannel,
    pub status: OtpStatus,
    pub expires_at: Timestamp,
    pub attempts_left: u32,
    /// No new code before this time.
    pub resend_after: Timestamp,
}

fn not_pending() -> AppError {
    AppError::Rule { code: "OTP_NOT_PENDING", message: "there is no code waiting to be confirmed; start again".into() }
}

fn too_many() -> AppError {
    AppError::Rule { code: "OTP_ATTEMPTS_EXCEEDED", message: "too many wrong codes; start again".into() }
}

/// One confirmation attempt on the stored `record`: the attempt is spent
/// first, with an atomic `ADD` whose result decides (15 parallel guesses
/// count 15 times), and only then is the code compared. A record out of
/// attempts answers `OTP_ATTEMPTS_EXCEEDED` without comparing anything.
/// Only a success is to be written back (conditional on `record.version`):
/// a failure has nothing left to record, its attempt is already counted.
pub async fn attempt(
    store: &crm_store::Store,
    record: &Otp,
    purpose: Purpose,
    e164: Option<&Phone>,
    code: &str,
    now: Timestamp,
) -> Result<Outcome, AppError> {
    let key = Otp::key(record.tenant_id, record.user_id, purpose);
    let Some(spent) = store.spend(&key, "attempts", i64::from(MAX_ATTEMPTS)).await? else {
        return Ok(Outcome { record: record.clone(), result: Err(too_many()) });
    };
    let counted = Otp { attempts: u32::try_from(spent).unwrap_or(u32::MAX), ..record.clone() };
    Ok(counted.confirm(e164, code, now))
}

pub use crm_auth::code::new_code;
use crm_auth::code::{hash, new_salt};

#[cfg(test)]
mod tests {
    use super::*;

    fn issued() -> (Otp, String, Timestamp) {
        let now = Timestamp::now();
        let (o, code) = Otp::issue(TenantId::new(), UserId::new(), Phone::parse("+201001234567").unwrap(), OtpChannel::Sms, now);
        (o, code, now)
    }

    /// The record once an attempt is spent on it (what [`attempt`] does in the store).
    fn spent(o: &Otp) -> Otp {
        Otp { attempts: o.attempts + 1, ..o.clone() }
    }

    fn wrong(code: &str) -> String {
        format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000)
    }

    #[test]
    fn codes_are_six_digits_and_only_the_hash_is_kept() {
        let (o, code, _) = issued();
        assert_eq!(code.len(), 6);
        assert!(code.bytes().all(|b| b.is_ascii_digit()));
        let stored = serde_json::to_string(&o).unwrap();
        assert!(!stored.contains(&format!("\"{code}\"")), "{stored}");
    }

    #[test]
    fn the_right_code_verifies_once() {
        let (o, code, now) = issued();
        let out = spent(&o).confirm(Some(&o.e164.clone()), &code, now.plus_seconds(30));
        assert!(out.result.is_ok());
        assert_eq!(out.record.status, OtpStatus::Verified);
        let again = spent(&out.record).confirm(None, &code, now.plus_seconds(31));
        assert_eq!(again.result.unwrap_err().code(), "OTP_NOT_PENDING");
    }

    #[test]
    fn five_wrong_codes_close_it_even_for_the_right_one_after() {
        let (mut o, code, now) = issued();
        for i in 1..=MAX_ATTEMPTS {
            o = spent(&o);
            let out = o.confirm(None, &wrong(&code), now);
            let expected = if i < MAX_ATTEMPTS { "OTP_INVALID" } else { "OTP_ATTEMPTS_EXCEEDED" };
            assert_eq!(out.result.unwrap_err().code(), expected, "attempt {i}");
            if i == MAX_ATTEMPTS {
                assert_eq!(out.record.status, OtpStatus::Expired);
            }
        }
        assert!(spent(&o).confirm(None, &code, now).result.is_err(), "no attempt is left for the right code");
    }

    #[test]
    fn a_code_for_another_number_is_a_wrong_attempt() {
        let (o, code, now) = issued();
        let out = spent(&o).confirm(Some(&Phone::parse("+201009999999").unwrap()), &code, now);
        assert_eq!(out.result.unwrap_err().code(), "OTP_INVALID");
        assert_eq!(out.record.attempts, 1);
    }

    #[test]
    fn codes_expire_after_ten_minutes() {
        let (o, code, now) = issued();
        let out = spent(&o).confirm(None, &code, now.plus_seconds(CODE_TTL_SECS));
        assert_eq!(out.result.unwrap_err().code(), "OTP_EXPIRED");
        assert_eq!(out.record.status, OtpStatus::Expired);
    }

    #[test]
    fn resend_waits_a_minute_replaces_the_code_and_is_capped() {
        let (o, first, now) = issued();
        assert!(matches!(o.resend(now.plus_seconds(59)), Err(AppError::RateLimited { retry_after_secs: 1 })));
        let (o2, second) = o.resend(now.plus_seconds(60)).unwrap();
        assert_eq!(o2.sends, 2);
        if first != second {
            assert!(spent(&o2).confirm(None, &first, now.plus_seconds(61)).result.is_err(), "the old code no longer works");
        }
        assert!(spent(&o2).confirm(None, &second, now.plus_seconds(61)).result.is_ok());
        let mut r = o2;
        let mut t = now.plus_seconds(60);
        while r.sends < MAX_SENDS {
            t = t.plus_seconds(60);
            r = r.resend(t).unwrap().0;
        }
        assert_eq!(r.resend(t.plus_seconds(60)).unwrap_err().code(), "OTP_RESEND_LIMIT");
    }
}

/// `{verification}`: a phone verification as it stands.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Verification {
    pub verification: OtpView,
}

/// A confirmed (or failed) verification, and the user it verified.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Confirmed {
    pub verification: OtpView,
    pub user: Option<crate::model::UserView>,
}
