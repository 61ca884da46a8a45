//! Seats: `users.max` of the plan, held race-free by a usage counter updated
//! in the same transaction as the user it counts.

use crm_auth::entitlements::Entitlements;
use crm_kernel::TenantId;
use crm_store::tx::Condition;
use crm_store::{keys, AttributeValue, Tx};

/// Label of the seat operation in a transaction (its failure = limit reached).
pub const SEATS: &str = "seats";

/// Takes one seat, failing the transaction if all `users.max` are taken.
pub fn take(tx: Tx, tenant: TenantId, entitlements: &Entitlements) -> Tx {
    let condition = Condition::new("attribute_not_exists(#s) OR #s < :max")
        .name("#s", "seats_used")
        .value(":max", AttributeValue::N(entitlements.limit("users.max").to_string()))
        .value(":one", AttributeValue::N("1".into()))
        .value(":zero", AttributeValue::N("0".into()));
    tx.update(SEATS, &keys::usage(tenant), "SET #s = if_not_exists(#s, :zero) + :one", condition)
}
