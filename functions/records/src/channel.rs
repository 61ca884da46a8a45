//! A contact's channels (the spec's `contact_channels`): emails, phone
//! numbers and WhatsApp numbers, each with its primary flag, verification
//! and consent. They live on the contact item (at most [`MAX_CHANNELS`]);
//! the contact's `email` and `phone` are its primary email and phone
//! channels, kept in step by [`set_primary`] and [`shorthands`].
//!
//! Every address is unique in the tenant (`UNIQUE(tenant_id, type,
//! normalized_value)`): a marker item per address, claimed in the contact's
//! transaction. A phone and a WhatsApp channel with the same number share
//! one marker — the same person — so two contacts cannot hold one number
//! under different types.

use std::collections::BTreeSet;

use crm_kernel::{AppError, Email, EntityId, FieldError, Phone, Timestamp};
use crm_notify::messages::Channel;
use serde::{Deserialize, Serialize};

use crate::contact::ContactFields;

pub const MAX_CHANNELS: usize = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChannelType {
    Email,
    Phone,
    Whatsapp,
}

impl ChannelType {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        match raw {
            "email" => Ok(Self::Email),
            "phone" => Ok(Self::Phone),
            "whatsapp" => Ok(Self::Whatsapp),
            _ => Err(FieldError::new("type", "must be one of email, phone, whatsapp")),
        }
    }

    /// The duplicate-marker family of an address of this type.
    pub fn marker(self) -> &'static str {
        match self {
            Self::Email => "CONTACTEMAIL",
            Self::Phone | Self::Whatsapp => "CONTACTPHONE",
        }
    }

    /// The notifications channel that reaches this address (codes, consent).
    pub fn message_channel(self) -> Channel {
        match self {
            Self::Email => Channel::Email,
            Self::Phone => Channel::Sms,
            Self::Whatsapp => Channel::Whatsapp,
        }
    }

    /// The normalised value of `raw`: a lower-case email, or strict E.164.
    pub fn parse_value(self, raw: &str) -> Result<String, FieldError> {
        match self {
            Self::Email => {
                Email::parse(raw).map(|e| e.as_str().to_string()).map_err(|_| FieldError::new("value", "must be an email address"))
            }
            Self::Phone | Self::Whatsapp => {
                Phone::parse(raw).map(|p| p.to_string()).map_err(|_| FieldError::new("value", "must be E.164 (+201001234567)"))
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ContactChannel {
    pub id: EntityId,
    #[serde(rename = "type")]
    pub kind: ChannelType,
    /// Normalised: lower-case email or E.164.
    pub value: String,
    pub is_primary: bool,
    #[serde(default)]
    pub verified_at: Option<Timestamp>,
    #[serde(default)]
    pub opt_in: bool,
    #[serde(default)]
    pub opt_in_source: Option<String>,
    #[serde(default)]
    pub opted_in_at: Option<Timestamp>,
    #[serde(default)]
    pub opt_out_at: Option<Timestamp>,
    #[serde(default)]
    pub locale: Option<String>,
}

impl ContactChannel {
    pub fn new(kind: ChannelType, value: String) -> Self {
        Self {
            id: EntityId::new(),
            kind,
            value,
            is_primary: false,
            verified_at: None,
            opt_in: false,
            opt_in_source: None,
            opted_in_at: None,
            opt_out_at: None,
            locale: None,
        }
    }
}

/// Every `(marker family, value)` the contact holds: its channels and its
/// primary shorthands (a contact written before channels existed has only those).
pub fn addresses(f: &ContactFields) -> BTreeSet<(&'static str, String)> {
    let mut set: BTreeSet<_> = f.channels.iter().map(|c| (c.kind.marker(), c.value.clone())).collect();
    set.extend(f.email.iter().map(|e| (ChannelType::Email.marker(), e.as_str().to_string())));
    set.extend(f.phone.iter().map(|p| (ChannelType::Phone.marker(), p.to_string())));
    set
}

/// Makes `value` the primary channel of `kind` (`email`/`phone` set through
/// the contact's own fields): an existing channel with that value is
/// promoted, else the old primary is replaced by a new channel; `None` drops
/// the primary and promotes the next channel of the kind, if any.
pub fn set_primary(f: &mut ContactFields, kind: ChannelType, value: Option<String>) {
    let current = f.channels.iter().position(|c| c.kind == kind && c.is_primary);
    if let (Some(i), Some(v)) = (current, &value) {
        if &f.channels[i].value == v {
            return;
        }
    }
    if let Some(i) = current {
        f.channels.remove(i);
    }
    match value {
        Some(v) => match f.channels.iter().position(|c| c.kind == kind && c.value == v) {
            Some(i) => f.channels[i].is_primary = true,
            None => f.channels.push(ContactChannel { is_primary: true, ..ContactChannel::new(kind, v) }),
        },
        None => {
            if let Some(next) = f.channels.iter_mut().find(|c| c.kind == kind) {
                next.is_primary = true;
            }
        }
    }
    shorthands(f);
}

/// Sets `email` and `phone` from the primary channels (the channels are the truth).
pub fn shorthands(f: &mut ContactFields) {
    let primary = |k| f.channels.iter().find(|c: &&ContactChannel| c.kind == k && c.is_primary).map(|c| c.value.clone());
    f.email = primary(ChannelType::Email).and_then(|v| Email::parse(&v).ok());
    f.phone = primary(ChannelType::Phone).and_then(|v| Phone::parse(&v).ok());
}

/// What `POST /v1/contacts/{id}/channels` asks: a new channel, or changes to one.
#[derive(Debug, Clone, Default)]
pub struct Upsert {
    pub id: Option<EntityId>,
    pub kind: Option<ChannelType>,
    pub value: Option<String>,
    pub is_primary: Option<bool>,
    pub locale: Option<Option<String>>,
}

/// Adds or changes a channel; answers the channel's id. An address the
/// contact already has under the same type is that channel (an idempotent
/// add); a changed value loses its verification and consent.
pub fn upsert(f: &mut ContactFields, u: Upsert) -> Result<EntityId, AppError> {
    let i = match u.id {
        Some(id) => {
            let i = f.channels.iter().position(|c| c.id == id).ok_or(AppError::NotFound)?;
            if u.kind.is_some_and(|k| k != f.channels[i].kind) {
                return Err(AppError::invalid("type", "cannot change; add a new channel instead"));
            }
            i
        }
        None => {
            let kind = u.kind.ok_or_else(|| AppError::invalid("type", "is required"))?;
            let value = u.value.clone().ok_or_else(|| AppError::invalid("value", "is required"))?;
            match f.channels.iter().position(|c| c.kind == kind && c.value == value) {
                Some(i) => i,
                None => {
                    if f.channels.len() >= MAX_CHANNELS {
                        return Err(AppError::invalid("channels", format!("a contact has at most {MAX_CHANNELS} channels")));
                    }
                    let first = !f.channels.iter().any(|c| c.kind == kind);
                    f.channels.push(ContactChannel { is_primary: first, ..ContactChannel::new(kind, value) });
                    f.channels.len() - 1
                }
            }
        }
    };
    let c = &mut f.channels[i];
    if let Some(v) = u.value {
        if v != c.value {
            *c = ContactChannel { id: c.id, is_primary: c.is_primary, locale: c.locale.clone(), ..ContactChannel::new(c.kind, v) };
        }
    }
    if let Some(l) = u.locale {
        c.locale = l;
    }
    let (id, kind) = (c.id, c.kind);
    if u.is_primary == Some(true) {
        for other in f.channels.iter_mut().filter(|o| o.kind == kind) {
            other.is_primary = other.id == id;
        }
    }
    shorthands(f);
    Ok(id)
}

/// Removes a channel; the next of its type becomes primary when it was.
pub fn remove(f: &mut ContactFields, id: EntityId) -> Result<ContactChannel, AppError> {
    let i = f.channels.iter().position(|c| c.id == id).ok_or(AppError::NotFound)?;
    let gone = f.channels.remove(i);
    if gone.is_primary {
        if let Some(next) = f.channels.iter_mut().find(|c| c.kind == gone.kind) {
            next.is_primary = true;
        }
    }
    shorthands(f);
    Ok(gone)
}

/// The target's channels with the source's added (the spec's merge rule: "channels
/// merged with union of primaries; preserve verified flags"): an address
/// both hold keeps the earliest verification and the target's consent
/// unless only the source has one; the source's primaries stay primary
/// where the target has none of that type.
pub fn union(target: &[ContactChannel], source: &[ContactChannel]) -> Vec<ContactChannel> {
    let mut out = target.to_vec();
    for s in source {
        match out.iter_mut().find(|c| c.kind == s.kind && c.value == s.value) {
            Some(c) => {
                c.verified_at = match (c.verified_at, s.verified_at) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                if !c.opt_in && c.opt_out_at.is_none() {
                    (c.opt_in, c.opt_in_source, c.opted_in_at, c.opt_out_at) =
                        (s.opt_in, s.opt_in_source.clone(), s.opted_in_at, s.opt_out_at);
                }
            }
            None => {
                let primary = s.is_primary && !out.iter().any(|c| c.kind == s.kind && c.is_primary);
                out.push(ContactChannel { is_primary: primary, ..s.clone() });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    use serde_json::json;

    fn contact(body: serde_json::Value) -> ContactFields {
        ContactFields::apply(&ContactFields::blank(), serde_json::from_value(body).unwrap()).unwrap()
    }

    #[test]
    fn the_primary_shorthands_follow_the_channels() {
        let mut f = contact(json!({"first_name": "Bob", "email": "bob@acme.com"}));
        assert_eq!(f.channels.len(), 1);
        assert!(f.channels[0].is_primary);
        let work =
            upsert(&mut f, Upsert { kind: Some(ChannelType::Email), value: Some("b.w@globex.com".into()), ..Default::default() }).unwrap();
        assert_eq!(f.email.as_ref().map(Email::as_str), Some("bob@acme.com"), "a second email is not primary");
        upsert(&mut f, Upsert { id: Some(work), is_primary: Some(true), ..Default::default() }).unwrap();
        assert_eq!(f.email.as_ref().map(Email::as_str), Some("b.w@globex.com"));
        assert_eq!(f.channels.iter().filter(|c| c.is_primary).count(), 1);
        remove(&mut f, work).unwrap();
        assert_eq!(f.email.as_ref().map(Email::as_str), Some("bob@acme.com"), "the next email is promoted");
        let wa = upsert(&mut f, Upsert { kind: Some(ChannelType::Whatsapp), value: Some("+201001234567".into()), ..Default::default() })
            .unwrap();
        assert!(f.phone.is_none(), "WhatsApp is not the phone");
        assert_eq!(addresses(&f).len(), 2);
        set_primary(&mut f, ChannelType::Phone, Some("+201001234567".into()));
        assert_eq!(addresses(&f).len(), 2, "a phone and a WhatsApp channel with one number share one marker");
        assert!(f.channels.iter().any(|c| c.id == wa));
    }

    #[test]
    fn a_changed_value_loses_its_verification_and_consent() {
        let mut f = contact(json!({"first_name": "Bob", "phone": "+201001234567"}));
        f.channels[0].verified_at = Some(Timestamp::now());
        f.channels[0].opt_in = true;
        let id = f.channels[0].id;
        upsert(&mut f, Upsert { id: Some(id), value: Some("+201001234568".into()), ..Default::default() }).unwrap();
        let c = &f.channels[0];
        assert_eq!((c.id, c.verified_at, c.opt_in, c.is_primary), (id, None, false, true));
        assert_eq!(f.phone.as_ref().map(Phone::as_str), Some("+201001234568"));
        let same = upsert(&mut f, Upsert { kind: Some(ChannelType::Phone), value: Some("+201001234568".into()), ..Default::default() });
        assert_eq!(same.unwrap(), id, "adding an address the contact has is that channel");
        assert!(upsert(&mut f, Upsert { id: Some(id), kind: Some(ChannelType::Email), ..Default::default() }).is_err());
    }

    #[test]
    fn a_merge_unions_channels_and_keeps_verification() {
        let mut t = contact(json!({"first_name": "Bob", "email": "bob@acme.com"}));
        let mut s = contact(json!({"first_name": "Robert", "email": "bob@acme.com", "phone": "+201001234567"}));
        let verified = Timestamp::now();
        s.channels[0].verified_at = Some(verified);
        s.channels[0].opt_in = true;
        t.channels = union(&t.channels, &s.channels);
        shorthands(&mut t);
        assert_eq!(t.channels.len(), 2);
        assert_eq!((t.channels[0].verified_at, t.channels[0].opt_in), (Some(verified), true));
        assert_eq!(t.phone.as_ref().map(Phone::as_str), Some("+201001234567"), "the source's primary phone is the target's");
    }
}
