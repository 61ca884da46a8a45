//! Who billing tells: the tenant's active users who hold `billing.view`.

use crm_auth::access::AccessModel;
use crm_kernel::{AppError, TenantId, Timestamp, UserId};
use crm_store::item::ItemExt;
use crm_store::{item, keys, Store, StoreError, Tx};
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

/// A failed payment (Stripe event `event_id`): each billing admin gets an
/// inbox entry and an email, each admin in their own transaction with a
/// marker of (event, admin): a retry tells nobody twice, whoever the admins
/// are by then, and a large team never makes one transaction too big.
pub async fn payment_failed(store: &Store, s: &Subscription, event_id: &str) -> Result<(), AppError> {
    let admins = billing_admins(store, s.tenant_id).await?;
    let tenant = crm_directory::tenant(store, s.tenant_id).await?.map(|t| t.name).unwrap_or_default();
    for admin in admins {
        let notice = crm_notify::users::Notice {
            family: "billing.payment_failed",
            payload: json!({ "tenant_name": tenant, "plan": s.plan, "grace_days": s.grace_days,
                             "restricted_from": s.restricted_from.map(|r| r.date()).unwrap_or_default() }),
            source: "billing.payment_failed".into(),
        };
        let marker =
            item::to_item(&keys::global_unique("BILLING_NOTICE", &format!("{event_id}#{admin}")), &json!({ "tenant_id": s.tenant_id }))?
                .with_ttl(Timestamp::now().unix_seconds() + crate::stripe_events::LOG_RETENTION_SECS);
        let tx = match crm_notify::users::queue(store, s.tenant_id, None, &[admin], notice, Tx::new().put_new("notice", marker)).await {
            Ok(tx) => tx,
            // One admin's notice that cannot be composed stops no one else.
            Err(e) => {
                tracing::warn!(admin = %admin, error = %e, "a payment failure notice was not composed");
                continue;
            }
        };
        match store.transact(tx).await {
            Ok(()) => {}
            Err(StoreError::ConditionFailed { label }) if label == "notice" => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}
