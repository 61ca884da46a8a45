//! `DELETE /v1/billing/promo` — removes the applied promo code (the next
//! invoice has no discount); audited as `billing.promo.removed`.

use crm_events::audit::AuditExt;
use crm_events::{types, DomainEvent, Subject};
use crm_http::{Call, Reply};
use crm_kernel::{AppError, Timestamp};
use crm_store::Tx;
use serde_json::json;

use crate::subscription::Subscription;
use crate::view::PlanView;
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let s = super::super::subscription(app, &call).await?;
    let next = crate::promos::remove(&s, Timestamp::now())?;
    let event = DomainEvent::caused_by(
        &call,
        types::BILLING_PROMO_REMOVED,
        Subject { kind: "subscription".into(), id: s.tenant_id.to_string() },
        json!({ "code": s.promo.as_ref().map(|p| p.code.clone()) }),
    )?;
    app.store.transact(next.save(Tx::new().emit_audited(&event))?).await.map_err(crate::subscription::conflict)?;
    Ok(Reply::ok(PlanView::of(Subscription { version: s.version + 1, ..next })))
}
