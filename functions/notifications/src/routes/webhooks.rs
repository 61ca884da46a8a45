//! Provider delivery webhooks (public routes, authenticated by the
//! provider's shared secret):
//!
//! * `POST /v1/webhooks/brevo` — `Authorization: Bearer {BREVO_WEBHOOK_TOKEN}`
//!   (Brevo's webhook `auth` setting); one event object, or an array of them.
//! * `POST /v1/webhooks/infobip` — `Authorization: Basic
//!   base64(infobip:{INFOBIP_WEBHOOK_TOKEN})` (Infobip's webhook security
//!   setting `BASIC`).
//!
//! A wrong or missing secret is `401` and changes nothing. Each report is
//! parsed ([`crate::dlr`]), matched to its message (the provider id lookup
//! written at send time; a tag only confirms it) and applied: status, error
//! code, `message.delivered|failed|bounced|expired`, suppression on hard
//! bounces and complaints, email opt-out on unsubscribes. Applying is
//! idempotent; a payload already processed is answered `duplicate: true`
//! without work. Every payload is kept for audit for 30 days
//! (`WEBHOOKLOG`, DynamoDB TTL), with what became of each item. Items are
//! answered one by one (`items`): a malformed one is that item's error and
//! an event of a name Brevo adds later is recorded as `unknown`, while the
//! others apply. Only a body that is no report at all is `422 DLR_INVALID`.

use crm_auth::opaque::{same_hash, sha256_hex};
use crm_events::outbox::EmitExt;
use crm_events::{Actor, DomainEvent, Subject};
use crm_http::{Call, Reply};
use crm_kernel::{AppError, EntityId, TenantId, Timestamp};
use crm_notify::messages::{Channel, Message, MessageStatus};
use crm_store::item::ItemExt;
use crm_store::tx::Condition;
use crm_store::{item, keys, StoreError, Tx};
use serde_json::{json, Value};

use crate::dlr::{self, Outcome, Report};
use crate::suppression::Suppression;
use crate::{provider_message_key, App};
use crm_notify::consent::{Change, Consent, ConsentStatus, SubjectType};

const LOG_RETENTION_SECS: i64 = 30 * 86_400;

pub async fn brevo(app: &App, call: Call) -> Result<Reply, AppError> {
    let presented = call.header("authorization").and_then(|h| h.strip_prefix("Bearer ")).unwrap_or_default();
    authenticate(app.brevo_webhook_token.as_deref(), presented)?;
    receive(app, &call, "brevo", dlr::brevo_batch).await
}

pub async fn infobip(app: &App, call: Call) -> Result<Reply, AppError> {
    // Infobip's webhook security setting `BASIC`: `Authorization: Basic
    // base64(infobip:{INFOBIP_WEBHOOK_TOKEN})` — never a token in the URL,
    // where proxies and logs keep it.
    let presented = call.header("authorization").and_then(basic_credentials).unwrap_or_default();
    let expected = app.infobip_webhook_token.as_deref().map(|t| format!("{INFOBIP_WEBHOOK_USER}:{t}"));
    authenticate(expected.as_deref(), &presented)?;
    receive(app, &call, "infobip", dlr::infobip).await
}

/// The username of the Basic credentials Infobip presents (the password is the token).
pub const INFOBIP_WEBHOOK_USER: &str = "infobip";

/// `user:password` of an `Authorization: Basic …` header.
fn basic_credentials(header: &str) -> Option<String> {
    use base64::Engine;
    let encoded = header.strip_prefix("Basic ").or_else(|| header.strip_prefix("basic "))?;
    String::from_utf8(base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?).ok()
}

fn authenticate(expected: Option<&str>, presented: &str) -> Result<(), AppError> {
    match expected {
        Some(e) if !presented.is_empty() && same_hash(&sha256_hex(e.as_bytes()), &sha256_hex(presented.as_bytes())) => Ok(()),
        _ => Err(AppError::Unauthenticated),
    }
}

