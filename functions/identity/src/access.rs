//! The tenant's access model (`crm_auth::access`) as stored: one item, read
//! and written back under its version so two admins editing groups,
//! hierarchy or overrides at once cannot lose each other's change.

use crm_auth::access::AccessModel;
use crm_kernel::{AppError, TenantId};
use crm_store::tx::Condition;
use crm_store::{item, keys, Store, StoreError, Tx};

/// The label of the access item in a transaction.
pub const ACCESS: &str = "access";

/// The model (empty when the tenant never changed it).
pub async fn load(store: &Store, tenant: TenantId) -> Result<AccessModel, AppError> {
    Ok(store.get_as(&keys::tenant_access(tenant)).await?.unwrap_or_default())
}

/// Writes `next` in `tx` on condition that the stored one is still `read`.
pub fn save(tx: Tx, tenant: TenantId, read: &AccessModel, next: AccessModel) -> Result<Tx, AppError> {
    let next = AccessModel { version: read.version + 1, ..next };
    let it = item::to_item(&keys::tenant_access(tenant), &next)?;
    Ok(if read.version == 0 { tx.put_new(ACCESS, it) } else { tx.put_if(ACCESS, it, Condition::version_is(read.version)) })
}

/// A lost race on the access item is `409`, anything else as it is.
pub fn conflict(e: StoreError) -> AppError {
    match e {
        StoreError::ConditionFailed { label } if label == ACCESS => {
            AppError::Conflict("groups, roles or overrides changed meanwhile; reload and retry".into())
        }
        e => e.into(),
    }
}
