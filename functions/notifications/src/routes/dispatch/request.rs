//! The dispatch body, parsed: everything that can be wrong with it is found
//! here, before anything is read or written.
//!
//! `{ channel, to, template_code, payload, type, mirror?, schedule_at?, correlation_key?, override_quiet_hours?, from_account_id? }`
//! where `to` is the channel's address (`"+2010…"`, `"a@b.co"`, a user id
//! for `inbox`) or `{ user_id?, email?, phone? }`, and `mirror` is a boolean
//! or `{ email?, inbox? }`.

use crm_auth::opaque::sha256_hex;
use crm_kernel::{AppError, EntityId, FieldError, Timestamp, UserId};
use crm_notify::compose::Mirror;
use crm_notify::messages::{Channel, MessageKind};
use serde::Deserialize;
use serde_json::{Map, Value};

use crm_notify::consent::normalise;

/// The furthest ahead a send may be scheduled.
const MAX_SCHEDULE_AHEAD_SECS: i64 = 30 * 86_400;

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Body {
    pub channel: Channel,
    pub to: Value,
    pub template_code: String,
    #[serde(default)]
    pub payload: Map<String, Value>,
    #[serde(default, rename = "type")]
    pub kind: MessageKind,
    #[serde(default)]
    pub mirror: Option<Value>,
    #[serde(default)]
    pub schedule_at: Option<Timestamp>,
    #[serde(default)]
    pub correlation_key: Option<String>,
    /// Security-critical transactional sends may skip quiet hours.
    #[serde(default)]
    pub override_quiet_hours: bool,
    /// Send an email from this mailbox account (default: the tenant's default account, else the system provider).
    #[serde(default)]
    pub from_account_id: Option<EntityId>,
}

/// Who the body names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Target {
    pub user_id: Option<UserId>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Clone)]
pub struct DispatchRequest {
    pub channel: Channel,
    pub target: Target,
    pub family: String,
    pub payload: Map<String, Value>,
    pub kind: MessageKind,
    /// `None`: the policy's default.
    pub mirror: Option<Mirror>,
    pub schedule_at: Option<Timestamp>,
    pub correlation_key: Option<String>,
    pub override_quiet_hours: bool,
    pub from_account_id: Option<EntityId>,
}

fn target(channel: &Channel, to: &Value) -> Result<Target, FieldError> {
    match to {
        Value::String(s) => match channel {
            Channel::Email => Ok(Target { email: Some(normalise("to", channel, s)?), ..Default::default() }),
            Channel::Sms | Channel::Whatsapp => Ok(Target { phone: Some(normalise("to", channel, s)?), ..Default::default() }),
            Channel::Inbox => Ok(Target {
                user_id: Some(UserId::parse(s).map_err(|_| FieldError::new("to", "must be a user id"))?),
                ..Default::default()
            }),
        },
        Value::Object(o) => {
            if let Some(k) = o.keys().find(|k| !["user_id", "email", "phone"].contains(&k.as_str())) {
                return Err(FieldError::new(format!("to.{k}"), "unknown field; use user_id, email or phone"));
            }
            let text = |k: &str| -> Result<Option<&str>, FieldError> {
                match o.get(k) {
                    None | Some(Value::Null) => Ok(None),
                    Some(Value::String(s)) => Ok(Some(s)),
                    Some(_) => Err(FieldError::new(format!("to.{k}"), "must be a string")),
                }
            };
            let t = Target {
                user_id: text("user_id")?
                    .map(|u| UserId::parse(u).map_err(|_| FieldError::new("to.user_id", "must be a user id")))
                    .transpose()?,
                email: text("email")?.map(|e| normalise("to.email", &Channel::Email, e)).transpose()?,
                phone: text("phone")?.map(|p| normalise("to.phone", &Channel::Sms, p)).transpose()?,
            };
            if t == Target::default() {
                return Err(FieldError::new("to", "name a user_id, an email or a phone"));
            }
            Ok(t)
        }
        _ => Err(FieldError::new("to", "must be an address or an object { user_id, email, phone }")),
    }
}

fn mirror(raw: &Value) -> Result<Mirror, FieldError> {
    match raw {
        Value::Bool(b) => Ok(Mirror { email: *b, inbox: *b }),
        Value::Object(o) => {
            if let Some(k) = o.keys().find(|k| !["email", "inbox"].contains(&k.as_str())) {
                return Err(FieldError::new(format!("mirror.{k}"), "unknown field; use email or inbox"));
            }
            let flag = |k: &str| match o.get(k) {
                None => Ok(true),
                Some(Value::Bool(b)) => Ok(*b),
                Some(_) => Err(FieldError::new(format!("mirror.{k}"), "must be a boolean")),
            };
            Ok(Mirror { email: flag("email")?, inbox: flag("inbox")? })
        }
        _ => Err(FieldError::new("mirror", "must be a boolean or { email, inbox }")),
    }
}

