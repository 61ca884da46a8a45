//! The `notifications` worker on the notifications queue (EventBridge rule:
//! `message.queued`). It loads the queued message and
//!
//! * `inbox`: writes the user's inbox entry (delivered at once);
//! * email, SMS, WhatsApp: refuses a suppressed address (`RECIPIENT_SUPPRESSED`),
//!   else sends through the channel's provider adapter ([`crate::adapters`])
//!   and records `sent` with the provider's message id;
//! * a message scheduled for later (delayed sends, quiet hours) goes back on
//!   the queue with an SQS delay (at most 15 minutes a hop) until it is due;
//! * a retryable failure (429, 5xx, network) is retried after 1 m, 5 m and
//!   15 m (`NOTIFY_RETRY_DELAYS_SECS`); after the last one — or at once for a
//!   permanent failure — the message is `failed` with its `error_code`,
//!   `message.failed` is emitted and the event is copied to the
//!   notifications dead-letter queue for a manual requeue: nothing is lost.

use crm_events::consumer::{process_batch, ConsumerError, SqsEvent};
use crm_events::outbox::EmitExt;
use crm_events::{Actor, BatchResponse, DomainEvent, Subject};
use crm_kernel::{EntityId, Timestamp};
use crm_notify::messages::{Channel, Message, MessageStatus};
use crm_store::tx::Condition;
use crm_store::{item, StoreError, Tx};
use serde_json::json;

use crate::accounts::EmailAccount;
use crate::adapters::{self, SendError};
use crate::inbox::InboxEntry;
use crate::suppression::Suppression;
use crate::{provider_message_key, App, CONSUMER, MAX_DELAY_SECS};

impl App {
    pub async fn handle_batch(&self, event: SqsEvent) -> BatchResponse {
        process_batch(CONSUMER, event, |e| self.deliver(e)).await
    }

