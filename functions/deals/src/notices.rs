//! The deal notices (M3CoreCRM §5.7) through the notifications core: an
//! inbox entry and an email per recipient, queued in the deal's own
//! transaction, never to the user who acted.
//!
//! * `deal.assigned` — the new owner;
//! * `deal.stage_moved` — the owner and the watchers;
//! * `deal.won`, `deal.lost` — the owner and the watchers.
//!
//! Approvals notify their approvers themselves (the approvals engine).

use crm_events::messages::QueueExt;
use crm_kernel::{AppError, TenantId, UserId};
use crm_store::{keys, Store, Tx};
use serde_json::Value;

use crate::deal::Deal;

/// Who hears about `deal` besides the actor: its owner and watchers.
pub fn audience(deal: &Deal, actor: UserId) -> Vec<UserId> {
    let mut out: Vec<UserId> = deal.fields.owner_user_id.into_iter().chain(deal.fields.watchers.iter().copied()).collect();
    out.dedup();
    let mut seen = std::collections::BTreeSet::new();
    out.retain(|u| *u != actor && seen.insert(*u));
    out
}

/// Queues `family` with `payload` (plus `actor`: who acted, by name) for
/// each of `users` — one BatchGetItem reads their user items, which give
/// the address and locale; a user gone from the tenant or inactive is skipped.
pub async fn queue(
    store: &Store,
    tenant: TenantId,
    actor: UserId,
    users: &[UserId],
    family: &str,
    payload: &Value,
    mut tx: Tx,
) -> Result<Tx, AppError> {
    if users.is_empty() {
        return Ok(tx);
    }
    let wanted: Vec<UserId> = std::iter::once(actor).chain(users.iter().copied()).collect();
    let mut items = store.get_many(&wanted.iter().map(|u| keys::user(tenant, &u.to_string())).collect::<Vec<_>>()).await?;
    let actor_item = items.remove(0);
    let mut payload = payload.clone();
    payload["actor"] =
        actor_item.and_then(|it| it.get("full_name").and_then(|v| v.as_s().ok()).cloned()).unwrap_or_else(|| "A colleague".into()).into();
    for (u, it) in users.iter().zip(items) {
        let Some(it) = it else { continue };
        let user: Value = crm_store::item::from_item(it)?;
        if user["status"].as_str().is_some_and(|s| s != "active") {
            continue;
        }
        for m in crm_notify::compose::to_user(tenant, *u, &user, family, &payload, &format!("deals.{family}"))? {
            tx = tx.queue_message(&m)?;
        }
    }
    Ok(tx)
}

/// The payload every deal family renders from.
pub fn payload(deal: &Deal, stage: &str, extra: Value) -> Value {
    let mut v = serde_json::json!({
        "deal": deal.fields.name,
        "amount": format!("{} {:.2}", deal.fields.currency.code(), deal.value()),
        "stage": stage,
        "deal_id": deal.id,
    });
    if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
        o.extend(e.clone());
    }
    v
}
