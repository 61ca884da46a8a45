//! Composing a send: one family, one payload, one recipient → the queued
//! messages of one dispatch group. The spec's mirroring policy (ADR 0008): an SMS or
//! WhatsApp send also gets an **email** copy (when the recipient has an
//! address and, for marketing, email opt-in) and an **inbox** entry (when the
//! recipient is a user), all in the same dispatch group. Each mirror stands
//! alone: a mirror without a template is recorded as a `failed` message
//! (`TEMPLATE_MISSING`) and never blocks the primary send; mirrors are not billed.

use crate::messages::{Channel, Message, MessageKind, MessageStatus};
use crm_kernel::{AppError, EntityId, Phone, TenantId, Timestamp, UserId};
use serde_json::{Map, Value};

use crate::template::{self, Template};

/// Who a send is for.
#[derive(Debug, Clone, Default)]
pub struct Recipient {
    pub email: Option<String>,
    pub phone: Option<Phone>,
    pub user_id: Option<UserId>,
    /// The recipient's own locale (preferences, then profile).
    pub locale: Option<String>,
}

/// Which mirrors to add (both by default; `mirror=false` turns them off).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mirror {
    pub email: bool,
    pub inbox: bool,
}

impl Default for Mirror {
    fn default() -> Self {
        Self { email: true, inbox: true }
    }
}

/// What to send.
#[derive(Debug, Clone)]
pub struct Send {
    pub tenant_id: TenantId,
    pub channel: Channel,
    pub family: String,
    pub payload: Map<String, Value>,
    pub kind: MessageKind,
    pub mirror: Mirror,
    pub scheduled_at: Option<Timestamp>,
    pub source: String,
    /// The recipient's marketing email opt-in (mirrors of marketing sends need it).
    pub marketing_email_ok: bool,
}

/// The messages of one dispatch group: the primary first.
#[derive(Debug, Clone)]
pub struct Composed {
    pub group_id: EntityId,
    pub messages: Vec<Message>,
}

impl Composed {
    pub fn primary(&self) -> &Message {
        &self.messages[0]
    }
}

/// The address of `recipient` on `channel`, or why there is none.
fn address(channel: &Channel, r: &Recipient) -> Result<String, AppError> {
    let missing = |f: &str| AppError::invalid(format!("to.{f}"), format!("a {} send needs `to.{f}`", channel.as_str()));
    match channel {
        Channel::Email => r.email.clone().ok_or_else(|| missing("email")),
        Channel::Sms | Channel::Whatsapp => r.phone.as_ref().map(|p| p.to_string()).ok_or_else(|| missing("phone")),
        Channel::Inbox => r.user_id.map(|u| u.to_string()).ok_or_else(|| missing("user_id")),
    }
}

/// Builds the group. The primary must resolve and render (else the
/// dispatch is refused with `TEMPLATE_MISSING` or the missing variables).
pub fn compose(send: &Send, to: &Recipient, overrides: &[Template], tenant_locale: Option<&str>) -> Result<Composed, AppError> {
    let chain = template::locale_chain(to.locale.as_deref(), tenant_locale);
    let group_id = EntityId::new();
    let build = |channel: Channel, rendered: &template::Rendered, addr: String| {
        let mut m = Message::new(channel, send.tenant_id, &addr, &send.family, rendered.subject.clone(), rendered.body.clone());
        m.locale = rendered.locale.clone();
        m.kind = send.kind;
        m.dispatch_group_id = Some(group_id);
        m.recipient_user_id = to.user_id;
        m.scheduled_at = send.scheduled_at;
        m.source = Some(send.source.clone());
        m
    };

    let primary_addr = address(&send.channel, to)?;
    let t = template::resolve(overrides, &send.channel, &send.family, &chain);
    let rendered = match (t, &send.channel) {
        (Some(t), _) => template::render(&t, &send.payload)?,
        (None, Channel::Inbox) => return Err(template::missing(&Channel::Inbox, &send.family)),
        (None, c) => return Err(template::missing(c, &send.family)),
    };
    let primary = build(send.channel.clone(), &rendered, primary_addr);
    let mut messages = vec![primary.clone()];

    if matches!(send.channel, Channel::Sms | Channel::Whatsapp) {
        if send.mirror.email && (send.kind == MessageKind::Transactional || send.marketing_email_ok) {
            if let Some(email) = &to.email {
                let mut m = match template::resolve(overrides, &Channel::Email, &send.family, &chain)
                    .map(|t| template::render(&t, &send.payload))
                {
                    Some(Ok(r)) => build(Channel::Email, &r, email.clone()),
                    Some(Err(e)) => failed(build(Channel::Email, &empty(&rendered), email.clone()), e.code()),
                    None => failed(build(Channel::Email, &empty(&rendered), email.clone()), "TEMPLATE_MISSING"),
                };
                m.mirror_of = Some(primary.id);
                m.billable = false;
                messages.push(m);
            }
        }
        if send.mirror.inbox {
            if let Some(user) = to.user_id {
                let r = match template::resolve(overrides, &Channel::Inbox, &send.family, &chain)
                    .map(|t| template::render(&t, &send.payload))
                {
                    Some(Ok(r)) => r,
                    _ => template::inbox_fallback(&send.family, &rendered.body, &rendered.locale),
                };
                let mut m = build(Channel::Inbox, &r, user.to_string());
                m.mirror_of = Some(primary.id);
                m.billable = false;
                m.auto_generated = r.auto_generated;
                messages.push(m);
            }
        }
    }
    Ok(Composed { group_id, messages })
}

