//! `PATCH /v1/leads/{id}` — change fields (absent keep, `null` clears),
//! `status` among `new`, `contacted`, `qualified`, `disqualified` (a
//! converted lead is kept as it was: `409`). Owner, manager or admin;
//! `If-Match` honoured. The score and duplicates are recomputed; a new
//! owner, or a score crossing the threshold, is told. `lead.updated`.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, Timestamp};
use crm_store::tx::Condition;
use crm_store::Tx;
use serde_json::json;

use crate::lead::{Lead, LeadChanges, LeadFields, LEAD};
use crate::{search_index, App};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let current = super::load(app, &call).await?;
    let mut changes: LeadChanges = call.json()?;
    let custom = std::mem::take(&mut changes.custom_fields);
    crm_records::write::require_change(&p, current.fields.owner_user_id, call.if_match()?, current.version)?;
    if current.conversion.is_some() {
        return Err(AppError::Conflict("a converted lead is kept as it was converted".into()));
    }
    let mut fields = LeadFields::apply(&current.fields, changes)?;
    let (values, tx) =
        crm_records::write::custom_values(&app.store, &p, "lead", &current.fields.custom_fields, custom, false, Tx::new()).await?;
    fields.custom_fields = values;
    if fields.owner_user_id != current.fields.owner_user_id {
        crm_records::write::check_owner(&app.store, p.tenant_id, fields.owner_user_id).await?;
    }
    let changes = crm_records::write::changes(
        &serde_json::to_value(&current.fields).unwrap_or_default(),
        &serde_json::to_value(&fields).unwrap_or_default(),
    );
    if changes.is_empty() {
        return Ok(Reply::ok(&current).etag(current.version));
    }
    let (scoring, _) = crate::leads::rules(&app.store, p.tenant_id).await?;
    let mut next = Lead { fields, updated_at: Timestamp::now(), version: current.version + 1, ..current.clone() };
    if next.fields.owner_user_id != current.fields.owner_user_id {
        next.assigned_by = next.fields.owner_user_id.map(|_| "manual".into());
    }
    if p.entitlements.has("leads.scoring") {
        let (score, parts) = scoring.score(&next.fields);
        (next.score, next.score_parts) = (score + next.score_adjustment, parts);
    }
    if next.fields.email != current.fields.email || next.fields.phone != current.fields.phone {
        next.duplicates = crate::leads::duplicates(&app.store, p.tenant_id, &next.fields).await?;
    }
    let tx = tx.put_if("lead", next.to_item()?, Condition::version_is(current.version)).emit_audited(&crate::leads::event(
        &p,
        Some(call.request_id()),
        crm_events::types::LEAD_UPDATED,
        &next,
        json!({ "changes": changes, "score": next.score }),
    ));
    let tx = search_index::write(tx, p.tenant_id, LEAD, next.id, &current.fields.terms(), &next.fields.terms())?;
    let tx = crate::leads::notify_owner(app, &p, &scoring, &next, Some(&current), tx).await?;
    app.store.transact(tx).await.map_err(|e| crate::leads::refused(&p, e))?;
    Ok(Reply::ok(&next).etag(next.version))
}