async fn receive(
    app: &App,
    call: &Call,
    provider: &'static str,
    parse: impl Fn(&Value) -> Result<Vec<Result<Report, AppError>>, AppError>,
) -> Result<Reply, AppError> {
    let raw = call.body_bytes()?;
    let now = Timestamp::now();
    let log_key = keys::global_unique("WEBHOOKLOG", &format!("{provider}#{}", sha256_hex(raw)));
    if app.store.get(&log_key).await?.is_some_and(|it| it.str_attr("outcome") != Some("invalid")) {
        return Ok(Reply::ok(Received { duplicate: true, reports: 0, matched: 0, items: Vec::new() }));
    }
    let text = String::from_utf8_lossy(raw).to_string();
    let log = |outcome: &str, matched: usize, items: &[&ItemOutcome]| {
        item::to_item(
            &log_key,
            &json!({ "provider": provider, "received_at": now, "raw": text, "outcome": outcome, "matched": matched, "items": items }),
        )
        .map(|it| it.with_ttl(now.unix_seconds() + LOG_RETENTION_SECS))
    };
    let parsed = serde_json::from_slice::<Value>(raw)
        .map_err(|_| AppError::Rule { code: "DLR_INVALID", message: "unrecognised delivery report: not JSON".into() })
        .and_then(|v| parse(&v));
    let reports = match parsed {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(provider, code = e.code(), "delivery report refused");
            app.store.put(log("invalid", 0, &[])?).await?;
            return Err(e);
        }
    };
    // Each item on its own: one bad item never fails the others (a provider
    // that retries a refused batch would resend, and a bad item for ever).
    let mut matched = 0;
    let mut deferred = false;
    let mut items = Vec::with_capacity(reports.len());
    for (index, parsed) in reports.iter().enumerate() {
        let outcome = match parsed {
            Err(e) => {
                tracing::warn!(provider, index, code = e.code(), reason = %e, "a delivery report item refused; the others apply");
                ItemOutcome { index, event: None, outcome: "invalid", error: Some(e.public_message()) }
            }
            Ok(r) if r.unknown => {
                tracing::info!(provider, index, event = %r.event, "an event this version does not know: recorded and acknowledged");
                ItemOutcome { index, event: Some(r.event.clone()), outcome: "unknown", error: None }
            }
            Ok(r) => match apply(app, r, now).await {
                Ok(applied) => {
                    matched += usize::from(applied);
                    ItemOutcome { index, event: Some(r.event.clone()), outcome: if applied { "applied" } else { "unmatched" }, error: None }
                }
                // The store failing fails the call (nothing else is worth it).
                Err(e @ AppError::Internal(_)) => return Err(e),
                // A report ahead of its send: deferred (Infobip is asked to resend below).
                Err(AppError::Unavailable(m)) => {
                    deferred = true;
                    ItemOutcome { index, event: Some(r.event.clone()), outcome: "deferred", error: Some(m) }
                }
                // Any other refusal is this item's alone.
                Err(e) => {
                    tracing::warn!(provider, index, code = e.code(), reason = %e, "a delivery report item not applied; the others apply");
                    ItemOutcome { index, event: Some(r.event.clone()), outcome: "retry", error: Some(e.public_message()) }
                }
            },
        };
        items.push(outcome);
    }
    // Infobip resends a report answered 5xx (applying is idempotent); Brevo
    // does not, so its deferred items are answered, and logged, as such.
    if deferred && provider == "infobip" {
        return Err(AppError::Unavailable("a report is ahead of its send; deliver it again later".into()));
    }
    // The log keeps the items that did not apply (a batch of 500 stays small).
    let kept: Vec<&ItemOutcome> = items.iter().filter(|i| i.outcome != "applied").collect();
    app.store.put(log("processed", matched, &kept)?).await?;
    Ok(Reply::ok(Received { duplicate: false, reports: reports.len(), matched, items }))
}

