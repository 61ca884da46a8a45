//! Notifications: the `notifications` worker on the notifications queue
//! (EventBridge rule: `message.queued`). It loads the queued message, sends
//! it through the channel's provider adapter and records the outcome
//! (`message.sent`).
//!
//! Adapters: `dev` records what it would send (readable locally at
//! `GET /_local/mailbox?to=`); the Brevo and Infobip HTTP adapters, templates,
//! consent, caps and webhooks come with the notifications capability.

pub mod adapter;

use crm_events::consumer::{process_batch, ConsumerError, SqsEvent};
use crm_events::messages::{Message, MessageStatus};
use crm_events::outbox::EmitExt;
use crm_events::{Actor, BatchResponse, DomainEvent, Subject};
use crm_kernel::{EntityId, Env, Timestamp};
use crm_store::tx::Condition;
use crm_store::{item, Store, Tx};
use serde_json::json;

use crate::adapter::Adapter;

pub const CONSUMER: &str = "notifications";

pub struct App {
    pub store: Store,
    pub email: Adapter,
}

impl App {
    /// `EMAIL_PROVIDER` (default `dev`).
    pub fn new(config: &aws_config::SdkConfig, env: &Env) -> Result<Self, String> {
        let store = Store::from_config(config, env).map_err(|e| e.to_string())?;
        let email = match env.get("EMAIL_PROVIDER").unwrap_or("dev") {
            "dev" => Adapter::Dev { store: store.clone() },
            other => return Err(format!("EMAIL_PROVIDER {other} is not available yet")),
        };
        Ok(Self { store, email })
    }

    pub async fn handle_batch(&self, event: SqsEvent) -> BatchResponse {
        process_batch(CONSUMER, event, |e| self.deliver(e)).await
    }

    /// Sends one queued message. A message no longer `queued` was handled by
    /// an earlier delivery of the same event: nothing to do.
    pub async fn deliver(&self, event: DomainEvent) -> Result<(), ConsumerError> {
        if event.event_type != "message.queued" {
            return Ok(());
        }
        let id = EntityId::parse(&event.subject.id).map_err(|_| ConsumerError::Unreadable("message id".into()))?;
        let Some(message) = self.store.get_as::<Message>(&Message::key(event.tenant_id, id)).await? else {
            tracing::warn!(message_id = %id, "queued message not found");
            return Ok(());
        };
        if message.status != MessageStatus::Queued {
            return Ok(());
        }
        let provider_id = self.email.send(&message).await.map_err(ConsumerError::Failed)?;
        let mut sent = message.clone();
        sent.status = MessageStatus::Sent;
        sent.provider = Some(self.email.name().into());
        sent.provider_message_id = Some(provider_id);
        sent.attempts += 1;
        sent.sent_at = Some(Timestamp::now());
        sent.version += 1;
        let sent_event = DomainEvent::new(
            message.tenant_id,
            "message.sent",
            Actor::system(),
            Subject { kind: "message".into(), id: id.to_string() },
            json!({ "channel": message.channel, "provider": self.email.name() }),
        );
        let tx = Tx::new()
            .put_if("message", item::to_item(&Message::key(message.tenant_id, id), &sent)?, Condition::version_is(message.version))
            .emit(&sent_event);
        match self.store.transact(tx).await {
            Ok(()) | Err(crm_store::StoreError::ConditionFailed { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}
