//! Queue workers: the SQS batch, the EventBridge envelope inside each
//! message, partial batch failures, and idempotency markers.

use std::future::Future;

use crm_store::item::ItemExt;
use crm_store::{keys, Item, StoreError, Tx};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{metrics, DomainEvent};

pub use crate::stream::BatchResponse;

/// How long a consumer remembers that it applied an event (longer than any
/// redelivery: SQS retention is at most 14 days).
pub const MARKER_RETENTION_SECS: i64 = 15 * 24 * 3600;
/// Label of the idempotency marker inside a transaction.
pub const CLAIM_LABEL: &str = "consumed";

/// The SQS event Lambda delivers (the fields we use).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct SqsEvent {
    #[serde(rename = "Records", default)]
    pub records: Vec<SqsMessage>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct SqsMessage {
    #[serde(rename = "messageId")]
    pub message_id: String,
    #[serde(rename = "receiptHandle", default)]
    pub receipt_handle: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub attributes: serde_json::Map<String, Value>,
    #[serde(rename = "eventSourceARN", default)]
    pub event_source_arn: String,
}

/// Why a message was not processed. Every variant is retried (and, if it
/// keeps failing, dead-lettered): a message is never silently dropped.
#[derive(Debug, thiserror::Error)]
pub enum ConsumerError {
    #[error("unreadable message: {0}")]
    Unreadable(String),
    #[error("{0}")]
    Failed(String),
}

impl From<StoreError> for ConsumerError {
    fn from(err: StoreError) -> Self {
        ConsumerError::Failed(err.to_string())
    }
}

/// Extracts the domain event from an EventBridge-to-SQS message body.
pub fn parse_message(body: &str) -> Result<DomainEvent, ConsumerError> {
    #[derive(Deserialize)]
    struct Envelope {
        detail: Value,
    }
    let envelope: Envelope = serde_json::from_str(body).map_err(|e| ConsumerError::Unreadable(e.to_string()))?;
    serde_json::from_value(envelope.detail).map_err(|e| ConsumerError::Unreadable(e.to_string()))
}

/// The marker item that records `consumer` applied `event`. Put it with
/// [`claim`] in the same transaction as the consumer's effects.
pub fn marker(consumer: &str, event: &DomainEvent) -> Item {
    let key = keys::consumed(event.tenant_id, consumer, &event.event_id);
    Item::new()
        .with_str(keys::PK, key.pk)
        .with_str(keys::SK, key.sk)
        .with_str("event_type", &event.event_type)
        .with_ttl(event.occurred_at.unix_seconds() + MARKER_RETENTION_SECS)
}

/// Adds the idempotency claim to a transaction.
pub fn claim(tx: Tx, consumer: &str, event: &DomainEvent) -> Tx {
    tx.put_new(CLAIM_LABEL, marker(consumer, event))
}

/// Whether a failed transaction failed only because the event was already
/// applied — a duplicate delivery, to acknowledge and skip.
pub fn is_duplicate(err: &StoreError) -> bool {
    matches!(err, StoreError::ConditionFailed { label } if label == CLAIM_LABEL)
}

/// Runs `handler` on every message of the batch, concurrently, and reports
/// exactly the messages that failed.
pub async fn process_batch<F, Fut>(consumer: &str, event: SqsEvent, handler: F) -> BatchResponse
where
    F: Fn(DomainEvent) -> Fut,
    Fut: Future<Output = Result<(), ConsumerError>>,
{
    let outcomes = futures::future::join_all(event.records.iter().map(|m| {
        let parsed = parse_message(&m.body);
        let handler = &handler;
        async move {
            match parsed {
                Ok(e) => {
                    let (id, ty) = (e.event_id.clone(), e.event_type.clone());
                    handler(e).await.map_err(|err| (Some((id, ty)), err))
                }
                Err(err) => Err((None, err)),
            }
        }
    }))
    .await;
    let mut response = BatchResponse::default();
    for (message, outcome) in event.records.iter().zip(outcomes) {
        if let Err((event, err)) = outcome {
            let (event_id, event_type) = event.unwrap_or_default();
            tracing::warn!(consumer, message_id = %message.message_id, %event_id, %event_type, error = %err, "message failed; it will be retried");
            response.fail(message.message_id.clone());
        }
    }
    let failed = response.batch_item_failures.len();
    metrics::emit(
        &[("Consumer", consumer)],
        &[("MessagesProcessed", (event.records.len() - failed) as f64), ("MessagesFailed", failed as f64)],
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Actor, Subject};
    use crm_kernel::TenantId;
    use serde_json::json;

    fn message(id: &str, body: String) -> SqsMessage {
        SqsMessage { message_id: id.into(), body, ..Default::default() }
    }

    fn bridge_body(event: &DomainEvent) -> String {
        json!({"version": "0", "id": "x", "detail-type": event.event_type, "source": "crm", "detail": event}).to_string()
    }

    #[tokio::test]
    async fn reports_only_the_failed_messages() {
        let ok = DomainEvent::new(
            TenantId::new(),
            crate::types::NOTE_CREATED,
            Actor::system(),
            Subject { kind: "note".into(), id: "1".into() },
            json!({}),
        );
        let bad = DomainEvent { event_type: "note.poison".into(), ..ok.clone() };
        let event =
            SqsEvent { records: vec![message("m1", bridge_body(&ok)), message("m2", bridge_body(&bad)), message("m3", "{garbage".into())] };
        let resp = process_batch("test", event, |e| async move {
            if e.event_type == "note.poison" {
                Err(ConsumerError::Failed("boom".into()))
            } else {
                Ok(())
            }
        })
        .await;
        assert_eq!(resp.failed_ids(), vec!["m2", "m3"]);
    }

    #[test]
    fn duplicate_is_only_the_claim_failing() {
        assert!(is_duplicate(&StoreError::ConditionFailed { label: CLAIM_LABEL.into() }));
        assert!(!is_duplicate(&StoreError::ConditionFailed { label: "outbox".into() }));
        assert!(!is_duplicate(&StoreError::TransactionConflict));
    }
}
