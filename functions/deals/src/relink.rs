//! A merged contact's deals follow it (the spec: merging keeps
//! "links (deals, activities)"). On `contact.merged` — delivered to the
//! deals context's own `deal_relink` worker and queue — every deal the source
//! is on names the target instead (with the source's role, unless the
//! target is on the deal already), under the version it was read at, and
//! its party links move with it. Idempotent: a moved deal's link is no
//! longer in the source's partition, so a repeated delivery does only what is left.

use crm_events::audit::AuditExt;
use crm_events::consumer::ConsumerError;
use crm_events::{Actor, DomainEvent, Subject};
use crm_kernel::{EntityId, Limit, TenantId, Timestamp};
use crm_store::tx::Condition;
use crm_store::{Query, Store, StoreError, Tx};
use serde_json::json;

use crm_deals::deal::{Deal, Party};
use crm_deals::write::party_links;

/// The consumer name idempotence records are kept under.
pub const CONSUMER: &str = "deal_relink";

/// Moves the source's deals to the target; other events pass untouched.
pub async fn on_merged(store: &Store, event: &DomainEvent) -> Result<usize, ConsumerError> {
    if !event.is(crm_events::types::CONTACT_MERGED) {
        return Ok(0);
    }
    let id = |k: &str| event.data[k].as_str().and_then(|s| EntityId::parse(s).ok()).ok_or_else(|| ConsumerError::Unreadable(k.into()));
    let (source, target) = (id("source_id")?, id("target_id")?);
    let t = event.tenant_id;
    let mut moved = 0;
    loop {
        let page = store.query(Query::table(t, Deal::party_key(t, source, source).pk).limit(Limit::max())).await?;
        if page.items.is_empty() {
            return Ok(moved);
        }
        let mut progressed = false;
        for link in page.items {
            let deal_id = link.get("deal_id").and_then(|v| v.as_s().ok()).and_then(|s| EntityId::parse(s).ok());
            let Some(deal) = (match deal_id {
                Some(d) => store.get_as::<Deal>(&Deal::key(t, d)).await?,
                None => None,
            }) else {
                // The deal is gone: the stray link goes too.
                if let Some(d) = deal_id {
                    store.transact(Tx::new().delete("stray_link", &Deal::party_key(t, source, d), None)).await?;
                }
                progressed = true;
                continue;
            };
            match store.transact(relinked(t, &deal, source, target)?).await {
                Ok(()) => {
                    moved += 1;
                    progressed = true;
                }
                // Changed meanwhile: the next pass reads it again.
                Err(StoreError::ConditionFailed { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        if !progressed {
            return Err(ConsumerError::Failed(format!("deals of {source} could not be moved; retrying")));
        }
    }
}

/// The write that puts `target` where `source` was on `deal`.
fn relinked(t: TenantId, deal: &Deal, source: EntityId, target: EntityId) -> Result<Tx, StoreError> {
    let mut next = Deal { updated_at: Timestamp::now(), version: deal.version + 1, ..deal.clone() };
    next.fields.contacts = swapped(&deal.fields.contacts, source, target);
    let changes = json!({ "contacts": { "from": deal.fields.contacts, "to": next.fields.contacts }, "merged": { "source_id": source, "target_id": target } });
    let event = DomainEvent::new(
        t,
        crm_events::types::DEAL_UPDATED,
        Actor::system(),
        Subject { kind: "deal".into(), id: deal.id.to_string() },
        json!({ "changes": changes }),
    );
    let tx = Tx::new().put_if("deal", next.to_item()?, Condition::version_is(deal.version)).emit_audited(&event);
    party_links(tx, t, Some(deal), Some(&next))
}

/// `contacts` with `source` replaced by `target` (keeping the source's
/// role), or simply without `source` when `target` is there already.
fn swapped(contacts: &[Party], source: EntityId, target: EntityId) -> Vec<Party> {
    let already = contacts.iter().any(|c| c.id == target);
    contacts
        .iter()
        .filter(|c| !(already && c.id == source))
        .map(|c| if c.id == source { Party { id: target, role: c.role.clone() } } else { c.clone() })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_target_takes_the_source_place_once() {
        let (a, b, c) = (EntityId::new(), EntityId::new(), EntityId::new());
        let p = |id, role: &str| Party { id, role: role.into() };
        let contacts = vec![p(a, "decision_maker"), p(c, "other")];
        assert_eq!(swapped(&contacts, a, b), vec![p(b, "decision_maker"), p(c, "other")]);
        let both = vec![p(a, "decision_maker"), p(b, "influencer")];
        assert_eq!(swapped(&both, a, b), vec![p(b, "influencer")], "the target keeps its own place");
        assert_eq!(swapped(&contacts, EntityId::new(), b), contacts, "a deal without the source is unchanged");
    }
}
