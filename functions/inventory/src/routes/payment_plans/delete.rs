//! `DELETE /v1/payment-plans/{id}` — schedules already made keep their
//! installments. `If-Match` honoured. `payment_plan.deleted`.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_inventory::payment_plan::PaymentPlan;
use crm_kernel::AppError;
use crm_store::tx::Condition;
use crm_store::Tx;
use serde_json::json;

use crate::{catalogue, App};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let plan = super::load(app, &call).await?;
    catalogue::if_match(&call, plan.version)?;
    let event = catalogue::event(&call, crm_events::types::PAYMENT_PLAN_DELETED, "payment_plan", plan.id, json!({ "name": plan.name }))?;
    let tx =
        Tx::new().delete("plan", &PaymentPlan::key(p.tenant_id, plan.id), Some(Condition::version_is(plan.version))).emit_audited(&event);
    app.store.transact(tx).await.map_err(|e| catalogue::refused(p, e))?;
    Ok(Reply::no_content())
}
