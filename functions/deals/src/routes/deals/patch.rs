//! `PATCH /v1/deals/{id}` — change fields (absent keep, `null` clears);
//! the stage moves with `move-stage`. Owner, manager or admin; `If-Match`
//! honoured. The board tallies follow an amount, currency or close-date
//! change in the same transaction; `deal.updated` carries `{field: {from,
//! to}}`; a new owner is told (`deal.assigned`).

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, Timestamp};
use crm_store::tx::Condition;
use crm_store::Tx;
use serde_json::json;

use crate::App;
use crm_deals::deal::{Deal, DealChanges, DealFields};
use crm_deals::{board, notices, write};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let current = super::load(app, &call).await?;
    let mut changes: DealChanges = call.json()?;
    let custom = std::mem::take(&mut changes.custom_fields);
    crm_records::write::require_change(&p, current.fields.owner_user_id, call.if_match()?, current.version)?;
    let mut fields = DealFields::apply(&current.fields, changes, false)?;
    let (values, tx) =
        crm_records::write::custom_values(&app.store, &p, "deal", &current.fields.custom_fields, custom, false, Tx::new()).await?;
    fields.custom_fields = values;
    let new_owner = fields.owner_user_id.filter(|o| Some(*o) != current.fields.owner_user_id);
    if new_owner.is_some() {
        crm_records::write::check_owner(&app.store, p.tenant_id, new_owner).await?;
    }
    let changes = crm_records::write::changes(
        &serde_json::to_value(&current.fields).unwrap_or_default(),
        &serde_json::to_value(&fields).unwrap_or_default(),
    );
    if changes.is_empty() {
        return Ok(Reply::ok(current.public(&p)).etag(current.version));
    }
    let next = Deal { fields, updated_at: Timestamp::now(), version: current.version + 1, ..current.clone() };
    let pipeline = super::pipeline_of(app, &current).await?;
    let tx = tx.put_if("deal", next.to_item()?, Condition::version_is(current.version)).emit_audited(&write::event(
        &p,
        Some(call.request_id()),
        crm_events::types::DEAL_UPDATED,
        &next,
        json!({ "changes": changes }),
    ));
    let tx = board::write(tx, p.tenant_id, &pipeline, &board::deltas(Some(&current), Some(&next)));
    write::may_link_units(&p, &next.fields, Some(&current.fields))?;
    let tx = write::check_links(tx, p.tenant_id, &next.fields, Some(&current.fields));
    let tx = write::party_links(tx, p.tenant_id, Some(&current), Some(&next))?;
    let stage = pipeline.stage(&next.stage_id.to_string()).map(|s| s.name.clone()).unwrap_or_default();
    let to = crm_notify::users::others(new_owner, p.user_id);
    let tx =
        notices::queue(&app.store, p.tenant_id, p.user_id, &to, "deal.assigned", &notices::payload(&next, &stage, json!({})), tx).await?;
    app.store.transact(tx).await.map_err(|e| write::refused(&p, e))?;
    Ok(Reply::ok(next.public(&p)).etag(next.version))
}
