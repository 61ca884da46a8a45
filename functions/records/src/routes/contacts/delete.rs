//! `DELETE /v1/contacts/{id}` — remove a contact, release its email and
//! phone, drop its search terms (`If-Match` honoured); `contact.deleted`.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_kernel::AppError;
use crm_store::tx::Condition;
use crm_store::{StoreError, Tx};
use serde_json::json;

use crate::contact::{Contact, CONTACT};
use crate::{search_index, App};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let t = p.tenant_id;
    let current = crate::contacts::live(super::load(app, &call).await?)?;
    super::super::require_edit(&p, current.fields.owner_user_id)?;
    if call.if_match()?.is_some_and(|v| v != current.version) {
        return Err(AppError::PreconditionFailed);
    }
    let event = crm_events::DomainEvent::caused_by(
        &call,
        crm_events::types::CONTACT_DELETED,
        crate::contacts::subject(&current),
        json!({ "full_name": current.fields.full_name() }),
    )?;
    let tx = Tx::new().delete("contact", &Contact::key(t, current.id), Some(Condition::version_is(current.version))).emit_audited(&event);
    let tx = crate::contacts::markers(tx, t, current.id, Some(&current.fields), None)?;
    let tx = search_index::write(tx, t, CONTACT, current.id, &current.fields.terms(), &[])?;
    let tx = super::super::release_quota(tx, t, "contacts.max");
    match app.store.transact(tx).await {
        Ok(()) => Ok(Reply::no_content()),
        Err(StoreError::ConditionFailed { .. }) => Err(AppError::PreconditionFailed),
        Err(e) => Err(e.into()),
    }
}