impl DispatchRequest {
    pub fn parse(body: Body, now: Timestamp) -> Result<Self, AppError> {
        let mut errors = Vec::new();
        let target = target(&body.channel, &body.to).map_err(|e| errors.push(e)).ok();
        let family = body.template_code.trim().to_string();
        if family.is_empty()
            || family.len() > 100
            || !family.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.')
        {
            errors.push(FieldError::new("template_code", "must be 1-100 characters of a-z, 0-9, `_` and `.` (a template family)"));
        }
        let mirror = body.mirror.as_ref().filter(|m| !m.is_null()).map(mirror).transpose().map_err(|e| errors.push(e)).ok().flatten();
        if let Some(at) = body.schedule_at {
            if at.unix_seconds() > now.unix_seconds() + MAX_SCHEDULE_AHEAD_SECS {
                errors.push(FieldError::new("schedule_at", "must be within 30 days"));
            }
        }
        let correlation_key = body.correlation_key.map(|k| k.trim().to_string());
        if correlation_key.as_ref().is_some_and(|k| k.is_empty() || k.len() > 128) {
            errors.push(FieldError::new("correlation_key", "must be 1-128 characters"));
        }
        if body.from_account_id.is_some() && body.channel != Channel::Email {
            errors.push(FieldError::new("from_account_id", "only email is sent from a mailbox account"));
        }
        if body.override_quiet_hours && body.kind == MessageKind::Marketing {
            errors.push(FieldError::new("override_quiet_hours", "only transactional sends may skip quiet hours"));
        }
        match (errors.is_empty(), target) {
            (true, Some(target)) => Ok(Self {
                channel: body.channel,
                target,
                family,
                payload: body.payload,
                kind: body.kind,
                mirror,
                schedule_at: body.schedule_at.filter(|at| *at > now),
                correlation_key,
                override_quiet_hours: body.override_quiet_hours,
                from_account_id: body.from_account_id,
            }),
            _ => Err(AppError::invalid_fields(errors)),
        }
    }

    /// The idempotency key's hash: the client's `correlation_key`, else
    /// `(template_code, channel, to, payload, schedule bucket)` where the
    /// bucket is the minute the send is due.
    pub fn key_hash(&self, now: Timestamp) -> String {
        match &self.correlation_key {
            Some(k) => sha256_hex(format!("client\u{1f}{k}").as_bytes()),
            None => {
                let due = self.schedule_at.unwrap_or(now).unix_seconds() / 60;
                // serde_json maps keep keys sorted: the payload text is canonical.
                let payload = Value::Object(self.payload.clone()).to_string();
                let to = format!("{:?}|{:?}|{:?}", self.target.user_id.map(|u| u.to_string()), self.target.email, self.target.phone);
                sha256_hex(
                    format!(
                        "derived\u{1f}{}\u{1f}{}\u{1f}{to}\u{1f}{payload}\u{1f}{due}\u{1f}{:?}",
                        self.family,
                        self.channel.as_str(),
                        self.kind
                    )
                    .as_bytes(),
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> Result<DispatchRequest, AppError> {
        DispatchRequest::parse(serde_json::from_value(v).map_err(|e| AppError::invalid("body", e.to_string()))?, Timestamp::now())
    }

    #[test]
    fn addresses_mirrors_and_keys_are_parsed() {
        let r =
            parse(json!({"channel": "sms", "to": "+201001234567", "template_code": "promo.spring", "mirror": {"email": false}})).unwrap();
        assert_eq!(r.target.phone.as_deref(), Some("+201001234567"));
        assert_eq!(r.mirror, Some(Mirror { email: false, inbox: true }));
        let same = parse(json!({"channel": "sms", "to": "+201001234567", "template_code": "promo.spring"})).unwrap();
        let now = Timestamp::now();
        assert_eq!(r.key_hash(now), same.key_hash(now));
        let other = parse(json!({"channel": "sms", "to": "+201001234568", "template_code": "promo.spring"})).unwrap();
        assert_ne!(r.key_hash(now), other.key_hash(now));
        let keyed =
            parse(json!({"channel": "sms", "to": "+201001234568", "template_code": "promo.spring", "correlation_key": "k1"})).unwrap();
        assert_ne!(keyed.key_hash(now), other.key_hash(now));
    }

    #[test]
    fn every_problem_is_named() {
        let err =
            parse(json!({"channel": "sms", "to": "0100", "template_code": "Bad Code", "mirror": 3, "correlation_key": ""})).unwrap_err();
        let fields: Vec<_> = err.details().iter().map(|d| d.field.as_str()).collect();
        assert_eq!(fields, vec!["to", "template_code", "mirror", "correlation_key"]);
        assert!(parse(json!({"channel": "email", "to": {"fax": "1"}, "template_code": "a"})).is_err());
        assert!(parse(json!({"channel": "fax", "to": "x", "template_code": "a"})).is_err());
        let err = parse(
            json!({"channel": "sms", "to": "+201001234567", "template_code": "a", "type": "marketing", "override_quiet_hours": true}),
        )
        .unwrap_err();
        assert_eq!(err.details()[0].field, "override_quiet_hours");
    }
}
