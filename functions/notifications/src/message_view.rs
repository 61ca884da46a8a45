//! A message as the API shows it — the outbox routes and a dispatch's
//! answer alike.

use crm_notify::messages::{carries_secret, Message};
use serde_json::{json, Value};

/// A message as the API shows it. The texts of messages that carry a
/// secret (identity's links and codes, a contact channel's verification
/// code) are never shown — neither subject nor body: whoever reads the
/// outbox must not be able to pass someone else's verification.
pub fn public(m: &Message) -> Value {
    let secret = m.source.as_deref().is_some_and(|s| s.starts_with("identity.")) || carries_secret(&m.template_code);
    let text = |t: &str| if secret { Value::Null } else { Value::String(t.to_string()) };
    json!({
        "id": m.id, "channel": m.channel, "to": m.to, "template_code": m.template_code, "locale": m.locale,
        "type": m.kind, "status": m.status, "subject": text(&m.subject),
        "body": text(&m.body),
        "body_redacted": secret,
        "provider": m.provider, "provider_message_id": m.provider_message_id, "attempts": m.attempts,
        "error_code": m.error_code, "dispatch_group_id": m.dispatch_group_id, "mirror_of": m.mirror_of,
        "recipient_user_id": m.recipient_user_id, "source": m.source, "billable": m.billable,
        "scheduled_at": m.scheduled_at, "created_at": m.created_at, "sent_at": m.sent_at,
        "delivered_at": m.delivered_at, "failed_at": m.failed_at,
    })
}