    /// Handles one `message.queued`. A message no longer `queued` was handled
    /// by an earlier delivery of the same event: nothing to do.
    pub async fn deliver(&self, event: DomainEvent) -> Result<(), ConsumerError> {
        if !event.is(crm_events::types::MESSAGE_QUEUED) {
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
        let now = Timestamp::now();
        if let Some(due) = message.scheduled_at.filter(|at| *at > now) {
            let wait = (due.unix_seconds() - now.unix_seconds()).clamp(1, MAX_DELAY_SECS);
            return self.requeue(&event, wait).await;
        }
        if message.channel == Channel::Inbox {
            return self.write_inbox(&message, now).await;
        }
        let adapters = self.adapters().map_err(ConsumerError::Failed)?;
        let Some(adapter) = adapters.for_channel(&message.channel) else { return Ok(()) };
        if let Some(s) = self.store.get_as::<Suppression>(&Suppression::key(message.tenant_id, &message.channel, &message.to)).await? {
            let e =
                SendError { retryable: false, code: "RECIPIENT_SUPPRESSED".into(), detail: format!("address suppressed ({})", s.reason) };
            return self.record_failed(&message, adapter.name(), &e, now).await;
        }
        let (outcome, provider) = self.send(adapter, &message).await?;
        match outcome {
            Ok(provider_id) => self.record_sent(&message, provider, &provider_id, now).await,
            Err(e) => {
                let attempt = message.attempts as usize;
                if e.retryable && attempt < self.retry_delays.len() && self.queue_url.is_some() {
                    let delay = self.retry_delays[attempt];
                    let mut next = message.clone();
                    next.attempts += 1;
                    next.scheduled_at = Some(now.plus_seconds(delay));
                    next.error_code = Some(e.code.clone());
                    next.version += 1;
                    tracing::warn!(message_id = %id, attempt = next.attempts, delay, code = %e.code, detail = %e.detail, "send failed; retrying later");
                    let it = next.to_item()?;
                    match self.store.transact(Tx::new().put_if("message", it, Condition::version_is(message.version))).await {
                        Ok(()) => self.requeue(&event, delay.max(1)).await,
                        Err(StoreError::ConditionFailed { .. }) => Ok(()),
                        Err(err) => Err(err.into()),
                    }
                } else {
                    self.record_failed(&message, provider, &e, now).await?;
                    if e.retryable {
                        self.dead_letter(&event).await?;
                    }
                    Ok(())
                }
            }
        }
    }

    /// Sends through the tenant's mailbox account when the message names one
    /// (falling back to the system provider when the account needs
    /// re-authorisation and the deployment allows it), else the channel's
    /// adapter. Answers the outcome and the provider that produced it.
    async fn send(&self, adapter: &adapters::Adapter, m: &Message) -> Result<(Result<String, SendError>, &'static str), ConsumerError> {
        let (Some(account_id), Channel::Email) = (m.sender_account_id, &m.channel) else {
            return Ok((adapter.send(m).await, adapter.name()));
        };
        let account = self.store.get_as::<EmailAccount>(&EmailAccount::key(m.tenant_id, account_id)).await?;
        let mailboxes = &self.adapters().map_err(ConsumerError::Failed)?.mailboxes;
        let outcome = match (mailboxes, &account) {
            (Some(mailboxes), Some(a)) => (mailboxes.send(a, m).await, a.provider.as_str()),
            _ => (
                Err(SendError { retryable: false, code: "ACCOUNT_REAUTH_REQUIRED".into(), detail: "no usable mailbox account".into() }),
                "mailbox",
            ),
        };
        match outcome {
            (Err(e), _) if e.code == "ACCOUNT_REAUTH_REQUIRED" && self.account_fallback => {
                tracing::warn!(message_id = %m.id, account_id = %account_id, "mailbox unusable; sending through the system provider");
                Ok((adapter.send(m).await, adapter.name()))
            }
            other => Ok(other),
        }
    }

    async fn write_inbox(&self, m: &Message, now: Timestamp) -> Result<(), ConsumerError> {
        let Some(user) = m.recipient_user_id else {
            return self.record_failed(m, "inbox", &SendError::unusable("inbox message without recipient user"), now).await;
        };
        let entry = InboxEntry::from_message(m, user, m.auto_generated);
        let mut delivered = m.clone();
        delivered.status = MessageStatus::Delivered;
        delivered.provider = Some("inbox".into());
        delivered.sent_at = Some(now);
        delivered.delivered_at = Some(now);
        delivered.attempts += 1;
        delivered.version += 1;
        let event = status_event(m, crm_events::types::MESSAGE_DELIVERED, json!({ "channel": m.channel, "provider": "inbox" }));
        let tx = Tx::new()
            .put_new("inbox", entry.to_item()?)
            .put_if("message", delivered.to_item()?, Condition::version_is(m.version))
            .emit(&event);
        match self.store.transact(tx).await {
            Ok(()) | Err(StoreError::ConditionFailed { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    async fn record_sent(&self, m: &Message, provider: &str, provider_id: &str, now: Timestamp) -> Result<(), ConsumerError> {
        let mut sent = m.clone();
        sent.status = MessageStatus::Sent;
        sent.provider = Some(provider.into());
        sent.provider_message_id = Some(provider_id.into());
        sent.attempts += 1;
        sent.sent_at = Some(now);
        sent.error_code = None;
        sent.version += 1;
        let event = status_event(
            m,
            crm_events::types::MESSAGE_SENT,
            json!({ "channel": m.channel, "provider": provider, "attempts": sent.attempts }),
        );
        let lookup = item::to_item(&provider_message_key(provider, provider_id), &json!({ "tenant_id": m.tenant_id, "message_id": m.id }))?;
        let tx =
            Tx::new().put_if("message", sent.to_item()?, Condition::version_is(m.version)).put("provider_message", lookup).emit(&event);
        match self.store.transact(tx).await {
            Ok(()) | Err(StoreError::ConditionFailed { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    async fn record_failed(&self, m: &Message, provider: &str, e: &SendError, now: Timestamp) -> Result<(), ConsumerError> {
        let mut failed = m.clone();
        failed.status = MessageStatus::Failed;
        failed.provider = Some(provider.into());
        failed.error_code = Some(e.code.clone());
        failed.failed_at = Some(now);
        failed.attempts += 1;
        failed.version += 1;
        tracing::error!(message_id = %m.id, code = %e.code, detail = %e.detail, attempts = failed.attempts, "send failed for good");
        let event = status_event(
            m,
            crm_events::types::MESSAGE_FAILED,
            json!({ "channel": m.channel, "provider": provider, "error_code": e.code, "attempts": failed.attempts }),
        );
        crm_events::metrics::emit(&[("Channel", m.channel.as_str()), ("ErrorCode", &e.code)], &[("MessagesFailed", 1.0)]);
        match self.store.transact(Tx::new().put_if("message", failed.to_item()?, Condition::version_is(m.version)).emit(&event)).await {
            Ok(()) | Err(StoreError::ConditionFailed { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Puts the event back on the notifications queue after `delay` seconds.
    async fn requeue(&self, event: &DomainEvent, delay: i64) -> Result<(), ConsumerError> {
        let Some(url) = &self.queue_url else { return Err(ConsumerError::Failed("no NOTIFICATIONS_QUEUE_URL to requeue on".into())) };
        self.sqs
            .send_message()
            .queue_url(url)
            .message_body(envelope(event))
            .delay_seconds(delay.clamp(0, MAX_DELAY_SECS) as i32)
            .send()
            .await
            .map_err(|e| ConsumerError::Failed(format!("requeue: {e:?}")))?;
        Ok(())
    }

    /// Copies the event to the dead-letter queue (alarmed; manual requeue).
    async fn dead_letter(&self, event: &DomainEvent) -> Result<(), ConsumerError> {
        let Some(url) = &self.dlq_url else { return Ok(()) };
        self.sqs
            .send_message()
            .queue_url(url)
            .message_body(envelope(event))
            .send()
            .await
            .map_err(|e| ConsumerError::Failed(format!("dead-letter: {e:?}")))?;
        Ok(())
    }
}

/// The EventBridge-to-SQS body the consumer reads.
fn envelope(event: &DomainEvent) -> String {
    json!({ "version": "0", "id": event.event_id, "detail-type": event.event_type, "source": "crm", "detail": event }).to_string()
}

pub(crate) fn status_event(m: &Message, kind: crm_events::EventType, data: serde_json::Value) -> DomainEvent {
    DomainEvent::new(m.tenant_id, kind, Actor::system(), Subject { kind: "message".into(), id: m.id.to_string() }, data)
}
