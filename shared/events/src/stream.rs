//! The outbox publisher's logic: DynamoDB stream records in, events on the
//! bus out, partial failures reported by sequence number.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::bus::EventBus;
use crate::outbox::{EVENT_ATTR, KIND_ATTR, KIND_OUTBOX};
use crate::{metrics, DomainEvent};

/// The DynamoDB stream event Lambda delivers (the fields we use).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct StreamEvent {
    #[serde(rename = "Records", default)]
    pub records: Vec<StreamRecord>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct StreamRecord {
    #[serde(rename = "eventName", default)]
    pub event_name: Option<String>,
    pub dynamodb: StreamData,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct StreamData {
    #[serde(rename = "NewImage", default)]
    pub new_image: Option<serde_json::Map<String, Value>>,
    #[serde(rename = "SequenceNumber", default)]
    pub sequence_number: Option<String>,
}

/// `{"batchItemFailures":[{"itemIdentifier": "..."}]}` — the partial batch
/// response for streams and queues alike.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct BatchResponse {
    #[serde(rename = "batchItemFailures")]
    pub batch_item_failures: Vec<BatchItemFailure>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct BatchItemFailure {
    #[serde(rename = "itemIdentifier")]
    pub item_identifier: String,
}

impl BatchResponse {
    pub fn fail(&mut self, id: impl Into<String>) {
        self.batch_item_failures.push(BatchItemFailure { item_identifier: id.into() });
    }

    pub fn failed_ids(&self) -> Vec<&str> {
        self.batch_item_failures.iter().map(|f| f.item_identifier.as_str()).collect()
    }
}

fn string_attr<'a>(image: &'a serde_json::Map<String, Value>, name: &str) -> Option<&'a str> {
    image.get(name)?.get("S")?.as_str()
}

/// The event carried by an outbox INSERT, if the record is one.
pub fn outbox_event(record: &StreamRecord) -> Option<Result<DomainEvent, String>> {
    if record.event_name.as_deref() != Some("INSERT") {
        return None;
    }
    let image = record.dynamodb.new_image.as_ref()?;
    if string_attr(image, KIND_ATTR) != Some(KIND_OUTBOX) {
        return None;
    }
    Some(
        string_attr(image, EVENT_ATTR)
            .ok_or_else(|| "outbox item without event".to_string())
            .and_then(|json| serde_json::from_str(json).map_err(|e| format!("unreadable outbox event: {e}"))),
    )
}

/// Publishes the outbox events of a stream batch. On any failure it reports
/// the *first* failed record's sequence number: Lambda then retries the
/// batch from there, keeping per-shard order; events already published are
/// published again, which consumers absorb (they are idempotent).
pub async fn publish_outbox<B: EventBus>(bus: &B, event: StreamEvent) -> BatchResponse {
    let mut pending: Vec<(String, DomainEvent)> = Vec::new();
    let mut response = BatchResponse::default();
    for record in &event.records {
        let seq = record.dynamodb.sequence_number.clone().unwrap_or_default();
        match outbox_event(record) {
            None => {}
            Some(Ok(e)) => pending.push((seq, e)),
            Some(Err(reason)) => {
                tracing::error!(sequence_number = %seq, %reason, "outbox record cannot be published");
                response.fail(seq);
                break;
            }
        }
    }
    // `pending` holds only the records before the first unreadable one.
    let events: Vec<DomainEvent> = pending.iter().map(|(_, e)| e.clone()).collect();
    let results = if events.is_empty() { Vec::new() } else { bus.publish(&events).await };
    let mut published = 0usize;
    for ((seq, e), result) in pending.iter().zip(results) {
        match result {
            Ok(()) => published += 1,
            Err(reason) => {
                tracing::warn!(event_id = %e.event_id, event_type = %e.event_type, %reason, "publish failed");
                response.batch_item_failures.clear();
                response.fail(seq.clone());
                break;
            }
        }
    }
    metrics::emit(
        &[("Function", "outbox_publisher")],
        &[("EventsPublished", published as f64), ("PublishFailures", response.batch_item_failures.len() as f64)],
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bus::MemoryBus;
    use crate::{outbox, Actor, Subject};
    use crm_kernel::TenantId;
    use serde_json::json;

    fn record(seq: &str, event: &DomainEvent) -> StreamRecord {
        let item = outbox::item(event);
        let image = item
            .iter()
            .map(|(k, v)| {
                let v = match v {
                    crm_store::AttributeValue::S(s) => json!({ "S": s }),
                    crm_store::AttributeValue::N(n) => json!({ "N": n }),
                    _ => unreachable!(),
                };
                (k.clone(), v)
            })
            .collect();
        StreamRecord {
            event_name: Some("INSERT".into()),
            dynamodb: StreamData { new_image: Some(image), sequence_number: Some(seq.into()) },
        }
    }

    fn event(kind: crate::EventType) -> DomainEvent {
        DomainEvent::new(TenantId::new(), kind, Actor::system(), Subject { kind: "note".into(), id: "1".into() }, json!({}))
    }

    #[tokio::test]
    async fn publishes_outbox_inserts_only() {
        let bus = MemoryBus::default();
        let e = event(crate::types::NOTE_CREATED);
        let mut modify = record("200", &event(crate::types::CONTACT_UPDATED));
        modify.event_name = Some("MODIFY".into());
        let non_outbox = StreamRecord {
            event_name: Some("INSERT".into()),
            dynamodb: StreamData {
                new_image: Some(serde_json::Map::from_iter([("kind".into(), json!({"S": "note"}))])),
                sequence_number: Some("300".into()),
            },
        };
        let resp = publish_outbox(&bus, StreamEvent { records: vec![record("100", &e), modify, non_outbox] }).await;
        assert!(resp.batch_item_failures.is_empty());
        assert_eq!(bus.published.lock().unwrap().as_slice(), &[e]);
    }

    #[tokio::test]
    async fn reports_first_failure_and_stops_there() {
        let bus = MemoryBus { failing_types: vec!["task.created".into()], ..Default::default() };
        let records = vec![
            record("100", &event(crate::types::NOTE_CREATED)),
            record("200", &event(crate::types::TASK_CREATED)),
            record("300", &event(crate::types::NOTE_CREATED)),
        ];
        let resp = publish_outbox(&bus, StreamEvent { records }).await;
        assert_eq!(resp.failed_ids(), vec!["200"]);
    }

    #[tokio::test]
    async fn unreadable_outbox_item_fails_from_its_position() {
        let bus = MemoryBus::default();
        let mut broken = record("200", &event(crate::types::NOTE_CREATED));
        broken.dynamodb.new_image.as_mut().unwrap().insert("event".into(), json!({"S": "{not json"}));
        let resp = publish_outbox(
            &bus,
            StreamEvent {
                records: vec![record("100", &event(crate::types::NOTE_CREATED)), broken, record("300", &event(crate::types::NOTE_CREATED))],
            },
        )
        .await;
        assert_eq!(resp.failed_ids(), vec!["200"]);
        assert_eq!(bus.published.lock().unwrap().len(), 1, "only the record before the broken one");
    }
}
