//! The deal notices (on assignment, stage moves, wins and losses) through the notifications core: an
//! inbox entry and an email per recipient, queued in the deal's own
//! transaction, never to the user who acted.
//!
//! * `deal.assigned` — the new owner;
//! * `deal.stage_moved` — the owner and the watchers;
//! * `deal.won`, `deal.lost` — the owner and the watchers.
//!
//! Approvals notify their approvers themselves (the approvals engine).

use crm_kernel::{AppError, TenantId, UserId};
use crm_store::{Store, Tx};
use serde_json::Value;

use crate::deal::Deal;

/// Who hears about `deal` besides the actor: its owner and watchers.
pub fn audience(deal: &Deal, actor: UserId) -> Vec<UserId> {
    crm_notify::users::others(deal.fields.owner_user_id.into_iter().chain(deal.fields.watchers.iter().copied()), actor)
}

/// Queues `family` for `users` ([`crm_notify::users::queue`]).
pub async fn queue(
    store: &Store,
    tenant: TenantId,
    actor: UserId,
    users: &[UserId],
    family: &str,
    payload: &Value,
    tx: Tx,
) -> Result<Tx, AppError> {
    let notice = crm_notify::users::Notice { family, payload: payload.clone(), source: format!("deals.{family}") };
    crm_notify::users::queue(store, tenant, Some(actor), users, notice, tx).await
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
