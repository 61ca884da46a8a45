//! `DELETE /v1/units/{id}` — a unit that is not reserved, held by a
//! reservation, or sold (`409` with the rule): it leaves its building's
//! tally and `units.max`, and its code is free again. Its components and
//! history go with it. `unit.deleted`.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_inventory::building::BUILDING;
use crm_inventory::status::{rule, UnitStatus};
use crm_inventory::unit::{Unit, UNIT};
use crm_kernel::{AppError, Limit};
use crm_store::tx::Condition;
use crm_store::{keys, Key, Query, Tx};
use serde_json::json;

use crate::{catalogue, App};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let t = p.tenant_id;
    let unit = catalogue::unit_of(&app.store, &call).await?;
    catalogue::if_match(&call, unit.version)?;
    if unit.status == UnitStatus::Sold {
        return Err(AppError::Refused { code: rule::SOLD_IS_FINAL, message: "a sold unit is not deleted".into() });
    }
    if unit.reservation_id.is_some() {
        return Err(AppError::Refused { code: rule::RESERVATION_ACTIVE, message: "release the unit's reservation first".into() });
    }
    let data =
        json!({ "code": unit.fields.code, "building_id": unit.building_id, "availability": catalogue::availability(Some(&unit), None) });
    let event = catalogue::event(&call, crm_events::types::UNIT_DELETED, "unit", unit.id, data)?;
    let tx = Tx::new()
        .delete("unit", &Unit::key(t, unit.id), Some(Condition::version_is(unit.version)))
        .delete("code", &Unit::code_marker(t, unit.building_id, &unit.fields.code), None)
        .add("tally", &keys::children_tally(t, BUILDING, unit.building_id), &[("units", -1)], Condition::always())
        .emit_audited(&event);
    let tx = crm_records::write::release_quota(tx, t, "units.max");
    // Its unique custom values are free again.
    let tx = if unit.fields.custom_fields.is_empty() {
        tx
    } else {
        let defs = crm_records::custom_fields::definitions(&app.store, t, "unit").await?;
        crm_records::write::unique_values(tx, "unit", &defs, &unit.fields.custom_fields, &Default::default())?
    };
    app.store.transact(tx).await.map_err(|e| catalogue::refused(p, e))?;
    // What was in its collection (components, prices, past reservations) goes after it, page by page.
    let pk = keys::entity_pk(t, UNIT, &unit.id.to_string());
    let mut cursor = None;
    loop {
        let page = app.store.query(Query::table(t, pk.clone()).limit(Limit::max()).after(cursor)).await?;
        let mut tx = Tx::new();
        for it in &page.items {
            if let Some(sk) = it.get(keys::SK).and_then(|v| v.as_s().ok()) {
                tx = tx.delete("child", &Key { pk: pk.clone(), sk: sk.clone() }, None);
            }
        }
        if !tx.is_empty() {
            app.store.transact(tx).await?;
        }
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    Ok(Reply::no_content())
}
