//! `DELETE /v1/deals/{id}` — owner, manager or admin; `If-Match` honoured.
//! The board tallies and the `deals.max` quota follow in the same
//! transaction; `deal.deleted`. Its stage history stays for reports.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_kernel::AppError;
use crm_store::tx::Condition;
use crm_store::Tx;
use serde_json::json;

use crate::App;
use crm_deals::deal::Deal;
use crm_deals::{board, write};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let current = super::load(app, &call).await?;
    crm_records::write::require_change(&p, current.fields.owner_user_id, call.if_match()?, current.version)?;
    let pipeline = super::pipeline_of(app, &current).await?;
    let data = json!({
        "name": current.fields.name, "amount": current.fields.amount, "currency": current.fields.currency, "status": current.status,
        "unit_ids": current.fields.units,
    });
    let tx = Tx::new()
        .delete("deal", &Deal::key(p.tenant_id, current.id), Some(Condition::version_is(current.version)))
        .emit_audited(&write::event(&p, Some(call.request_id()), crm_events::types::DEAL_DELETED, &current, data));
    let tx = board::write(tx, p.tenant_id, &pipeline, &board::deltas(Some(&current), None));
    let tx = crm_records::write::release_quota(tx, p.tenant_id, "deals.max");
    let tx = write::party_links(tx, p.tenant_id, Some(&current), None)?;
    app.store.transact(tx).await.map_err(|e| write::refused(&p, e))?;
    Ok(Reply::no_content())
}
