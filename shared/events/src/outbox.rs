//! The transactional outbox: the event is an item written in the same
//! transaction as the change it describes. The table stream delivers the
//! INSERT to the publisher; the item expires by TTL a week later.

use crm_store::item::ItemExt;
use crm_store::{keys, Item, Tx};

use crate::DomainEvent;

/// Attribute that marks outbox items (the stream filter matches on it).
pub const KIND_ATTR: &str = "kind";
pub const KIND_OUTBOX: &str = "outbox";
/// Attribute holding the event JSON.
pub const EVENT_ATTR: &str = "event";
/// How long an outbox item stays after publication, for audit and replay.
pub const RETENTION_SECS: i64 = 7 * 24 * 3600;

/// The outbox item of `event`.
pub fn item(event: &DomainEvent) -> Item {
    let key = keys::outbox(event.tenant_id, &event.event_id);
    Item::new()
        .with_str(keys::PK, key.pk)
        .with_str(keys::SK, key.sk)
        .with_str(KIND_ATTR, KIND_OUTBOX)
        .with_str("event_type", &event.event_type)
        .with_str(EVENT_ATTR, serde_json::to_string(event).expect("events serialise"))
        .with_ttl(event.occurred_at.unix_seconds() + RETENTION_SECS)
}

/// Adds the outbox items of `events` to a transaction.
pub trait EmitExt {
    fn emit(self, event: &DomainEvent) -> Self;
}

impl EmitExt for Tx {
    fn emit(self, event: &DomainEvent) -> Self {
        self.put_new("outbox", item(event))
    }
}
