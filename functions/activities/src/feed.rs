//! The activity feed projector: every domain event routed to the activity
//! queue becomes one feed entry in the tenant's day — exactly once, however
//! often the event is delivered.

use crm_events::consumer::{self, ConsumerError};
use crm_events::{Actor, DomainEvent, Subject};
use crm_store::{item, keys, Key, Store, Tx};
use serde::{Deserialize, Serialize};

/// The consumer name in idempotency markers.
pub const CONSUMER: &str = "activity_feed";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FeedEntry {
    pub event_id: String,
    pub event_type: String,
    pub occurred_at: String,
    pub actor: Actor,
    pub subject: Subject,
}

impl FeedEntry {
    pub fn from_event(e: &DomainEvent) -> Self {
        Self {
            event_id: e.event_id.clone(),
            event_type: e.event_type.clone(),
            occurred_at: e.occurred_at.to_string(),
            actor: e.actor.clone(),
            subject: e.subject.clone(),
        }
    }

    pub fn key(e: &DomainEvent) -> Key {
        keys::feed_entry(e.tenant_id, &e.occurred_at.date(), &e.occurred_at.to_string(), &e.event_id)
    }
}

/// Projects one event. A redelivered event finds its claim taken and is
/// acknowledged without writing anything.
pub async fn project(store: &Store, event: DomainEvent) -> Result<(), ConsumerError> {
    let entry = item::to_item(&FeedEntry::key(&event), &FeedEntry::from_event(&event))?;
    let tx = consumer::claim(Tx::new(), CONSUMER, &event).put("feed", entry);
    match store.transact(tx).await {
        Ok(()) => Ok(()),
        Err(e) if consumer::is_duplicate(&e) => {
            tracing::info!(event_id = %event.event_id, "duplicate delivery ignored");
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}
