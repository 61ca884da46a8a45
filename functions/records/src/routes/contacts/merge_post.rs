//! `POST /v1/contacts/merge` `{target_id, source_id}` — the
//! target keeps its id and values and takes the source's where it has
//! none; the source becomes a tombstone with `merged_into_id` (out of every
//! list and the search index; reading it says where it went). Every channel
//! of the source joins the target's (a union of primaries, verification
//! kept) and its duplicate markers now name the target. The source's tasks,
//! notes and activities follow (the activities worker moves them on
//! `contact.merged`). One transaction, both versions checked.
//! The owner, a manager or an admin of both; `contact.merge`.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, EntityId, Timestamp};
use crm_store::tx::Condition;
use crm_store::{item, keys, StoreError, Tx};
use serde::Deserialize;
use serde_json::json;

use crate::channel;
use crate::contact::{merge_fields, Contact, CONTACT};
use crate::{search_index, App};

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Body {
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
    let target = crate::contacts::live(found.next().ok_or(AppError::NotFound)??.ok_or(AppError::NotFound)?)?;
    let source = crate::contacts::live(found.next().ok_or(AppError::NotFound)??.ok_or(AppError::NotFound)?)?;
    for c in [&target, &source] {
        crm_auth::audience::require_visible(&app.store, &p, c.fields.owner_user_id, c.fields.private).await?;
        super::super::require_edit(&p, c.fields.owner_user_id)?;
    }

    let now = Timestamp::now();
    let kept =
        Contact { fields: merge_fields(&target.fields, &source.fields), updated_at: now, version: target.version + 1, ..target.clone() };
    let tombstone = Contact { merged_into_id: Some(target.id), updated_at: now, version: source.version + 1, ..source.clone() };
    let event = crm_events::DomainEvent::caused_by(
        &call,
        crm_events::types::CONTACT_MERGED,
        crate::contacts::subject(&kept),
        json!({ "target_id": target.id, "source_id": source.id, "channels": kept.fields.channels.len() }),
    )?;
    let mut tx = Tx::new()
        .put_if("contact", kept.to_item()?, Condition::version_is(target.version))
        .put_if("source", tombstone.to_item()?, Condition::version_is(source.version))
        .emit_audited(&event);
    // Every address of the source is now the target's: its marker names the target.
    let claim = json!({ "contact_id": target.id });
    for (family, value) in channel::addresses(&source.fields).difference(&channel::addresses(&target.fields)) {
        tx = tx.put("marker", item::to_item(&keys::unique(t, family, value), &claim)?);
    }
    let tx = search_index::write(tx, t, CONTACT, kept.id, &target.fields.terms(), &kept.fields.terms())?;
    let tx = search_index::write(tx, t, CONTACT, source.id, &source.fields.terms(), &[])?;
    let tx = super::super::release_quota(tx, t, "contacts.max");
    match app.store.transact(tx).await {
        Ok(()) => Ok(Reply::ok(Merged { target: crate::contacts::public(&kept, &p), source_id: source.id })),
        Err(StoreError::ConditionFailed { .. }) => Err(AppError::PreconditionFailed),
        Err(e) => Err(e.into()),
    }
}

/// A merge's outcome: the contact kept, and the one merged into it.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Merged {
    pub target: crate::contacts::ContactReply,
    pub source_id: crm_kernel::EntityId,
}
