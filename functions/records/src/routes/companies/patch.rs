//! `PATCH /v1/companies/{id}` — change fields (absent keep, `null` clears),
//! `If-Match` honoured; the owner, a manager or an admin only. Search terms
//! and list entries follow in the same transaction; `company.updated`
//! carries `{field: {from, to}}`.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, Timestamp};
use crm_store::tx::Condition;
use crm_store::{StoreError, Tx};
use serde_json::{json, Map, Value};

use crate::company::{Company, CompanyFields, COMPANY};
use crate::{search_index, App};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let body: Value = call.json()?;
    let current = super::load(app, &call).await?;
    super::super::require_edit(&p, current.fields.owner_user_id)?;
    if call.if_match()?.is_some_and(|v| v != current.version) {
        return Err(AppError::PreconditionFailed);
    }
    let fields = CompanyFields::apply(&current.fields, &body)?;
    if let (Some(owner), true) = (fields.owner_user_id, fields.owner_user_id != current.fields.owner_user_id) {
        app.store
            .get(&crm_store::keys::user(p.tenant_id, &owner.to_string()))
            .await?
            .ok_or_else(|| AppError::invalid("owner_user_id", "is not a user of this tenant"))?;
    }
    let (before, after) =
        (serde_json::to_value(&current.fields).map_err(AppError::internal)?, serde_json::to_value(&fields).map_err(AppError::internal)?);
    let changes: Map<String, Value> = after
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(k, v)| before.get(k.as_str()) != Some(v))
        .map(|(k, v)| (k.clone(), json!({ "from": before.get(k.as_str()), "to": v })))
        .collect();
    if changes.is_empty() {
        return Ok(Reply::ok(super::public(&current)).etag(current.version));
    }
    let next = Company { fields, updated_at: Timestamp::now(), version: current.version + 1, ..current.clone() };
    let event = super::super::event(&call, "company.updated", super::subject(&next), json!({ "changes": changes }))?;
    let tx = Tx::new().put_if("company", next.to_item()?, Condition::version_is(current.version)).emit_audited(&event);
    let tx = search_index::write(tx, p.tenant_id, COMPANY, next.id, &current.fields.terms(), &next.fields.terms())?;
    match app.store.transact(tx).await {
        Ok(()) => Ok(Reply::ok(super::public(&next)).etag(next.version)),
        Err(StoreError::ConditionFailed { label }) if label == "company" => Err(AppError::PreconditionFailed),
        Err(e) => Err(e.into()),
    }
}
