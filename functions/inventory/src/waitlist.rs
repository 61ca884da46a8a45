//! The waitlist's reads and its one reaction: when a unit is back on the
//! market, whoever queued the first entry hears of it (`unit.available`),
//! in the transaction that frees the unit.

use crm_inventory::unit::{Unit, UNIT};
use crm_inventory::waitlist::{Entry, PREFIX};
use crm_kernel::{AppError, Limit};
use crm_store::{item, keys, Query, Store, Tx};

/// The unit's waitlist, first come first.
pub async fn of(store: &Store, unit: &Unit) -> Result<Vec<Entry>, AppError> {
    let t = unit.tenant_id;
    let q = Query::table(t, keys::entity_pk(t, UNIT, &unit.id.to_string())).sk_begins_with(PREFIX).limit(Limit::max());
    Ok(store.query(q).await?.items.into_iter().map(item::from_item).collect::<Result<_, _>>()?)
}

/// Adds to `tx` the notice to the first in line, if anyone waits for `unit`.
pub async fn tell_first(store: &Store, unit: &Unit, tx: Tx) -> Result<Tx, AppError> {
    match of(store, unit).await?.into_iter().next() {
        Some(first) => crate::notices::available(store, unit, &first, tx).await,
        None => Ok(tx),
    }
}
