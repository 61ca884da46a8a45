//! `POST /v1/units/{id}/components` — a component of the unit (at most
//! 50): its `component_type_code` an active code of `component_type_codes`
//! (a field error otherwise), with its dimensions. `unit.component.added`.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_inventory::component::{Component, ComponentChanges, MAX_PER_UNIT};
use crm_inventory::unit::Unit;
use crm_kernel::{AppError, Timestamp};
use crm_store::tx::Condition;
use crm_store::Tx;
use serde_json::json;

use crate::{catalogue, App};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let t = p.tenant_id;
    let unit = catalogue::unit_of(&app.store, &call).await?;
    let c = Component::new(t, unit.id, call.json::<ComponentChanges>()?, Timestamp::now())?;
    catalogue::check_code(&catalogue::component_types(&app.store, t).await?, "component_type_code", &c.component_type_code)?;
    let data = json!({ "component_id": c.id, "component_type_code": c.component_type_code, "name": c.name, "area_sqm": c.area_sqm });
    let event = catalogue::event(&call, crm_events::types::UNIT_COMPONENT_ADDED, "unit", unit.id, data)?;
    let tx =
        Tx::new().put_new("component", c.to_item()?).check("ref:unit", &Unit::key(t, unit.id), Condition::exists()).emit_audited(&event);
    let tx = catalogue::take_place(tx, t, unit.id, "components", MAX_PER_UNIT);
    app.store.transact(tx).await.map_err(|e| catalogue::refused(p, e))?;
    Ok(Reply::created(format!("/v1/units/{}/components/{}", unit.id, c.id), &c).etag(c.version))
}
