//! Delivery reports: what Brevo and Infobip tell us about a sent message,
//! parsed into one [`Report`] shape, and what that does to the message
//! ([`next_status`]). Pure and unit-tested; the webhook routes load, apply
//! and store.
//!
//! * Brevo (transactional and marketing webhooks; one event, or a batch as
//!   an array): `{"event": "delivered", "email": …, "message-id": "<…>",
//!   "ts_event": …, "reason": …}`, event names in snake case (`hardBounce`
//!   in Brevo's settings is `hard_bounce` here). `delivered` → delivered;
//!   `hard_bounce`, `invalid_email` → bounced + suppression (`bounce`);
//!   `blocked`, `error` → failed; `spam` (`complaint`) → complaint
//!   suppression; `unsubscribed` → email opt-out; `request`, `deferred`,
//!   `soft_bounce`, `opened`, `unique_opened`, `click`, `proxy_open`,
//!   `unique_proxy_open` and the marketing list events → noted only. A
//!   well-formed event of another name (one Brevo adds later) is noted as
//!   unknown and acknowledged.
//! * Infobip (`notifyUrl`, `{"results": [{messageId, to, status: {groupName, name}, error: {name}, callbackData}]}`):
//!   status group `DELIVERED` → delivered, `UNDELIVERABLE` and `REJECTED` →
//!   failed, `EXPIRED` → expired, `PENDING` → noted only.
//!
//! A malformed item is that item's `DLR_INVALID`; the others of its batch
//! still apply. A body that is no report at all is `DLR_INVALID`.

use crm_kernel::{AppError, EntityId, TenantId};
use crm_notify::messages::MessageStatus;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Delivered,
    Failed,
    Bounced,
    Expired,
    /// The recipient reported spam: suppress, status unchanged.
    Complaint,
    /// The recipient unsubscribed: opt out, status unchanged.
    Unsubscribed,
    /// Informational (`deferred`, `opened`, `PENDING`, …).
    Noted,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub provider: &'static str,
    pub event: String,
    pub provider_message_id: Option<String>,
    /// From the message's own tag (Infobip `callbackData`, Brevo `X-Mailin-custom`).
    pub tag: Option<(TenantId, EntityId)>,
    pub outcome: Outcome,
    pub error_code: Option<String>,
    /// The recipient address the report is about.
    pub address: Option<String>,
    /// An event the provider does not document yet (a newer one): recorded
    /// and acknowledged, changing nothing.
    pub unknown: bool,
    /// What the provider charged (Infobip's `price`: `{pricePerMessage,
    /// currency}`), passed on to billing's metering on `message.delivered`.
    pub price: Option<Value>,
}

fn invalid(why: &str) -> AppError {
    AppError::Rule { code: "DLR_INVALID", message: format!("unrecognised delivery report: {why}") }
}

/// `tenant=…|message=…` as we tag every provider message.
pub fn parse_tag(raw: &str) -> Option<(TenantId, EntityId)> {
    let mut tenant = None;
    let mut message = None;
    for part in raw.split('|') {
        match part.split_once('=') {
            Some(("tenant", t)) => tenant = TenantId::parse(t.trim()).ok(),
            Some(("message", m)) => message = EntityId::parse(m.trim()).ok(),
            _ => {}
        }
    }
    Some((tenant?, message?))
}

