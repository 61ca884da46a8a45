//! `POST /v1/units` — a unit of a building: its code unique in the building
//! (`409`), its `unit_type_code` an active code of `unit_type_codes` (a
//! field error otherwise), a place in `units.max` taken in the same
//! transaction (`422 LIMIT_REACHED`), the first entry of its price
//! history, and its custom attributes (`units.customFields`, checked
//! against the tenant's definitions, unique ones claimed). `unit.created`.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_inventory::building::{Building, BUILDING};
use crm_inventory::status::UnitStatus;
use crm_inventory::unit::{Unit, UnitChanges, UnitFields};
use crm_kernel::fields::Input;
use crm_kernel::{AppError, EntityId, Timestamp};
use crm_store::item::ItemExt;
use crm_store::tx::Condition;
use crm_store::{item, keys, Tx};
use serde_json::json;

use crate::{catalogue, pricing, App};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let t = p.tenant_id;
    let mut c: UnitChanges = call.json()?;
    let custom = std::mem::take(&mut c.custom_fields);
    let building_id = match std::mem::take(&mut c.building_id) {
        Input::Given(id) => Some(id),
        Input::Invalid(_) => return Err(AppError::invalid("building_id", "must be an id")),
        _ => None,
    };
    let (fields, price) = UnitFields::apply(&UnitFields::blank(), c, true)?;
    let building_id: EntityId = building_id.ok_or_else(|| AppError::invalid("building_id", "is required"))?;
    let building = match catalogue::building(&app.store, t, building_id).await {
        Err(AppError::NotFound) => return Err(AppError::invalid("building_id", "no such building in this tenant")),
        other => other?,
    };
    catalogue::check_code(&catalogue::unit_types(&app.store, t).await?, "unit_type_code", &fields.unit_type_code)?;
    crm_records::write::check_owner(&app.store, t, fields.owner_user_id).await?;
    let price = price.ok_or_else(|| AppError::invalid("price", "is required"))?;
    let (custom_fields, tx) =
        crm_records::write::custom_values(&app.store, p, "unit", &Default::default(), custom, true, Tx::new()).await?;
    let fields = UnitFields { custom_fields, ..fields };
    let now = Timestamp::now();
    let unit = Unit {
        id: EntityId::new(),
        tenant_id: t,
        project_id: building.project_id,
        building_id,
        fields,
        price: price.price,
        currency: price.currency,
        status: UnitStatus::Available,
        reservation_id: None,
        deal_id: None,
        scheduled_price: None,
        created_by: p.user_id,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let data = json!({
        "code": unit.fields.code, "unit_type_code": unit.fields.unit_type_code, "building_id": building_id, "project_id": unit.project_id,
        "price": unit.price, "currency": unit.currency, "status": unit.status,
        "availability": catalogue::availability(None, Some(&unit)),
    });
    let event = catalogue::event(&call, crm_events::types::UNIT_CREATED, "unit", unit.id, data)?;
    let marker =
        item::to_item(&Unit::code_marker(t, building_id, &unit.fields.code), &json!({ "unit_id": unit.id }))?.with_str("kind", "marker");
    let tx = tx
        .put_new("unit", unit.to_item()?)
        .put_new("unit_code", marker)
        .put("price_history", pricing::history_item(&unit, None, p.user_id, now)?)
        .check("ref:building_id", &Building::key(t, building_id), Condition::exists())
        .add("tally", &keys::children_tally(t, BUILDING, building_id), &[("units", 1)], Condition::always())
        .emit_audited(&event);
    let tx = crm_records::write::take_quota(tx, p, "units.max");
    app.store.transact(tx).await.map_err(|e| catalogue::refused(p, e))?;
    Ok(Reply::created(format!("/v1/units/{}", unit.id), &unit).etag(unit.version))
}
