//! Delivery reports: what Brevo and Infobip tell us about a sent message,
//! parsed into one [`Report`] shape, and what that does to the message
//! ([`next_status`]). Pure and unit-tested; the webhook routes load, apply
//! and store.
//!
//! * Brevo (transactional webhook, one event per request):
//!   `{"event": "delivered", "email": …, "message-id": "<…>", "ts_event": …, "reason": …}`.
//!   `delivered` → delivered; `hard_bounce`, `invalid_email` → bounced +
//!   suppression (`bounce`); `blocked`, `error` → failed; `spam` → complaint
//!   suppression; `unsubscribed` → email opt-out; `request`, `deferred`,
//!   `soft_bounce`, `opened`, `unique_opened`, `click`, `proxy_open` → noted only.
//! * Infobip (`notifyUrl`, `{"results": [{messageId, to, status: {groupName, name}, error: {name}, callbackData}]}`):
//!   status group `DELIVERED` → delivered, `UNDELIVERABLE` and `REJECTED` →
//!   failed, `EXPIRED` → expired, `PENDING` → noted only.
//!
//! Anything else is `DLR_INVALID`.

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

pub fn brevo(v: &Value) -> Result<Report, AppError> {
    let event = v.get("event").and_then(Value::as_str).ok_or_else(|| invalid("no `event`"))?;
    let id = v.get("message-id").and_then(Value::as_str).map(str::to_string);
    let tag = v.get("X-Mailin-custom").and_then(Value::as_str).and_then(parse_tag);
    if id.is_none() && tag.is_none() {
        return Err(invalid("no `message-id`"));
    }
    let reason = v.get("reason").and_then(Value::as_str).filter(|r| !r.is_empty());
    let (outcome, code) = match event {
        "delivered" => (Outcome::Delivered, None),
        "hard_bounce" => (Outcome::Bounced, Some("HARD_BOUNCE")),
        "invalid_email" => (Outcome::Bounced, Some("INVALID_EMAIL")),
        "blocked" => (Outcome::Failed, Some("BLOCKED")),
        "error" => (Outcome::Failed, Some("PROVIDER_ERROR")),
        "spam" => (Outcome::Complaint, None),
        "unsubscribed" => (Outcome::Unsubscribed, None),
        "request" | "deferred" | "soft_bounce" | "opened" | "unique_opened" | "click" | "proxy_open" => (Outcome::Noted, None),
        other => return Err(invalid(&format!("event `{other}`"))),
    };
    Ok(Report {
        provider: "brevo",
        event: event.to_string(),
        provider_message_id: id,
        tag,
        outcome,
        error_code: code.map(|c| match reason {
            Some(r) => format!("{c}: {}", r.chars().take(200).collect::<String>()),
            None => c.to_string(),
        }),
        address: v.get("email").and_then(Value::as_str).map(|e| e.trim().to_lowercase()),
        price: None,
    })
}

pub fn infobip(v: &Value) -> Result<Vec<Report>, AppError> {
    let results = v.get("results").and_then(Value::as_array).filter(|r| !r.is_empty()).ok_or_else(|| invalid("no `results`"))?;
    results
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
            })
        })
        .collect()
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
        for bad in [json!({"event": "teleported", "message-id": "x"}), json!({"event": "delivered"}), json!({"hello": 1})] {
            assert_eq!(brevo(&bad).unwrap_err().code(), "DLR_INVALID");
        }
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
        let r = infobip(&v).unwrap();
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
        assert!(infobip(&json!({"results": [{"messageId": "a", "status": {"groupName": "WEIRD"}}]})).is_err());
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
