//! `PATCH /v1/contacts/{id}` — change fields (absent keep, `null` clears),
//! `If-Match` honoured; the owner, a manager or an admin only. A new email
//! or phone is claimed (409 when another contact holds it), the old one
//! released, the search terms follow — one transaction; `contact.updated`
//! carries `{field: {from, to}}`.

use crm_http::{Call, Reply};
use crm_kernel::AppError;
use crm_store::Tx;
use serde_json::json;

use crate::contact::{ContactChanges, ContactFields};
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let t = p.tenant_id;
    let current = super::load_for_change(app, &call).await?;
    let mut changes: ContactChanges = call.json()?;
    let custom = std::mem::take(&mut changes.custom_fields);
    let mut fields = ContactFields::apply(&current.fields, changes)?;
    super::super::check_private(&p, current.fields.private, fields.private)?;
    let (values, tx) =
        crm_records::write::custom_values(&app.store, &p, "contact", &current.fields.custom_fields, custom, false, Tx::new()).await?;
    fields.custom_fields = values;
    if fields.owner_user_id != current.fields.owner_user_id {
        crm_records::write::check_owner(&app.store, t, fields.owner_user_id).await?;
    }
    if fields.company_id != current.fields.company_id {
        crate::contacts::check_company(app, t, fields.company_id).await?;
    }
    let changes = super::super::changes(
        &serde_json::to_value(&current.fields).unwrap_or_default(),
        &serde_json::to_value(&fields).unwrap_or_default(),
    );
    if changes.is_empty() {
        return Ok(Reply::ok(crate::contacts::public(&current, &p)).etag(current.version));
    }
    let next =
        crate::contacts::save(app, &call, &current, fields, crm_events::types::CONTACT_UPDATED, json!({ "changes": changes }), tx).await?;
    Ok(Reply::ok(crate::contacts::public(&next, &p)).etag(next.version))
}