/// Finds the message a report is about. The provider's own message id is the
/// key: the lookup written when we sent it names the tenant and message. A
/// tag in the report (`callbackData`, `X-Mailin-custom`) is only a claim —
/// anyone can write one — so it is trusted only when it names that same
/// stored message ([`trusted`]); a report without the provider's id matches nothing.
async fn locate(app: &App, r: &Report) -> Result<Option<Message>, AppError> {
    let Some(pid) = &r.provider_message_id else { return Ok(None) };
    let Some(it) = app.store.get(&provider_message_key(r.provider, pid)).await? else {
        // A report can overtake the worker's record of the send: if the tag
        // names a message still queued, ask the provider to deliver it again
        // later (503) rather than take the tag's word for it.
        if let Some((t, id)) = r.tag {
            let tagged: Option<Message> = app.store.get_as(&Message::key(t, id)).await?;
            if tagged.is_some_and(|m| m.status == MessageStatus::Queued) {
                return Err(AppError::Unavailable("the report is ahead of its send; deliver it again later".into()));
            }
        }
        return Ok(None);
    };
    let v: Value = item::from_item(it)?;
    let stored = match (
        v["tenant_id"].as_str().and_then(|t| TenantId::parse(t).ok()),
        v["message_id"].as_str().and_then(|m| EntityId::parse(m).ok()),
    ) {
        (Some(t), Some(m)) => (t, m),
        _ => return Ok(None),
    };
    if !trusted(r.tag, stored) {
        tracing::warn!(provider = r.provider, "a delivery report's tag names another message than its provider id: ignored");
        return Ok(None);
    }
    let m: Option<Message> = app.store.get_as(&Message::key(stored.0, stored.1)).await?;
    Ok(m.filter(|m| m.provider.as_deref() == Some(r.provider) && m.provider_message_id.as_deref() == Some(pid.as_str())))
}

/// A report's tag agrees with the message its provider id was stored for
/// (or it has none) — pure.
fn trusted(tag: Option<(TenantId, EntityId)>, stored: (TenantId, EntityId)) -> bool {
    tag.is_none_or(|t| t == stored)
}

