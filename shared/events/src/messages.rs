//! Outgoing messages (email, SMS, WhatsApp, inbox): a message is an item
//! written in the same transaction as the change that causes it, with the
//! outbox event `message.queued` carrying only its id — message bodies (which
//! may hold one-time links) never travel in events. The notifications worker
//! loads the message and hands it to the channel's provider adapter.

use crm_kernel::{EntityId, TenantId, Timestamp};
use crm_store::{item, keys, Key, StoreError, Tx};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::outbox::EmitExt;
use crate::{Actor, DomainEvent, Subject};

pub const MESSAGE: &str = "MESSAGE";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Email,
    Sms,
    Whatsapp,
    Inbox,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageStatus {
    Queued,
    Sent,
    Delivered,
    Failed,
    Bounced,
    Expired,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Message {
    pub id: EntityId,
    pub tenant_id: TenantId,
    pub channel: Channel,
    pub to: String,
    /// Template family (`auth.reset_password`, ...).
    pub template_code: String,
    pub locale: String,
    pub subject: String,
    pub body: String,
    pub status: MessageStatus,
    #[serde(default)]
    pub provider: Option<String>,
    #[serde(default)]
    pub provider_message_id: Option<String>,
    #[serde(default)]
    pub attempts: u32,
    pub created_at: Timestamp,
    #[serde(default)]
    pub sent_at: Option<Timestamp>,
    pub version: u64,
}

impl Message {
    pub fn email(tenant_id: TenantId, to: &str, template_code: &str, subject: String, body: String) -> Self {
        Self::new(Channel::Email, tenant_id, to, template_code, subject, body)
    }

    /// A queued message on any channel (`to` is an email, an E.164 number or a user id for `inbox`).
    pub fn new(channel: Channel, tenant_id: TenantId, to: &str, template_code: &str, subject: String, body: String) -> Self {
        Self {
            id: EntityId::new(),
            tenant_id,
            channel,
            to: to.to_string(),
            template_code: template_code.into(),
            locale: "en".into(),
            subject,
            body,
            status: MessageStatus::Queued,
            provider: None,
            provider_message_id: None,
            attempts: 0,
            created_at: Timestamp::now(),
            sent_at: None,
            version: 1,
        }
    }

    pub fn key(tenant: TenantId, id: EntityId) -> Key {
        keys::entity(tenant, MESSAGE, id)
    }
}

/// Adds a message and its `message.queued` event to a transaction.
pub trait QueueExt {
    fn queue_message(self, message: &Message) -> Result<Self, StoreError>
    where
        Self: Sized;
}

impl QueueExt for Tx {
    fn queue_message(self, message: &Message) -> Result<Self, StoreError> {
        let event = DomainEvent::new(
            message.tenant_id,
            "message.queued",
            Actor::system(),
            Subject { kind: "message".into(), id: message.id.to_string() },
            json!({ "channel": message.channel, "template_code": message.template_code }),
        );
        Ok(self.put_new("message", item::to_item(&Message::key(message.tenant_id, message.id), message)?).emit(&event))
    }
}