/// Brevo's event name in the snake case its payloads use: its webhook
/// settings (and some marketing payloads) spell them in camel case
/// (`hardBounce`, `uniqueProxyOpen`).
fn brevo_event_name(raw: &str) -> String {
    let raw = raw.trim();
    // All capitals (`HARD_BOUNCE`): only the case differs.
    if !raw.chars().any(|c| c.is_ascii_lowercase()) {
        return raw.to_ascii_lowercase();
    }
    let mut out = String::with_capacity(raw.len() + 4);
    let mut previous_lower = false;
    for c in raw.chars() {
        if c.is_ascii_uppercase() && previous_lower {
            out.push('_');
        }
        previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// One Brevo event (transactional or marketing). Every event Brevo documents
/// is understood; a well-formed event of a name it may add later is
/// recorded as unknown and acknowledged; only a malformed one is refused.
pub fn brevo(v: &Value) -> Result<Report, AppError> {
    let raw = v.get("event").and_then(Value::as_str).filter(|e| !e.trim().is_empty()).ok_or_else(|| invalid("no `event`"))?;
    let event = brevo_event_name(raw);
    if event.len() > 40 || !event.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
        return Err(invalid("a malformed `event`"));
    }
    let id = v.get("message-id").or_else(|| v.get("Message-Id")).and_then(Value::as_str).map(str::to_string);
    let tag = v.get("X-Mailin-custom").and_then(Value::as_str).and_then(parse_tag);
    // Campaign events name their campaign, list events their list: no message.
    let about_no_message = v.get("camp_id").is_some() || matches!(event.as_str(), "list_addition" | "contact_updated" | "contact_deleted");
    if id.is_none() && tag.is_none() && !about_no_message {
        return Err(invalid("no `message-id`"));
    }
    let reason = v.get("reason").and_then(Value::as_str).filter(|r| !r.is_empty());
    let (outcome, code, unknown) = match event.as_str() {
        "delivered" => (Outcome::Delivered, None, false),
        "hard_bounce" | "hard_bounced" => (Outcome::Bounced, Some("HARD_BOUNCE"), false),
        "invalid_email" | "invalid" => (Outcome::Bounced, Some("INVALID_EMAIL"), false),
        "blocked" => (Outcome::Failed, Some("BLOCKED"), false),
        "error" => (Outcome::Failed, Some("PROVIDER_ERROR"), false),
        "spam" | "complaint" => (Outcome::Complaint, None, false),
        "unsubscribed" | "unsubscribe" => (Outcome::Unsubscribed, None, false),
        "request" | "sent" | "deferred" | "soft_bounce" | "soft_bounced" | "opened" | "unique_opened" | "click" | "proxy_open"
        | "unique_proxy_open" | "list_addition" | "contact_updated" | "contact_deleted" => (Outcome::Noted, None, false),
        _ => (Outcome::Noted, None, true),
    };
    Ok(Report {
        provider: "brevo",
        event,
        provider_message_id: id,
        tag,
        outcome,
        error_code: code.map(|c| match reason {
            Some(r) => format!("{c}: {}", r.chars().take(200).collect::<String>()),
            None => c.to_string(),
        }),
        address: v.get("email").and_then(Value::as_str).map(|e| e.trim().to_lowercase()),
        price: None,
        unknown,
    })
}

/// Each event of a Brevo callback: one object, or a batch (an array).
pub fn brevo_batch(v: &Value) -> Result<Vec<Result<Report, AppError>>, AppError> {
    match v {
        Value::Array(events) if !events.is_empty() => Ok(events.iter().map(brevo).collect()),
        Value::Array(_) => Err(invalid("an empty batch")),
        // One event alone: malformed, the call is refused.
        Value::Object(_) => brevo(v).map(|r| vec![Ok(r)]),
        _ => Err(invalid("not an event")),
    }
}

pub fn infobip(v: &Value) -> Result<Vec<Result<Report, AppError>>, AppError> {
    let results = v.get("results").and_then(Value::as_array).filter(|r| !r.is_empty()).ok_or_else(|| invalid("no `results`"))?;
    Ok(results
        .iter()
        .map(|r| {
            let group = r.pointer("/status/groupName").and_then(Value::as_str).ok_or_else(|| invalid("no `status.groupName`"))?;
            let id = r.get("messageId").and_then(Value::as_str).map(str::to_string);
            let tag = r.get("callbackData").and_then(Value::as_str).and_then(parse_tag);
            if id.is_none() && tag.is_none() {
                return Err(invalid("no `messageId`"));
            }
            let error_name = r.pointer("/error/name").and_then(Value::as_str).filter(|n| *n != "NO_ERROR");
            let status_name = r.pointer("/status/name").and_then(Value::as_str);
            let outcome = match group {
                "DELIVERED" => Outcome::Delivered,
                "UNDELIVERABLE" | "REJECTED" => Outcome::Failed,
                "EXPIRED" => Outcome::Expired,
                "PENDING" => Outcome::Noted,
                other => return Err(invalid(&format!("status group `{other}`"))),
            };
            let error_code = match outcome {
                Outcome::Failed | Outcome::Expired => Some(error_name.or(status_name).unwrap_or(group).to_string()),
                _ => None,
            };
            Ok(Report {
                provider: "infobip",
                event: group.to_string(),
                provider_message_id: id,
                tag,
                outcome,
                error_code,
                address: r.get("to").and_then(Value::as_str).map(|t| if t.starts_with('+') { t.to_string() } else { format!("+{t}") }),
                price: r.get("price").filter(|p| p.get("pricePerMessage").is_some()).cloned(),
                unknown: false,
            })
        })
        .collect())
}

/// The status a message moves to on `outcome`, or `None` when the report
/// changes nothing (a duplicate, a late report after a final state, or a
/// note). `delivered` may still turn `bounced` (asynchronous bounces).
pub fn next_status(current: &MessageStatus, outcome: &Outcome) -> Option<MessageStatus> {
    use MessageStatus::*;
    let target = match outcome {
        Outcome::Delivered => Delivered,
        Outcome::Failed => Failed,
        Outcome::Bounced => Bounced,
        Outcome::Expired => Expired,
        Outcome::Complaint | Outcome::Unsubscribed | Outcome::Noted => return None,
    };
    match (current, &target) {
        (Queued | Sent, _) => Some(target),
        (Delivered, Bounced) => Some(Bounced),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn brevo_events_map_to_outcomes() {
        let r =
            brevo(&json!({"event": "hard_bounce", "email": "X@Y.com", "message-id": "<1@relay>", "reason": "550 no such user"})).unwrap();
        assert_eq!(r.outcome, Outcome::Bounced);
        assert_eq!(r.error_code.as_deref(), Some("HARD_BOUNCE: 550 no such user"));
        assert_eq!(r.address.as_deref(), Some("x@y.com"));
        assert_eq!(brevo(&json!({"event": "delivered", "message-id": "<1@relay>"})).unwrap().outcome, Outcome::Delivered);
        assert_eq!(brevo(&json!({"event": "spam", "message-id": "<1@relay>"})).unwrap().outcome, Outcome::Complaint);
        assert_eq!(brevo(&json!({"event": "opened", "message-id": "<1@relay>"})).unwrap().outcome, Outcome::Noted);
        // Every documented event, in either spelling, is understood.
        for (event, outcome) in [
            ("unique_proxy_open", Outcome::Noted),
            ("uniqueProxyOpen", Outcome::Noted),
            ("proxy_open", Outcome::Noted),
            ("hardBounce", Outcome::Bounced),
            ("complaint", Outcome::Complaint),
            ("unsubscribe", Outcome::Unsubscribed),
            ("soft_bounce", Outcome::Noted),
            ("HARD_BOUNCE", Outcome::Bounced),
        ] {
            let r = brevo(&json!({"event": event, "message-id": "<1@relay>"})).unwrap();
            assert_eq!((r.outcome, r.unknown), (outcome, false), "{event}");
        }
        assert_eq!(brevo_event_name("uniqueProxyOpen"), "unique_proxy_open");
        assert_eq!(brevo_event_name("HARD_BOUNCE"), "hard_bounce");
        assert!(!brevo(&json!({"event": "listAddition", "email": "a@b.co", "list_id": [3]})).unwrap().unknown);
        // A future event is recorded as unknown, not refused.
        let later = brevo(&json!({"event": "teleported", "message-id": "x"})).unwrap();
        assert_eq!((later.outcome, later.unknown, later.event.as_str()), (Outcome::Noted, true, "teleported"));
        for bad in [json!({"event": "delivered"}), json!({"hello": 1}), json!({"event": "<script>", "message-id": "x"})] {
            assert_eq!(brevo(&bad).unwrap_err().code(), "DLR_INVALID");
        }
        // A batch answers per item.
        let batch = brevo_batch(
            &json!([{"event": "delivered", "message-id": "a"}, {"nope": 1}, {"event": "unique_proxy_open", "message-id": "b"}]),
        )
        .unwrap();
        assert_eq!(batch.iter().map(Result::is_ok).collect::<Vec<_>>(), [true, false, true]);
        assert!(brevo_batch(&json!([])).is_err() && brevo_batch(&json!("x")).is_err() && brevo_batch(&json!({"nope": 1})).is_err());
    }

    #[test]
    fn infobip_results_map_to_outcomes() {
        let t = TenantId::new();
        let m = EntityId::new();
        let v = json!({"results": [
            {"messageId": "a", "to": "201001234567", "status": {"groupName": "DELIVERED", "name": "DELIVERED_TO_HANDSET"}, "error": {"name": "NO_ERROR"}},
            {"messageId": "b", "status": {"groupName": "UNDELIVERABLE", "name": "UNDELIVERABLE_NOT_DELIVERED"}, "error": {"name": "EC_ABSENT_SUBSCRIBER"}, "callbackData": format!("tenant={t}|message={m}")},
            {"messageId": "c", "status": {"groupName": "EXPIRED", "name": "EXPIRED_EXPIRED"}},
        ]});
        let r: Vec<Report> = infobip(&v).unwrap().into_iter().map(Result::unwrap).collect();
        assert_eq!(
            (r[0].outcome.clone(), r[0].error_code.clone(), r[0].address.as_deref()),
            (Outcome::Delivered, None, Some("+201001234567"))
        );
        assert_eq!(
            (r[1].outcome.clone(), r[1].error_code.as_deref(), r[1].tag),
            (Outcome::Failed, Some("EC_ABSENT_SUBSCRIBER"), Some((t, m)))
        );
        assert_eq!(r[2].outcome, Outcome::Expired);
        assert!(infobip(&json!({"results": []})).is_err());
        // A bad result is its own error; the others of the report still apply.
        let mixed = infobip(&json!({"results": [{"messageId": "a", "status": {"groupName": "WEIRD"}}, {"messageId": "b", "status": {"groupName": "DELIVERED"}}]})).unwrap();
        assert_eq!(mixed.iter().map(Result::is_ok).collect::<Vec<_>>(), [false, true]);
    }

    #[test]
    fn final_states_stay_final_except_a_late_bounce() {
        use MessageStatus::*;
        assert_eq!(next_status(&Sent, &Outcome::Delivered), Some(Delivered));
        assert_eq!(next_status(&Queued, &Outcome::Failed), Some(Failed));
        assert_eq!(next_status(&Delivered, &Outcome::Delivered), None);
        assert_eq!(next_status(&Delivered, &Outcome::Bounced), Some(Bounced));
        assert_eq!(next_status(&Failed, &Outcome::Delivered), None);
        assert_eq!(next_status(&Sent, &Outcome::Noted), None);
    }
}
