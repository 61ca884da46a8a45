//! Notices to a tenant's users from any module (a deal moved, a lead
//! assigned): an inbox entry and an email per user, queued in the module's
//! own transaction, never to the user who acted.

use crate::messages::QueueExt;
use crm_kernel::{AppError, TenantId, UserId};
use crm_store::{Store, Tx};
use serde_json::Value;

/// `users` without `actor` and without repeats, in order.
pub fn others(users: impl IntoIterator<Item = UserId>, actor: UserId) -> Vec<UserId> {
    let mut seen = std::collections::BTreeSet::new();
    users.into_iter().filter(|u| *u != actor && seen.insert(*u)).collect()
}

/// What to tell: a template family, its payload, and the source tag of the messages.
pub struct Notice<'a> {
    pub family: &'a str,
    pub payload: Value,
    /// Tags the messages (`deals.deal.won`).
    pub source: String,
}

/// Queues `notice` (its payload plus `actor`: who acted, by name) for each
/// of `users` — one BatchGetItem reads their user items, which give the
/// address and locale; a user gone from the tenant or inactive is skipped.
pub async fn queue(
    store: &Store,
    tenant: TenantId,
    actor: Option<UserId>,
    users: &[UserId],
    notice: Notice<'_>,
    mut tx: Tx,
) -> Result<Tx, AppError> {
    if users.is_empty() {
        return Ok(tx);
    }
    // One read of each user, the actor too (who may be among the recipients).
    let mut wanted: Vec<UserId> = Vec::new();
    for u in actor.into_iter().chain(users.iter().copied()) {
        if !wanted.contains(&u) {
            wanted.push(u);
        }
    }
    let found: Vec<crm_directory::UserView> = crm_directory::get_many(store, tenant, &wanted).await?.into_iter().flatten().collect();
    let mut payload = notice.payload;
    payload["actor"] = match actor {
        Some(a) => found.iter().find(|u| u.id == a).and_then(|u| u.full_name.clone()).unwrap_or_else(|| "A colleague".into()).into(),
        None => "The system".into(),
    };
    for user in found.iter().filter(|u| users.contains(&u.id)) {
        if !user.is_active() {
            continue;
        }
        for m in crate::compose::to_user(tenant, user, notice.family, &payload, &notice.source)? {
            tx = tx.queue_message(&m)?;
        }
    }
    Ok(tx)
}