fn empty(r: &template::Rendered) -> template::Rendered {
    template::Rendered { subject: String::new(), body: String::new(), locale: r.locale.clone(), auto_generated: false }
}

fn failed(mut m: Message, code: &str) -> Message {
    m.status = MessageStatus::Failed;
    m.error_code = Some(code.to_string());
    m.failed_at = Some(m.created_at);
    m
}

/// The inbox entry and email (when the user has an address) telling
/// `user` about something: the transactional notices modules send
/// (assignments, stage changes, approvals).
pub fn to_user(
    tenant: TenantId,
    user: &crm_directory::UserView,
    family: &str,
    payload: &Value,
    source: &str,
) -> Result<Vec<Message>, AppError> {
    let recipient = Recipient {
        email: Some(user.email.clone()).filter(|e| !e.is_empty()),
        phone: None,
        user_id: Some(user.id),
        locale: user.locale().map(str::to_string),
    };
    let mut out = Vec::new();
    for channel in [Channel::Inbox, Channel::Email] {
        if channel == Channel::Email && recipient.email.is_none() {
            continue;
        }
        let send = Send {
            tenant_id: tenant,
            channel,
            family: family.into(),
            payload: payload.as_object().cloned().unwrap_or_default(),
            kind: MessageKind::Transactional,
            mirror: Mirror { email: false, inbox: false },
            scheduled_at: None,
            source: source.into(),
            marketing_email_ok: false,
        };
        out.push(compose(&send, &recipient, &[], None)?.messages.remove(0));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn otp_send(channel: Channel) -> Send {
        Send {
            tenant_id: TenantId::new(),
            channel,
            family: "otp.verify_phone".into(),
            payload: json!({ "code": "123456", "expires_min": 10, "app_name": "M3CRM", "phone_masked": "+2010******67" })
                .as_object()
                .unwrap()
                .clone(),
            kind: MessageKind::Transactional,
            mirror: Mirror::default(),
            scheduled_at: None,
            source: "test".into(),
            marketing_email_ok: false,
        }
    }

    fn user() -> Recipient {
        Recipient {
            email: Some("sara@example.com".into()),
            phone: Some(Phone::parse("+201001234567").unwrap()),
            user_id: Some(UserId::new()),
            locale: Some("ar".into()),
        }
    }

    #[test]
    fn an_sms_is_mirrored_to_email_and_inbox_in_one_group_without_the_code() {
        let c = compose(&otp_send(Channel::Sms), &user(), &[], None).unwrap();
        let channels: Vec<_> = c.messages.iter().map(|m| m.channel.clone()).collect();
        assert_eq!(channels, [Channel::Sms, Channel::Email, Channel::Inbox]);
        assert!(c.messages.iter().all(|m| m.dispatch_group_id == Some(c.group_id)));
        assert!(c.primary().body.contains("123456") && c.primary().billable);
        for m in &c.messages[1..] {
            assert_eq!(m.mirror_of, Some(c.primary().id));
            assert!(!m.billable);
            assert!(!m.body.contains("123456"), "a mirror never carries the code: {}", m.body);
            assert_eq!(m.locale, "ar");
        }
    }

    #[test]
    fn mirror_false_and_missing_addresses_skip_mirrors() {
        let mut s = otp_send(Channel::Whatsapp);
        s.mirror = Mirror { email: false, inbox: true };
        let c = compose(&s, &user(), &[], None).unwrap();
        assert_eq!(c.messages.len(), 2);
        let phone_only = Recipient { phone: user().phone, ..Default::default() };
        assert_eq!(compose(&otp_send(Channel::Sms), &phone_only, &[], None).unwrap().messages.len(), 1);
    }

    #[test]
    fn a_mirror_without_template_is_recorded_failed_and_the_primary_still_goes() {
        let mut s = otp_send(Channel::Sms);
        s.family = "promo.flash".into();
        let sms = Template {
            channel: Channel::Sms,
            family: "promo.flash".into(),
            locale: "en".into(),
            subject: String::new(),
            body: "Sale {{pct}}%".into(),
        };
        s.payload = json!({ "pct": 20 }).as_object().unwrap().clone();
        let c = compose(&s, &user(), &[sms], None).unwrap();
        assert_eq!(c.primary().status, MessageStatus::Queued);
        let email = &c.messages[1];
        assert_eq!((email.status.clone(), email.error_code.as_deref()), (MessageStatus::Failed, Some("TEMPLATE_MISSING")));
        let inbox = &c.messages[2];
        assert_eq!(inbox.body, "Sale 20%", "inbox falls back to the SMS text");
    }

    #[test]
    fn marketing_mirrors_to_email_only_with_opt_in() {
        let mut s = otp_send(Channel::Sms);
        s.kind = MessageKind::Marketing;
        assert!(compose(&s, &user(), &[], None).unwrap().messages.iter().all(|m| m.channel != Channel::Email));
        s.marketing_email_ok = true;
        assert!(compose(&s, &user(), &[], None).unwrap().messages.iter().any(|m| m.channel == Channel::Email));
    }

    #[test]
    fn the_primary_must_render() {
        let mut s = otp_send(Channel::Sms);
        s.payload.remove("code");
        assert_eq!(compose(&s, &user(), &[], None).unwrap_err().code(), "VALIDATION_ERROR");
        s.family = "nothing.here".into();
        assert_eq!(compose(&s, &user(), &[], None).unwrap_err().code(), "TEMPLATE_MISSING");
        let nobody = Recipient::default();
        assert_eq!(compose(&otp_send(Channel::Sms), &nobody, &[], None).unwrap_err().code(), "VALIDATION_ERROR");
    }
}
