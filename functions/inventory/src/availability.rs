//! The availability read model ([`crm_inventory::availability`]): the
//! `unit_availability` worker applies each `unit.*` event's deltas, and
//! claims the event in the same transaction, so a redelivery changes
//! nothing; deltas only add, so the order events arrive in does not matter.

use crm_events::consumer::{self, ConsumerError};
use crm_events::DomainEvent;
use crm_inventory::availability::{self, Availability, Bucket, PREFIX};
use crm_inventory::project::PROJECT;
use crm_kernel::{AppError, EntityId, Limit, TenantId};
use crm_store::item::ItemExt;
use crm_store::tx::Condition;
use crm_store::{keys, Query, Store, Tx};

pub const CONSUMER: &str = "unit_availability";

/// Applies one event; anything but a unit event with snapshots is not ours.
pub async fn project(store: &Store, event: &DomainEvent) -> Result<usize, ConsumerError> {
    if !event.event_type.starts_with("unit.") {
        return Ok(0);
    }
    let (before, after) = crm_inventory::unit::Snapshot::of_event(&event.data);
    let deltas = availability::deltas(before.as_ref(), after.as_ref());
    if deltas.is_empty() {
        return Ok(0);
    }
    let t = event.tenant_id;
    let mut tx = consumer::claim(Tx::new(), CONSUMER, event);
    for (i, d) in deltas.iter().enumerate() {
        tx = tx.add(&format!("bucket{i}"), &d.bucket.key(t), &[("units", d.units), ("value", d.value)], Condition::always());
    }
    match store.transact(tx).await {
        Ok(()) => Ok(deltas.len()),
        Err(e) if consumer::is_duplicate(&e) => Ok(0),
        Err(e) => Err(e.into()),
    }
}

/// The project's model: one Query of its buckets.
pub async fn read(store: &Store, t: TenantId, project: EntityId) -> Result<Availability, AppError> {
    let q = Query::table(t, keys::entity_pk(t, PROJECT, &project.to_string())).sk_begins_with(PREFIX).limit(Limit::max());
    let page = store.query(q).await?;
    let buckets = page.items.iter().filter_map(|it| {
        let b: Bucket = Bucket::parse(project, it.str_attr(keys::SK)?)?;
        Some((b, it.num_attr("units").unwrap_or(0), it.num_attr("value").unwrap_or(0)))
    });
    Ok(Availability::from_buckets(project, buckets))
}
