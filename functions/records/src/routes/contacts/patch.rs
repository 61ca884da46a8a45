//! `PATCH /v1/contacts/{id}` — change fields (absent keep, `null` clears),
//! `If-Match` honoured; the owner, a manager or an admin only. A new email
//! or phone is claimed (409 when another contact holds it), the old one
//! released, the search terms follow — one transaction; `contact.updated`
//! carries `{field: {from, to}}`.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, Timestamp};
use crm_store::tx::Condition;
use crm_store::Tx;
use serde_json::{json, Value};

use crate::contact::{Contact, ContactFields, CONTACT};
use crate::{search_index, App};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let t = p.tenant_id;
    let body: Value = call.json()?;
    let current = super::live(super::load(app, &call).await?)?;
    super::super::require_edit(&p, current.fields.owner_user_id)?;
    if call.if_match()?.is_some_and(|v| v != current.version) {
        return Err(AppError::PreconditionFailed);
    }
    let mut fields = ContactFields::apply(&current.fields, &body)?;
    let (values, tx) = super::super::custom_values(app, t, "contact", &current.fields.custom_fields, &body, false, Tx::new()).await?;
    fields.custom_fields = values;
    if fields.owner_user_id != current.fields.owner_user_id {
        super::super::check_owner(app, t, fields.owner_user_id).await?;
    }
    if fields.company_id != current.fields.company_id {
        super::check_company(app, t, fields.company_id).await?;
    }
    let changes = super::super::changes(
        &serde_json::to_value(&current.fields).unwrap_or_default(),
        &serde_json::to_value(&fields).unwrap_or_default(),
    );
    if changes.is_empty() {
        return Ok(Reply::ok(super::public(&current)).etag(current.version));
    }
    let next = Contact { fields, updated_at: Timestamp::now(), version: current.version + 1, ..current.clone() };
    let event = super::super::event(&call, "contact.updated", super::subject(&next), json!({ "changes": changes }))?;
    let tx = tx.put_if("contact", next.to_item()?, Condition::version_is(current.version)).emit_audited(&event);
    let tx = super::markers(tx, t, next.id, Some(&current.fields), Some(&next.fields))?;
    let tx = search_index::write(tx, t, CONTACT, next.id, &current.fields.terms(), &next.fields.terms())?;
    match app.store.transact(tx).await {
        Ok(()) => Ok(Reply::ok(super::public(&next)).etag(next.version)),
        Err(e) => match super::conflict_label(&e) {
            Some("contact") => Err(AppError::PreconditionFailed),
            Some(label) => Err(match super::super::custom_conflict(label) {
                Some(c) => c,
                None => super::duplicate(app, t, &next.fields, label).await,
            }),
            None => Err(e.into()),
        },
    }
}
