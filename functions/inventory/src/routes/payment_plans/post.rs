//! `POST /v1/payment-plans` `{name, lines: [{label, percent, due, days?,
//! date?}]}` — a template whose percentages (at most two decimals each)
//! sum to exactly 100; each line falls due `days` after the reservation or
//! the contract, on a fixed `date`, or on handover. `payment_plan.created`.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_inventory::payment_plan::{PaymentPlan, PlanChanges};
use crm_kernel::{AppError, Timestamp};
use crm_store::Tx;
use serde_json::json;

use crate::{catalogue, App};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let plan = PaymentPlan::new(p.tenant_id, call.json::<PlanChanges>()?, Timestamp::now())?;
    let event = catalogue::event(
        &call,
        crm_events::types::PAYMENT_PLAN_CREATED,
        "payment_plan",
        plan.id,
        json!({ "name": plan.name, "lines": plan.lines.len() }),
    )?;
    app.store.transact(Tx::new().put_new("plan", plan.to_item()?).emit_audited(&event)).await.map_err(|e| catalogue::refused(p, e))?;
    Ok(Reply::created(format!("/v1/payment-plans/{}", plan.id), &plan).etag(plan.version))
}
