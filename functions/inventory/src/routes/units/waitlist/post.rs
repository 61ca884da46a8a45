//! `POST /v1/units/{id}/waitlist` `{contact_id, deal_id?, note?}` — a buyer
//! queued behind the unit's reservation or hold (an available unit is
//! reserved instead: `409 UNIT_AVAILABLE`; a sold one has nothing to wait
//! for: `409 SOLD_IS_FINAL`). One entry per contact, at most 20.
//! `unit.waitlist.joined`.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_inventory::status::{rule, UnitStatus};
use crm_inventory::waitlist::{Entry, MAX_PER_UNIT};
use crm_kernel::fields::{Fields, Input};
use crm_kernel::{AppError, EntityId, Timestamp};
use crm_store::tx::Condition;
use crm_store::{keys, Tx};
use serde_json::json;

use crate::{catalogue, waitlist, App};

/// The body of `UnitWaitlistJoin`.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct NewEntry {
    /// Required: the buyer.
    pub contact_id: Input<EntityId>,
    pub deal_id: Input<EntityId>,
    #[schemars(length(max = 500))]
    pub note: Input<String>,
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let t = p.tenant_id;
    let unit = catalogue::unit_of(&app.store, &call).await?;
    let asked: NewEntry = call.json()?;
    let mut f = Fields::new();
    let contact_id = f.entity_id("contact_id", asked.contact_id).flatten();
    f.require("contact_id", contact_id.is_some());
    let deal_id = f.entity_id("deal_id", asked.deal_id).flatten();
    let note = f.text("note", asked.note, 500).flatten();
    let contact_id = f.finish(contact_id)?.ok_or_else(|| AppError::invalid("contact_id", "is required"))?;
    match unit.status {
        UnitStatus::Available => {
            return Err(AppError::Refused { code: "UNIT_AVAILABLE", message: "the unit is available: reserve it instead".into() })
        }
        UnitStatus::Sold => return Err(AppError::Refused { code: rule::SOLD_IS_FINAL, message: "the unit is sold".into() }),
        _ => {}
    }
    let queued = waitlist::of(&app.store, &unit).await?;
    if queued.iter().any(|e| e.contact_id == contact_id) {
        return Err(AppError::Conflict("the contact is on the unit's waitlist already".into()));
    }
    if queued.len() >= MAX_PER_UNIT {
        return Err(AppError::LimitReached { key: "unit.waitlist.max".into(), limit: MAX_PER_UNIT as i64 });
    }
    let entry = Entry {
        id: EntityId::new(),
        tenant_id: t,
        unit_id: unit.id,
        contact_id,
        deal_id,
        note,
        added_by: p.user_id,
        created_at: Timestamp::now(),
    };
    let data = json!({ "entry_id": entry.id, "contact_id": contact_id, "deal_id": deal_id, "position": queued.len() + 1, "code": unit.fields.code });
    let event = catalogue::event(&call, crm_events::types::UNIT_WAITLIST_JOINED, "unit", unit.id, data)?;
    let mut tx = Tx::new()
        .put_new("entry", entry.to_item()?)
        .check("ref:contact_id", &keys::entity(t, "CONTACT", contact_id), Condition::exists())
        .emit_audited(&event);
    if let Some(d) = deal_id {
        tx = tx.check("ref:deal_id", &keys::entity(t, "DEAL", d), Condition::exists());
    }
    app.store.transact(tx).await.map_err(|e| catalogue::refused(p, e))?;
    Ok(Reply::created(format!("/v1/units/{}/waitlist/{}", unit.id, entry.id), entry))
}
