//! Who billing tells: the tenant's active users who hold `billing.view`.

use crm_auth::access::AccessModel;
use crm_kernel::{AppError, TenantId, UserId};
use crm_store::{keys, Store, Tx};
use serde_json::json;

use crate::subscription::Subscription;

/// The tenant's active users who hold `billing.view`.
pub async fn billing_admins(store: &Store, t: TenantId) -> Result<Vec<UserId>, AppError> {
    let model: AccessModel = store.get_as(&keys::tenant_access(t)).await?.unwrap_or_default();
    let users = crm_directory::list(store, t).await?;
    Ok(users
        .into_iter()
        .filter(|u| u.is_active())
        .filter(|u| model.permissions(&model.effective_roles(&u.roles, &u.group_ids)).contains(crm_auth::rbac::BILLING_VIEW.code()))
        .map(|u| u.id)
        .collect())
}

/// A failed payment: each billing admin gets an inbox entry and an email,
/// written with the change (exactly once: the webhook's log is in the same transaction).
pub async fn payment_failed(store: &Store, s: &Subscription, tx: Tx) -> Result<Tx, AppError> {
    let admins = billing_admins(store, s.tenant_id).await?;
    let tenant = crm_directory::tenant(store, s.tenant_id).await?.map(|t| t.name).unwrap_or_default();
    let notice = crm_notify::users::Notice {
        family: "billing.payment_failed",
        payload: json!({ "tenant_name": tenant, "plan": s.plan, "grace_days": s.grace_days,
                         "restricted_from": s.restricted_from.map(|r| r.date()).unwrap_or_default() }),
        source: "billing.payment_failed".into(),
    };
    crm_notify::users::queue(store, s.tenant_id, None, &admins, notice, tx).await
}
