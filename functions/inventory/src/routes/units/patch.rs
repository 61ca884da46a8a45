//! `PATCH /v1/units/{id}` — a unit's attributes: code (still unique in the
//! building), type (an active code), size, rooms, view, dimensions, tour
//! URL, owner, custom attributes (`units.customFields`). Price and status change through their own routes; the unit
//! stays in its building. `If-Match` honoured. `unit.updated` with the
//! changes (and the availability snapshots when the type changes).

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_inventory::unit::{Unit, UnitChanges, UnitFields};
use crm_kernel::{AppError, Timestamp};
use crm_store::item::ItemExt;
use crm_store::tx::Condition;
use crm_store::{item, Tx};
use serde_json::json;

use crate::{catalogue, App};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let t = p.tenant_id;
    let current = catalogue::unit_of(&app.store, &call).await?;
    catalogue::if_match(&call, current.version)?;
    let mut changes: UnitChanges = call.json()?;
    let custom = std::mem::take(&mut changes.custom_fields);
    let (fields, _) = UnitFields::apply(&current.fields, changes, false)?;
    let (custom_fields, tx) =
        crm_records::write::custom_values(&app.store, p, "unit", &current.fields.custom_fields, custom, false, Tx::new()).await?;
    let fields = UnitFields { custom_fields, ..fields };
    if fields.unit_type_code != current.fields.unit_type_code {
        catalogue::check_code(&catalogue::unit_types(&app.store, t).await?, "unit_type_code", &fields.unit_type_code)?;
    }
    if fields.owner_user_id != current.fields.owner_user_id {
        crm_records::write::check_owner(&app.store, t, fields.owner_user_id).await?;
    }
    let changes = crm_records::write::changes(
        &serde_json::to_value(&current.fields).unwrap_or_default(),
        &serde_json::to_value(&fields).unwrap_or_default(),
    );
    if changes.is_empty() {
        return Ok(Reply::ok(&current).etag(current.version));
    }
    let next = current.next(Timestamp::now(), |u| u.fields = fields);
    let data =
        json!({ "changes": changes, "code": next.fields.code, "availability": catalogue::availability(Some(&current), Some(&next)) });
    let event = catalogue::event(&call, crm_events::types::UNIT_UPDATED, "unit", next.id, data)?;
    let mut tx = tx.put_if("unit", next.to_item()?, Condition::version_is(current.version)).emit_audited(&event);
    if next.fields.code.to_lowercase() != current.fields.code.to_lowercase() {
        let marker = item::to_item(&Unit::code_marker(t, next.building_id, &next.fields.code), &json!({ "unit_id": next.id }))?
            .with_str("kind", "marker");
        tx = tx.put_new("unit_code", marker).delete("old_code", &Unit::code_marker(t, current.building_id, &current.fields.code), None);
    }
    app.store.transact(tx).await.map_err(|e| catalogue::refused(p, e))?;
    Ok(Reply::ok(&next).etag(next.version))
}