/// Applies one report; `false` when it matches no message of ours.
async fn apply(app: &App, r: &Report, now: Timestamp) -> Result<bool, AppError> {
    let Some(m) = locate(app, r).await? else {
        tracing::info!(provider = r.provider, event = %r.event, "delivery report for an unknown message");
        return Ok(false);
    };
    let t = m.tenant_id;
    let system = |kind: crm_events::EventType, subject: Subject, data: Value| DomainEvent::new(t, kind, Actor::system(), subject, data);
    let message_subject = || Subject { kind: "message".into(), id: m.id.to_string() };
    let mut tx = Tx::new();

    if let Some(status) = dlr::next_status(&m.status, &r.outcome) {
        let mut next = m.clone();
        next.status = status.clone();
        if m.status == MessageStatus::Queued {
            next.provider = Some(r.provider.into());
            next.sent_at = Some(now);
            if let Some(pid) = r.provider_message_id.as_deref().filter(|_| m.provider_message_id.is_none()) {
                next.provider_message_id = Some(pid.to_string());
                let lookup = item::to_item(&provider_message_key(r.provider, pid), &json!({ "tenant_id": t, "message_id": m.id }))?;
                tx = tx.put("provider_message", lookup);
            }
        }
        match status {
            MessageStatus::Delivered => next.delivered_at = Some(now),
            _ => {
                next.failed_at = Some(now);
                next.error_code = r.error_code.clone();
            }
        }
        next.version += 1;
        let kind = match status {
            MessageStatus::Delivered => crm_events::types::MESSAGE_DELIVERED,
            MessageStatus::Bounced => crm_events::types::MESSAGE_BOUNCED,
            MessageStatus::Expired => crm_events::types::MESSAGE_EXPIRED,
            _ => crm_events::types::MESSAGE_FAILED,
        };
        tx = tx.put_if("message", next.to_item()?, Condition::version_is(m.version)).emit(&system(
            kind,
            message_subject(),
            json!({ "channel": m.channel, "provider": r.provider, "error_code": r.error_code, "provider_event": r.event, "price": r.price }),
        ));
        let outcome = if status == MessageStatus::Delivered { "delivered" } else { "undelivered" };
        crm_events::metrics::emit(&[("Channel", m.channel.as_str()), ("Outcome", outcome)], &[("DeliveryReports", 1.0)]);
    }

    let reason = match r.outcome {
        Outcome::Bounced => Some("bounce"),
        Outcome::Complaint => Some("complaint"),
        _ => None,
    };
    if let Some(reason) = reason {
        let key = Suppression::key(t, &m.channel, &m.to);
        if app.store.get(&key).await?.is_none() {
            let s = Suppression {
                tenant_id: t,
                channel: m.channel.clone(),
                address: m.to.clone(),
                reason: reason.into(),
                occurred_at: now,
                message_id: Some(m.id.to_string()),
            };
            tx = tx.put("suppression", s.to_item()?).emit(&system(
                crm_events::types::SUPPRESSION_ADDED,
                Subject { kind: "suppression".into(), id: format!("{}:{}", m.channel.as_str(), m.to) },
                json!({ "channel": m.channel, "address": m.to, "reason": reason, "message_id": m.id }),
            ));
        }
    }

    if r.outcome == Outcome::Unsubscribed && m.channel == Channel::Email {
        let current = Consent::load(&app.store, t, &Channel::Email, &m.to).await?;
        if current.as_ref().map(|c| c.status) != Some(ConsentStatus::OptedOut) {
            let change = Change {
                channel: Channel::Email,
                address: m.to.clone(),
                status: ConsentStatus::OptedOut,
                subject_type: if m.recipient_user_id.is_some() { SubjectType::User } else { SubjectType::Contact },
                subject_id: m.recipient_user_id.map(|u| u.to_string()),
                source: format!("{}.unsubscribed", r.provider),
                text: None,
            };
            let consent = Consent::next(current.as_ref(), t, change, now);
            tx = consent.put(tx)?.emit(&system(
                crm_events::types::CONTACT_OPTED_OUT,
                Subject { kind: "contact".into(), id: m.recipient_user_id.map(|u| u.to_string()).unwrap_or_else(|| m.to.clone()) },
                json!({ "channel": "email", "address": m.to, "source": consent.consent_source, "message_id": m.id }),
            ));
        }
    }

    if tx.is_empty() {
        return Ok(true);
    }
    match app.store.transact(tx).await {
        // Someone else moved the message meanwhile: the report is applied
        // against the fresh state by the provider's retry.
        Ok(()) => Ok(true),
        Err(StoreError::ConditionFailed { .. }) | Err(StoreError::TransactionConflict) => {
            Err(AppError::Conflict("the message changed while the report was applied; retry".into()))
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_is_trusted_only_when_it_names_the_stored_message() {
        let stored = (TenantId::new(), EntityId::new());
        assert!(trusted(None, stored));
        assert!(trusted(Some(stored), stored));
        assert!(!trusted(Some((TenantId::new(), stored.1)), stored), "another tenant's tag");
        assert!(!trusted(Some((stored.0, EntityId::new())), stored), "another message");
    }

    #[test]
    fn basic_credentials_decode() {
        assert_eq!(basic_credentials("Basic aW5mb2JpcDpzM2NyZXQ=").as_deref(), Some("infobip:s3cret"));
        assert_eq!(basic_credentials("Bearer x"), None);
        assert_eq!(basic_credentials("Basic %%%"), None);
    }
}

/// What a provider's callback did.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Received {
    /// `true`: the same callback came before; nothing changed.
    pub duplicate: bool,
    /// Delivery reports in it.
    pub reports: usize,
    /// Of those, the ones that matched a message.
    pub matched: usize,
    /// What became of each item, in order.
    pub items: Vec<ItemOutcome>,
}

/// One item of a callback: `applied`, `unmatched` (no message of ours),
/// `unknown` (an event this version does not know: recorded, acknowledged),
/// `invalid` (malformed: its error; the others still apply), `deferred` (a
/// report ahead of its send) or `retry` (refused for now, e.g. a concurrent
/// change).
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct ItemOutcome {
    pub index: usize,
    pub event: Option<String>,
    pub outcome: &'static str,
    pub error: Option<String>,
}
