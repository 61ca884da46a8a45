//! Consent (the spec's consent rules for marketing sends; ADR 0009): per channel and address,
//! an opt-in (with its source and wording) or an opt-out — an SMS opt-out is
//! the STOP list. [`check`] is the rule a dispatch applies:
//!
//! * marketing needs the plan's `marketing.{sms,whatsapp}` (checked by the
//!   caller), an opt-in (a consent record or the user's own preference) and
//!   no opt-out;
//! * transactional email and inbox always go;
//! * transactional SMS/WhatsApp to an opted-out number go only when the
//!   tenant's `allow_transactional_over_stop` says so (default: no).

use crate::messages::{Channel, MessageKind};
use crm_kernel::{AppError, Email, FieldError, Phone, TenantId, Timestamp};
use crm_store::tx::Condition;
use crm_store::{item, keys, Item, Key, Store, StoreError, Tx};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConsentStatus {
    OptedIn,
    OptedOut,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SubjectType {
    User,
    Contact,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Consent {
    pub tenant_id: TenantId,
    pub channel: Channel,
    /// Normalised: lower-case email or E.164.
    pub address: String,
    pub status: ConsentStatus,
    pub subject_type: SubjectType,
    #[serde(default)]
    pub subject_id: Option<String>,
    /// `form`, `import`, `api`, `brevo.unsubscribed`, `sms.stop`, …
    pub consent_source: String,
    #[serde(default)]
    pub consent_text: Option<String>,
    pub consent_at: Timestamp,
    #[serde(default)]
    pub opted_out_at: Option<Timestamp>,
    pub version: u64,
}

impl Consent {
    pub fn key(tenant: TenantId, channel: &Channel, address: &str) -> Key {
        keys::unique(tenant, "CONSENT", &format!("{}#{address}", channel.as_str()))
    }

    pub fn to_item(&self) -> Result<Item, StoreError> {
        item::to_item(&Self::key(self.tenant_id, &self.channel, &self.address), self)
    }

    /// The consent of `channel`/`address` in tenant `t`, if any was recorded.
    pub async fn load(store: &Store, t: TenantId, channel: &Channel, address: &str) -> Result<Option<Consent>, StoreError> {
        store.get_as(&Self::key(t, channel, address)).await
    }

    /// The record `change` makes after `previous` (the address's current
    /// record, if any), at `now`: the next version, opted out now when it
    /// opts out. Every writer of consent — the notifications API, a
    /// contact's channels, a provider's unsubscribe — goes through here.
    pub fn next(previous: Option<&Consent>, t: TenantId, change: Change, now: Timestamp) -> Consent {
        Consent {
            tenant_id: t,
            opted_out_at: (change.status == ConsentStatus::OptedOut).then_some(now),
            channel: change.channel,
            address: change.address,
            status: change.status,
            subject_type: change.subject_type,
            subject_id: change.subject_id,
            consent_source: change.source,
            consent_text: change.text,
            consent_at: now,
            version: previous.map_or(1, |c| c.version + 1),
        }
    }

    /// Adds this record to `tx` (label `consent`) under the version it
    /// follows: a record written meanwhile fails the transaction.
    pub fn put(&self, tx: Tx) -> Result<Tx, StoreError> {
        let follows = if self.version <= 1 { Condition::not_exists() } else { Condition::version_is(self.version - 1) };
        Ok(tx.put_if("consent", self.to_item()?, follows))
    }

    /// The event the change emits (`contact.opted_in|opted_out`).
    pub fn event_type(&self) -> crm_events::EventType {
        match self.status {
            ConsentStatus::OptedIn => crm_events::types::CONTACT_OPTED_IN,
            ConsentStatus::OptedOut => crm_events::types::CONTACT_OPTED_OUT,
        }
    }
}

/// A consent to record.
pub struct Change {
    pub channel: Channel,
    pub address: String,
    pub status: ConsentStatus,
    pub subject_type: SubjectType,
    pub subject_id: Option<String>,
    /// Where it came from ([`provenance`]).
    pub source: String,
    pub text: Option<String>,
}

/// Where a consent came from (`consent_source`, default `api`, 1-64
/// characters) and the wording agreed to (`consent_text`, at most 2 000):
/// both checked, problems added to `errors`.
pub fn provenance(source: Option<String>, text: Option<String>, errors: &mut Vec<FieldError>) -> (String, Option<String>) {
    let source = source.unwrap_or_else(|| "api".into()).trim().to_string();
    if source.is_empty() || source.len() > 64 {
        errors.push(FieldError::new("consent_source", "must be 1-64 characters"));
    }
    if text.as_ref().is_some_and(|x| x.chars().count() > 2000) {
        errors.push(FieldError::new("consent_text", "must be at most 2000 characters"));
    }
    (source, text)
}

/// The normalised address of `raw` on `channel`, or what is wrong with it.
pub fn normalise(field: &str, channel: &Channel, raw: &str) -> Result<String, FieldError> {
    match channel {
        Channel::Email => Email::parse(raw).map(|e| e.as_str().to_string()).map_err(|_| FieldError::new(field, "must be an email address")),
        Channel::Sms | Channel::Whatsapp => {
            Phone::parse(raw).map(|p| p.to_string()).map_err(|_| FieldError::new(field, "must be an E.164 phone number (+201001234567)"))
        }
        Channel::Inbox => crm_kernel::UserId::parse(raw).map(|u| u.to_string()).map_err(|_| FieldError::new(field, "must be a user id")),
    }
}

fn required(channel: &Channel) -> AppError {
    AppError::Rule { code: "CONSENT_REQUIRED", message: format!("the recipient has not opted in to marketing by {}", channel.as_str()) }
}

/// Whether a send may go. `record` is the address's consent record, if any;
/// `preference_opt_in` the recipient user's own marketing opt-in for the channel.
pub fn check(
    channel: &Channel,
    kind: MessageKind,
    record: Option<ConsentStatus>,
    preference_opt_in: bool,
    allow_transactional_over_stop: bool,
) -> Result<(), AppError> {
    let opted_out = record == Some(ConsentStatus::OptedOut);
    match (kind, channel) {
        (_, Channel::Inbox) => Ok(()),
        (MessageKind::Marketing, _) => {
            if !opted_out && (record == Some(ConsentStatus::OptedIn) || preference_opt_in) {
                Ok(())
            } else {
                Err(required(channel))
            }
        }
        (MessageKind::Transactional, Channel::Email) => Ok(()),
        (MessageKind::Transactional, _) if opted_out && !allow_transactional_over_stop => Err(AppError::Rule {
            code: "CONSENT_REQUIRED",
            message: format!(
                "the number opted out of {} (STOP); the tenant does not send transactional messages over it",
                channel.as_str()
            ),
        }),
        (MessageKind::Transactional, _) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ConsentStatus::*;
    use MessageKind::*;

    fn change(status: ConsentStatus) -> Change {
        Change {
            channel: Channel::Sms,
            address: "+201001234567".into(),
            status,
            subject_type: SubjectType::Contact,
            subject_id: None,
            source: "form".into(),
            text: None,
        }
    }

    #[test]
    fn each_change_is_the_next_version_and_an_opt_out_is_dated() {
        let (t, now) = (TenantId::new(), Timestamp::now());
        let first = Consent::next(None, t, change(OptedIn), now);
        assert_eq!((first.version, first.opted_out_at, first.event_type()), (1, None, crm_events::types::CONTACT_OPTED_IN));
        let out = Consent::next(Some(&first), t, change(OptedOut), now);
        assert_eq!((out.version, out.opted_out_at, out.event_type()), (2, Some(now), crm_events::types::CONTACT_OPTED_OUT));
        assert_eq!(out.put(Tx::new()).unwrap().len(), 1);
    }

    #[test]
    fn marketing_needs_an_opt_in_and_no_opt_out() {
        assert!(check(&Channel::Sms, Marketing, None, false, false).is_err());
        assert!(check(&Channel::Sms, Marketing, Some(OptedIn), false, false).is_ok());
        assert!(check(&Channel::Whatsapp, Marketing, None, true, false).is_ok());
        assert!(check(&Channel::Email, Marketing, Some(OptedOut), true, true).is_err());
        assert_eq!(check(&Channel::Email, Marketing, None, false, false).unwrap_err().code(), "CONSENT_REQUIRED");
    }

    #[test]
    fn stop_blocks_transactional_sms_unless_the_tenant_allows_it() {
        assert!(check(&Channel::Sms, Transactional, Some(OptedOut), false, false).is_err());
        assert!(check(&Channel::Sms, Transactional, Some(OptedOut), false, true).is_ok());
        assert!(check(&Channel::Sms, Transactional, None, false, false).is_ok());
        assert!(check(&Channel::Email, Transactional, Some(OptedOut), false, false).is_ok());
        assert!(check(&Channel::Inbox, Marketing, None, false, false).is_ok());
    }

    #[test]
    fn addresses_are_normalised_per_channel() {
        assert_eq!(normalise("to", &Channel::Email, " A@B.co ").unwrap(), "a@b.co");
        assert_eq!(normalise("to", &Channel::Sms, "+201001234567").unwrap(), "+201001234567");
        assert!(normalise("to", &Channel::Sms, "01001234567").is_err());
        assert!(normalise("to", &Channel::Inbox, "nope").is_err());
    }
}
