//! A tenant's notification policy (the spec's `notification_policies`):
//! quiet hours, the transactional-over-STOP flag, marketing mirrors, the
//! per-minute throttles and the defaults used when a user has none (time
//! zone, locale). Stored in the tenant's own partition; a tenant without
//! the item has [`Policy::default`].

use std::collections::BTreeMap;

use crm_kernel::{AppError, FieldError, TenantId};
use crm_notify::messages::Channel;
use crm_store::{item, keys, Item, Key, StoreError};
use serde::{Deserialize, Serialize};

use crate::quiet::QuietHours;

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Policy {
    /// SMS/WhatsApp (by default) are held during these local hours.
    #[serde(default = "QuietHours::proposed")]
    pub quiet_hours: Option<QuietHours>,
    /// Whether transactional SMS may reach a number on the STOP list.
    #[serde(default)]
    pub allow_transactional_over_stop: bool,
    /// Mirror marketing SMS/WhatsApp to email (still only with email opt-in).
    #[serde(default = "yes")]
    pub mirror_marketing: bool,
    /// Sends per minute per channel (`sms`, `whatsapp`, `email`, `inbox`).
    #[serde(default)]
    pub throttle_per_minute: BTreeMap<String, i64>,
    /// IANA zone for users without one (quiet hours, digests).
    #[serde(default)]
    pub timezone: Option<String>,
    /// Template locale for users without one.
    #[serde(default)]
    pub locale: Option<String>,
    /// Local time (`HH:MM`) the daily digest goes out; it is sent in that hour.
    #[serde(default = "Policy::default_digest_time")]
    pub digest_time: String,
    #[serde(default)]
    pub version: u64,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            quiet_hours: QuietHours::proposed(),
            allow_transactional_over_stop: false,
            mirror_marketing: true,
            throttle_per_minute: BTreeMap::new(),
            timezone: None,
            locale: None,
            digest_time: Self::default_digest_time(),
            version: 0,
        }
    }
}

/// The body of `PUT /v1/admin/notification-policies`: a whole [`Policy`].
/// A field it does not know is refused, not ignored: a `PUT` replaces the
/// whole policy, so a misspelt field would reset one.
#[derive(Debug)]
pub struct Replacement(pub Policy);

impl<'de> Deserialize<'de> for Replacement {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let body = serde_json::Map::<String, serde_json::Value>::deserialize(d)?;
        if let Some(unknown) = body.keys().find(|k| !Policy::FIELDS.contains(&k.as_str()) && *k != "version") {
            return Err(D::Error::custom(format!("unknown field `{unknown}`")));
        }
        serde_json::from_value(serde_json::Value::Object(body)).map(Replacement).map_err(D::Error::custom)
    }
}

impl schemars::JsonSchema for Replacement {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "NotificationPolicy".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let mut schema = Policy::json_schema(generator);
        schema.insert("additionalProperties".into(), false.into());
        schema
    }
}

impl Policy {
    fn default_digest_time() -> String {
        "09:00".into()
    }

    /// The local hour of the daily digest.
    pub fn digest_hour(&self) -> Option<u32> {
        chrono::NaiveTime::parse_from_str(&self.digest_time, "%H:%M").ok().map(|t| chrono::Timelike::hour(&t))
    }

    pub fn key(tenant: TenantId) -> Key {
        keys::notify_policy(tenant)
    }

    /// The fields a tenant admin sets (`PUT` refuses any other).
    pub const FIELDS: &'static [&'static str] =
        &["quiet_hours", "allow_transactional_over_stop", "mirror_marketing", "throttle_per_minute", "timezone", "locale", "digest_time"];

    pub fn to_item(&self, tenant: TenantId) -> Result<Item, StoreError> {
        item::to_item(&Self::key(tenant), self)
    }

    pub async fn load(store: &crm_store::Store, tenant: TenantId) -> Result<Self, StoreError> {
        Ok(store.get_as(&Self::key(tenant)).await?.unwrap_or_default())
    }

    /// The tenant's throttle for `channel`, or `default`.
    pub fn throttle(&self, channel: &Channel, default: i64) -> i64 {
        self.throttle_per_minute.get(channel.as_str()).copied().unwrap_or(default)
    }

    /// Checks a policy a tenant admin saves.
    pub fn validate(&self) -> Result<(), AppError> {
        let mut errors = Vec::new();
        if let Some(q) = &self.quiet_hours {
            if let Err(e) = q.validate() {
                errors.push(e);
            }
        }
        for (channel, n) in &self.throttle_per_minute {
            if !["email", "sms", "whatsapp", "inbox"].contains(&channel.as_str()) {
                errors.push(FieldError::new(format!("throttle_per_minute.{channel}"), "must be email, sms, whatsapp or inbox"));
            } else if !(1..=100_000).contains(n) {
                errors.push(FieldError::new(format!("throttle_per_minute.{channel}"), "must be between 1 and 100000"));
            }
        }
        if self.digest_hour().is_none() {
            errors.push(FieldError::new("digest_time", "must be HH:MM"));
        }
        if let Some(tz) = &self.timezone {
            if crm_kernel::time::parse_zone(tz).is_none() {
                errors.push(FieldError::new("timezone", "must be an IANA time zone such as Africa/Cairo"));
            }
        }
        if let Some(l) = &self.locale {
            if !crm_notify::preferences::LOCALES.contains(&l.as_str()) {
                errors.push(FieldError::new("locale", format!("must be one of {}", crm_notify::preferences::LOCALES.join(", "))));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(AppError::invalid_fields(errors))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_hold_sms_and_whatsapp_at_night_and_refuse_bad_settings() {
        let p: Policy = serde_json::from_str("{}").unwrap();
        assert_eq!(p, Policy::default());
        let q = p.quiet_hours.clone().unwrap();
        assert_eq!((q.start.as_str(), q.end.as_str()), ("21:00", "08:00"));
        assert_eq!(q.channels, vec![Channel::Sms, Channel::Whatsapp]);
        assert_eq!(p.throttle(&Channel::Sms, 120), 120);
        assert_eq!(p.digest_hour(), Some(9));
        let bad: Policy =
            serde_json::from_str(r#"{"timezone":"Mars/Base","throttle_per_minute":{"fax":3},"locale":"fr","digest_time":"9am"}"#).unwrap();
        let err = bad.validate().unwrap_err();
        assert_eq!(err.details().len(), 4);
    }
}
