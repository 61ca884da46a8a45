//! The marker of an `Idempotency-Key`, written in the transaction of the
//! request it guards.
//!
//! The HTTP layer (`crm_http::idempotency`) runs a keyed request inside
//! [`scoped`]. The first [`Store::transact`](crate::Store::transact) in that
//! scope adds the marker (`Condition::absent_or_expired`) to its
//! transaction, so the create and the marker commit together or not at all.
//! When the condition fails, another request holding the same key committed
//! first: the scope ends [`Claim::Lost`] and the HTTP layer answers that
//! request's stored response instead of this one's.

use std::cell::RefCell;
use std::future::Future;

use crate::item::ItemExt;
use crate::tx::Condition;
use crate::{Item, Key, Tx};

/// The label of the marker's operation in a transaction.
pub const LABEL: &str = "idempotency_key";

/// What a keyed request is, and until when its key holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marker {
    pub key: Key,
    /// A digest of the route and the body: the same key with another body is refused.
    pub fingerprint: String,
    pub created_at: i64,
    pub expires_at: i64,
}

impl Marker {
    /// The marker item, before its response is known.
    pub fn to_item(&self) -> Item {
        Item::new()
            .at(&self.key)
            .with_str("kind", "idempotency_key")
            .with_str("fingerprint", self.fingerprint.clone())
            .with_num("created_at", self.created_at)
            .with_ttl(self.expires_at)
    }
}

/// How a scope's transactions went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// No transaction ran: nothing holds the key yet.
    Open,
    /// A transaction committed with the marker.
    Claimed,
    /// Another request's marker was there first.
    Lost,
}

struct Scope {
    marker: Marker,
    claim: Claim,
    /// A transaction carrying the marker is in flight.
    pending: bool,
}

tokio::task_local! {
    static SCOPE: RefCell<Scope>;
}

/// Runs `f` with `marker` pending; answers its output and how the marker fared.
pub async fn scoped<F: Future>(marker: Marker, f: F) -> (F::Output, Claim) {
    SCOPE
        .scope(RefCell::new(Scope { marker, claim: Claim::Open, pending: false }), async move {
            let out = f.await;
            (out, SCOPE.with(|s| s.borrow().claim))
        })
        .await
}

/// `tx` with the scope's marker added, the first time a transaction runs in it.
pub(crate) fn claim(tx: Tx) -> Tx {
    let marker = SCOPE
        .try_with(|s| {
            let mut s = s.borrow_mut();
            (s.claim == Claim::Open && !s.pending).then(|| {
                s.pending = true;
                s.marker.clone()
            })
        })
        .ok()
        .flatten();
    match marker {
        Some(m) => tx.put_if(LABEL, m.to_item(), Condition::absent_or_expired(m.created_at)),
        None => tx,
    }
}

/// How the transaction that carried the marker ended (`Ok`, or the label of a failed condition).
pub(crate) fn settle(result: &Result<(), crate::StoreError>) {
    let _ = SCOPE.try_with(|s| {
        let mut s = s.borrow_mut();
        if !std::mem::take(&mut s.pending) {
            return;
        }
        s.claim = match result {
            Ok(()) => Claim::Claimed,
            Err(crate::StoreError::ConditionFailed { label }) if label == LABEL => Claim::Lost,
            Err(_) => Claim::Open,
        };
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marker() -> Marker {
        Marker { key: Key { pk: "T#x#IDEM#u#k".into(), sk: "IDEM".into() }, fingerprint: "f".into(), created_at: 100, expires_at: 200 }
    }

    fn put() -> Tx {
        Tx::new().put("thing", Item::new().at(&Key { pk: "T#x#THING#1".into(), sk: "THING".into() }))
    }

    #[tokio::test]
    async fn the_first_transaction_carries_the_marker_and_only_inside_a_scope() {
        assert_eq!(claim(put()).ops.len(), 1, "no scope, no marker");
        let ((), c) = scoped(marker(), async {
            let tx = claim(put());
            assert_eq!(tx.ops.iter().map(|(l, _)| l.as_str()).collect::<Vec<_>>(), ["thing", LABEL]);
            settle(&Ok(()));
            assert_eq!(claim(put()).ops.len(), 1, "the marker is written once");
        })
        .await;
        assert_eq!(c, Claim::Claimed);
    }

    #[tokio::test]
    async fn the_markers_failed_condition_loses_the_key_and_other_failures_keep_it_open() {
        let ((), c) = scoped(marker(), async {
            let _ = claim(put());
            settle(&Err(crate::StoreError::ConditionFailed { label: "thing".into() }));
        })
        .await;
        assert_eq!(c, Claim::Open, "the request's own rule failed: nothing holds the key");
        let ((), c) = scoped(marker(), async {
            let _ = claim(put());
            settle(&Err(crate::StoreError::ConditionFailed { label: LABEL.into() }));
        })
        .await;
        assert_eq!(c, Claim::Lost);
    }
}
