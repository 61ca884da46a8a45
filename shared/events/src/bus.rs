//! The event bus port and its adapters: EventBridge (deployed and local
//! stack) and an in-memory bus (unit tests).

use std::future::Future;
use std::sync::Mutex;

use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use aws_sdk_eventbridge::Client;

use crate::{DomainEvent, EVENT_SOURCE};

/// EventBridge accepts at most 10 entries per `PutEvents`.
pub const MAX_BATCH: usize = 10;

/// Publishes events; answers, per event, whether it was accepted.
pub trait EventBus: Send + Sync {
    fn publish(&self, events: &[DomainEvent]) -> impl Future<Output = Vec<Result<(), String>>> + Send;
}

/// EventBridge adapter: `source = "crm"`, `detail-type = event_type`,
/// `detail = the envelope`.
#[derive(Clone, Debug)]
pub struct EventBridgeBus {
    client: Client,
    bus_name: String,
}

impl EventBridgeBus {
    pub fn new(client: Client, bus_name: impl Into<String>) -> Self {
        Self { client, bus_name: bus_name.into() }
    }

    /// From `EVENT_BUS_NAME`.
    pub fn from_config(config: &aws_config::SdkConfig, env: &crm_kernel::Env) -> Result<Self, String> {
        let bus = env.require("EVENT_BUS_NAME")?;
        Ok(Self::new(Client::new(config), bus))
    }

    pub fn bus_name(&self) -> &str {
        &self.bus_name
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    async fn publish_chunk(&self, chunk: &[DomainEvent]) -> Vec<Result<(), String>> {
        let entries: Vec<PutEventsRequestEntry> = chunk
            .iter()
            .map(|e| {
                PutEventsRequestEntry::builder()
                    .event_bus_name(&self.bus_name)
                    .source(EVENT_SOURCE)
                    .detail_type(&e.event_type)
                    .detail(serde_json::to_string(e).expect("events serialise"))
                    .build()
            })
            .collect();
        match self.client.put_events().set_entries(Some(entries)).send().await {
            Err(err) => vec![Err(format!("PutEvents: {err:?}")); chunk.len()],
            Ok(out) => {
                let results = out.entries();
                (0..chunk.len())
                    .map(|i| match results.get(i) {
                        Some(r) if r.error_code().is_some() => {
                            Err(format!("{}: {}", r.error_code().unwrap_or_default(), r.error_message().unwrap_or_default()))
                        }
                        Some(_) => Ok(()),
                        None => Err("no result entry".into()),
                    })
                    .collect()
            }
        }
    }
}

impl EventBus for EventBridgeBus {
    async fn publish(&self, events: &[DomainEvent]) -> Vec<Result<(), String>> {
        let mut results = Vec::with_capacity(events.len());
        for chunk in events.chunks(MAX_BATCH) {
            results.extend(self.publish_chunk(chunk).await);
        }
        results
    }
}

/// A bus that remembers what it was given; events whose type is listed in
/// `failing_types` are refused (to test partial failures).
#[derive(Debug, Default)]
pub struct MemoryBus {
    pub published: Mutex<Vec<DomainEvent>>,
    pub failing_types: Vec<String>,
}

impl EventBus for MemoryBus {
    async fn publish(&self, events: &[DomainEvent]) -> Vec<Result<(), String>> {
        events
            .iter()
            .map(|e| {
                if self.failing_types.contains(&e.event_type) {
                    Err("refused".to_string())
                } else {
                    self.published.lock().expect("lock").push(e.clone());
                    Ok(())
                }
            })
            .collect()
    }
}
