//! A message as the API shows it — the outbox routes and a dispatch's
//! answer alike.

use crm_kernel::{EntityId, Timestamp, UserId};
use crm_notify::messages::{carries_secret, Channel, Message, MessageKind, MessageStatus};
use serde::Serialize;

/// A message as the API shows it. The texts of messages that carry a
/// secret (identity's links and codes, a contact channel's verification
/// code) are never shown — neither subject nor body: whoever reads the
/// outbox must not be able to pass someone else's verification.
pub fn public(m: &Message) -> MessageView {
    let secret = m.source.as_deref().is_some_and(|s| s.starts_with("identity.")) || carries_secret(&m.template_code);
    let text = |t: &str| (!secret).then(|| t.to_string());
    MessageView {
        id: m.id,
        channel: m.channel.clone(),
        to: m.to.clone(),
        template_code: m.template_code.clone(),
        locale: m.locale.clone(),
        kind: m.kind,
        status: m.status.clone(),
        subject: text(&m.subject),
        body: text(&m.body),
        body_redacted: secret,
        provider: m.provider.clone(),
        provider_message_id: m.provider_message_id.clone(),
        attempts: m.attempts,
        error_code: m.error_code.clone(),
        dispatch_group_id: m.dispatch_group_id,
        mirror_of: m.mirror_of,
        recipient_user_id: m.recipient_user_id,
        source: m.source.clone(),
        billable: m.billable,
        scheduled_at: m.scheduled_at,
        created_at: m.created_at,
        sent_at: m.sent_at,
        delivered_at: m.delivered_at,
        failed_at: m.failed_at,
        group: None,
    }
}

/// A message as the API shows it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct MessageView {
    pub id: EntityId,
    pub channel: Channel,
    pub to: String,
    pub template_code: String,
    pub locale: String,
    #[serde(rename = "type")]
    pub kind: MessageKind,
    pub status: MessageStatus,
    /// `null` when the message carries a secret.
    pub subject: Option<String>,
    /// `null` when the message carries a secret.
    pub body: Option<String>,
    pub body_redacted: bool,
    pub provider: Option<String>,
    pub provider_message_id: Option<String>,
    pub attempts: u32,
    pub error_code: Option<String>,
    pub dispatch_group_id: Option<EntityId>,
    pub mirror_of: Option<EntityId>,
    pub recipient_user_id: Option<UserId>,
    pub source: Option<String>,
    pub billable: bool,
    pub scheduled_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub sent_at: Option<Timestamp>,
    pub delivered_at: Option<Timestamp>,
    pub failed_at: Option<Timestamp>,
    /// The other messages of its dispatch (`GET /v1/notify/messages/{id}` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<Vec<MessageView>>,
}
