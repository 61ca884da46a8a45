//! Seats: `users.max` of the plan, held race-free by a usage counter updated
//! in the same transaction as the user it counts.

use crm_auth::entitlements::Entitlements;
use crm_kernel::TenantId;
use crm_store::{usage, Tx};

/// Label of the seat operation in a transaction (its failure = limit reached).
pub const SEATS: &str = "seats";

/// The tenant-wide entitlements seats are counted against: the plan with the
/// tenant's own overrides (a user's or a group's do not resize the tenant).
pub async fn tenant_entitlements(store: &crm_store::Store, tenant: TenantId, plan: &str) -> Result<Entitlements, crm_store::StoreError> {
    let access: crm_auth::access::AccessModel = store.get_as(&crm_store::keys::tenant_access(tenant)).await?.unwrap_or_default();
    Ok(of_model(&access, plan))
}

/// The same, from an access model already read.
pub fn of_model(access: &crm_auth::access::AccessModel, plan: &str) -> Entitlements {
    access.entitlements(plan, &[], &Default::default()).0
}

/// Takes one seat, failing the transaction if all `users.max` are taken.
pub fn take(tx: Tx, tenant: TenantId, entitlements: &Entitlements) -> Tx {
    usage::take(tx, SEATS, tenant, "seats_used", entitlements.limit("users.max"))
}

/// Frees one seat (a deactivated user).
pub fn release(tx: Tx, tenant: TenantId) -> Tx {
    usage::release(tx, "seat_release", tenant, "seats_used")
}
