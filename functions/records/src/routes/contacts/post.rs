//! `POST /v1/contacts` — create a contact (owner defaults to the caller).
//! One transaction: the contact, its duplicate markers (an email or phone
//! another contact holds is `409`, even under simultaneous creates), its
//! search terms, its place in `contacts.max` (`422 LIMIT_REACHED` when
//! full), `contact.created` and its audit entry.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, EntityId, Timestamp};
use crm_store::Tx;
use serde_json::json;

use crate::contact::{Contact, ContactChanges, ContactFields, CONTACT};
use crate::{search_index, App};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let t = p.tenant_id;
    let mut changes: ContactChanges = call.json()?;
    let custom = std::mem::take(&mut changes.custom_fields);
    // The owner is the caller unless the body names another (or `null`).
    let fields = ContactFields::apply(&ContactFields { owner_user_id: Some(p.user_id), ..ContactFields::blank() }, changes)?;
    super::super::check_private(&p, false, fields.private)?;
    crm_records::write::check_owner(&app.store, t, fields.owner_user_id).await?;
    crate::contacts::check_company(app, t, fields.company_id).await?;
    let now = Timestamp::now();
    let contact = Contact::new(EntityId::new(), t, fields, p.user_id, now);
    let event = crm_events::DomainEvent::caused_by(
        &call,
        crm_events::types::CONTACT_CREATED,
        crate::contacts::subject(&contact),
        json!({ "full_name": contact.fields.full_name(), "company_id": contact.fields.company_id, "lifecycle_stage": contact.fields.lifecycle_stage }),
    )?;
    let (values, tx) = crm_records::write::custom_values(&app.store, &p, "contact", &Default::default(), custom, true, Tx::new()).await?;
    let contact = Contact { fields: ContactFields { custom_fields: values, ..contact.fields }, ..contact };
    let tx = tx.put_new("contact", contact.to_item()?).emit_audited(&event);
    let tx = crate::contacts::markers(tx, t, contact.id, None, Some(&contact.fields))?;
    let tx = super::super::take_quota(tx, &p, "contacts.max");
    let tx = search_index::write(tx, t, CONTACT, contact.id, &[], &contact.fields.terms())?;
    match app.store.transact(tx).await {
        Ok(()) => Ok(Reply::created(format!("/v1/contacts/{}", contact.id), crate::contacts::public(&contact, &p)).etag(contact.version)),
        Err(e) => match crate::contacts::conflict_label(&e) {
            Some(label) => Err(match super::super::quota_refused(&p, label).or_else(|| super::super::custom_conflict(label)) {
                Some(c) => c,
                None => crate::contacts::duplicate(app, t, label).await,
            }),
            None => Err(e.into()),
        },
    }
}
