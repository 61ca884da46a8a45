//! `POST /v1/contacts/merge` `{target_id, source_id}` — M3CoreCRM §3.6: the
//! target keeps its id and values and takes the source's where it has
//! none; the source becomes a tombstone with `merged_into_id` (out of every
//! list and the search index; reading it says where it went). The source's
//! email and phone move to the target when it takes them (their duplicate
//! markers now name the target), else they are released and reported in
//! `unmerged`. One transaction, both versions checked; `contact.merged`.
//! The owner, a manager or an admin of both; `contact.merge`.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, EntityId, Timestamp};
use crm_store::tx::Condition;
use crm_store::{item, StoreError, Tx};
use serde::Deserialize;
use serde_json::json;

use crate::contact::{merge_fields, Contact, CONTACT};
use crate::{search_index, App};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    target_id: EntityId,
    source_id: EntityId,
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let t = p.tenant_id;
    let b: Body = call.json()?;
    if b.target_id == b.source_id {
        return Err(AppError::invalid("source_id", "must differ from target_id"));
    }
    let found = app.store.get_many(&[Contact::key(t, b.target_id), Contact::key(t, b.source_id)]).await?;
    let mut found = found.into_iter().map(|i| i.map(item::from_item::<Contact>).transpose());
    let target = super::live(found.next().ok_or(AppError::NotFound)??.ok_or(AppError::NotFound)?)?;
    let source = super::live(found.next().ok_or(AppError::NotFound)??.ok_or(AppError::NotFound)?)?;
    super::super::require_edit(&p, target.fields.owner_user_id)?;
    super::super::require_edit(&p, source.fields.owner_user_id)?;

    let now = Timestamp::now();
    let (fields, unmerged) = merge_fields(&target.fields, &source.fields);
    let kept = Contact { fields, updated_at: now, version: target.version + 1, ..target.clone() };
    let tombstone = Contact { merged_into_id: Some(target.id), updated_at: now, version: source.version + 1, ..source.clone() };
    let unmerged: Vec<_> = unmerged.into_iter().map(|(k, v)| json!({ "field": k, "value": v })).collect();
    let event = super::super::event(
        &call,
        "contact.merged",
        super::subject(&kept),
        json!({ "target_id": target.id, "source_id": source.id, "unmerged": unmerged }),
    )?;
    let mut tx = Tx::new()
        .put_if("contact", kept.to_item()?, Condition::version_is(target.version))
        .put_if("source", tombstone.to_item()?, Condition::version_is(source.version))
        .emit_audited(&event);
    // The source's addresses: re-pointed at the target when it took them, else released.
    let claim = json!({ "contact_id": target.id });
    if let Some(e) = &source.fields.email {
        let key = Contact::email_marker(t, e);
        tx = if kept.fields.email.as_ref() == Some(e) && target.fields.email.is_none() {
            tx.put("email_marker", item::to_item(&key, &claim)?)
        } else {
            tx.delete("email_release", &key, None)
        };
    }
    if let Some(ph) = &source.fields.phone {
        let key = Contact::phone_marker(t, ph);
        tx = if kept.fields.phone.as_ref() == Some(ph) && target.fields.phone.is_none() {
            tx.put("phone_marker", item::to_item(&key, &claim)?)
        } else {
            tx.delete("phone_release", &key, None)
        };
    }
    let tx = search_index::write(tx, t, CONTACT, kept.id, &target.fields.terms(), &kept.fields.terms())?;
    let tx = search_index::write(tx, t, CONTACT, source.id, &source.fields.terms(), &[])?;
    match app.store.transact(tx).await {
        Ok(()) => Ok(Reply::ok(json!({ "target": super::public(&kept), "source_id": source.id, "unmerged": unmerged }))),
        Err(StoreError::ConditionFailed { .. }) => Err(AppError::PreconditionFailed),
        Err(e) => Err(e.into()),
    }
}
