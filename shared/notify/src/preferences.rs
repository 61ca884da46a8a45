//! A user's notification preferences (the spec's `notification_preferences`):
//! read by the notifications worker when it routes a message, edited by the
//! user (`/v1/me/notification-preferences`) or an admin
//! (`/v1/admin/users/{id}/preferences`). Stored in the user's item
//! collection; a user without the item has the defaults.

use crm_kernel::{AppError, TenantId, Timestamp, UserId};
use crm_store::{item, keys, Item, Key, StoreError};
use serde::{Deserialize, Serialize};

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Preferences {
    /// Mirror transactional SMS to email.
    #[serde(default = "yes")]
    pub email_on_sms: bool,
    /// Mirror transactional WhatsApp messages to email.
    #[serde(default = "yes")]
    pub email_on_whatsapp: bool,
    /// Copy every notification to the in-app inbox.
    #[serde(default = "yes")]
    pub inbox_on_all: bool,
    #[serde(default)]
    pub marketing_email_opt_in: bool,
    #[serde(default)]
    pub marketing_sms_opt_in: bool,
    #[serde(default)]
    pub marketing_whatsapp_opt_in: bool,
    /// Receive the daily digest.
    #[serde(default = "yes")]
    pub daily_digest: bool,
    /// Template locale (`ar`, `en`); none = the user's profile, then the tenant's.
    #[serde(default)]
    pub locale: Option<String>,
    /// Do not disturb until (SMS/WhatsApp are held until then).
    #[serde(default)]
    pub dnd_until: Option<Timestamp>,
    #[serde(default)]
    pub version: u64,
}

impl Default for Preferences {
    fn default() -> Self {
        Self {
            email_on_sms: true,
            email_on_whatsapp: true,
            inbox_on_all: true,
            marketing_email_opt_in: false,
            marketing_sms_opt_in: false,
            marketing_whatsapp_opt_in: false,
            daily_digest: true,
            locale: None,
            dnd_until: None,
            version: 0,
        }
    }
}

/// The editable fields, all optional (a `PUT` body: what is absent keeps its value).
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PreferencesUpdate {
    pub email_on_sms: Option<bool>,
    pub email_on_whatsapp: Option<bool>,
    pub inbox_on_all: Option<bool>,
    pub marketing_email_opt_in: Option<bool>,
    pub marketing_sms_opt_in: Option<bool>,
    pub marketing_whatsapp_opt_in: Option<bool>,
    pub daily_digest: Option<bool>,
    #[serde(default, deserialize_with = "crm_kernel::patch::nullable")]
    pub locale: Option<Option<String>>,
    #[serde(default, deserialize_with = "crm_kernel::patch::nullable")]
    pub dnd_until: Option<Option<Timestamp>>,
}

/// Locales with templates.
pub const LOCALES: &[&str] = &["ar", "en"];

impl Preferences {
    pub fn key(tenant: TenantId, user: UserId) -> Key {
        keys::user_preferences(tenant, &user.to_string())
    }

    pub fn to_item(&self, tenant: TenantId, user: UserId) -> Result<Item, StoreError> {
        item::to_item(&Self::key(tenant, user), self)
    }

    /// The preferences after `u`, or what is wrong with it.
    pub fn apply(&self, u: PreferencesUpdate) -> Result<Self, AppError> {
        let mut next = self.clone();
        macro_rules! set {
            ($($f:ident),*) => { $( if let Some(v) = u.$f { next.$f = v; } )* };
        }
        set!(
            email_on_sms,
            email_on_whatsapp,
            inbox_on_all,
            marketing_email_opt_in,
            marketing_sms_opt_in,
            marketing_whatsapp_opt_in,
            daily_digest
        );
        if let Some(locale) = u.locale {
            if let Some(l) = &locale {
                if !LOCALES.contains(&l.as_str()) {
                    return Err(AppError::invalid("locale", format!("must be one of {}", LOCALES.join(", "))));
                }
            }
            next.locale = locale;
        }
        if let Some(d) = u.dnd_until {
            next.dnd_until = d;
        }
        next.version += 1;
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_keeps_null_clears_and_bad_locales_are_refused() {
        let p = Preferences { locale: Some("ar".into()), ..Default::default() };
        let u: PreferencesUpdate = serde_json::from_str(r#"{"email_on_sms": false}"#).unwrap();
        let q = p.apply(u).unwrap();
        assert!(!q.email_on_sms);
        assert_eq!(q.locale.as_deref(), Some("ar"));
        let u: PreferencesUpdate = serde_json::from_str(r#"{"locale": null}"#).unwrap();
        assert_eq!(q.apply(u).unwrap().locale, None);
        let u: PreferencesUpdate = serde_json::from_str(r#"{"locale": "fr"}"#).unwrap();
        assert!(q.apply(u).is_err());
        assert!(serde_json::from_str::<PreferencesUpdate>(r#"{"sms": true}"#).is_err());
    }

    #[test]
    fn a_missing_item_means_the_defaults() {
        let p: Preferences = serde_json::from_str("{}").unwrap();
        assert_eq!(p, Preferences::default());
        assert!(p.email_on_sms && p.inbox_on_all && !p.marketing_sms_opt_in);
    }
}
