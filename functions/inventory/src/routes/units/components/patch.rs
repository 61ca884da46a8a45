//! `PATCH /v1/units/{id}/components/{componentId}` — a component's type
//! (an active code), name, dimensions, notes or order. `If-Match` honoured.
//! `unit.component.updated`.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_inventory::component::ComponentChanges;
use crm_kernel::{AppError, Timestamp};
use crm_store::tx::Condition;
use crm_store::Tx;
use serde_json::json;

use crate::{catalogue, App};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let (unit, current) = super::load(app, &call).await?;
    catalogue::if_match(&call, current.version)?;
    let next = current.apply(call.json::<ComponentChanges>()?, Timestamp::now())?;
    if next.component_type_code != current.component_type_code {
        catalogue::check_code(
            &catalogue::component_types(&app.store, p.tenant_id).await?,
            "component_type_code",
            &next.component_type_code,
        )?;
    }
    let ignore = ["updated_at", "version"];
    let changes: serde_json::Map<_, _> =
        crm_records::write::changes(&serde_json::to_value(&current).unwrap_or_default(), &serde_json::to_value(&next).unwrap_or_default())
            .into_iter()
            .filter(|(k, _)| !ignore.contains(&k.as_str()))
            .collect();
    if changes.is_empty() {
        return Ok(Reply::ok(&current).etag(current.version));
    }
    let event = catalogue::event(
        &call,
        crm_events::types::UNIT_COMPONENT_UPDATED,
        "unit",
        unit.id,
        json!({ "component_id": next.id, "changes": changes }),
    )?;
    let tx = Tx::new().put_if("component", next.to_item()?, Condition::version_is(current.version)).emit_audited(&event);
    app.store.transact(tx).await.map_err(|e| catalogue::refused(p, e))?;
    Ok(Reply::ok(&next).etag(next.version))
}
