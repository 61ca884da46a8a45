//! `PATCH /v1/payment-plans/{id}` `{name?, lines?, is_active?}` — the lines
//! replaced whole (still summing to 100), or the plan retired. Schedules
//! already made keep their installments. `If-Match` honoured.
//! `payment_plan.updated`.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_inventory::payment_plan::PlanChanges;
use crm_kernel::{AppError, Timestamp};
use crm_store::tx::Condition;
use crm_store::Tx;
use serde_json::json;

use crate::{catalogue, App};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let current = super::load(app, &call).await?;
    catalogue::if_match(&call, current.version)?;
    let next = current.apply(call.json::<PlanChanges>()?, Timestamp::now())?;
    let changes = crm_records::write::changes(
        &json!({ "name": current.name, "lines": current.lines, "is_active": current.is_active }),
        &json!({ "name": next.name, "lines": next.lines, "is_active": next.is_active }),
    );
    if changes.is_empty() {
        return Ok(Reply::ok(&current).etag(current.version));
    }
    let event = catalogue::event(&call, crm_events::types::PAYMENT_PLAN_UPDATED, "payment_plan", next.id, json!({ "changes": changes }))?;
    let tx = Tx::new().put_if("plan", next.to_item()?, Condition::version_is(current.version)).emit_audited(&event);
    app.store.transact(tx).await.map_err(|e| catalogue::refused(p, e))?;
    Ok(Reply::ok(&next).etag(next.version))
}
