//! `PATCH /v1/units/{id}/status` `{status, deal_id?, note?}` — a status
//! changed by hand, through the status machine
//! ([`crm_inventory::status::manual`]): `available`, `hold` and
//! `unavailable` move freely among themselves; `reserved` is reached only by
//! a reservation; a sold unit goes back only through its deal; a unit under
//! a reservation changes only through it, except to be `sold` to the
//! reservation's deal (which converts it). `sold` names its deal; without
//! one it needs an approval (`unit.status.sold`: `202` until approved; with
//! no policy, `422 APPROVAL_REQUIRED`). A refused move is `409` with the
//! rule's code. `If-Match` honoured. `unit.status.changed`.

use crm_http::{Call, Reply};
use crm_inventory::status::UnitStatus;
use crm_inventory::unit::Unit;
use crm_kernel::fields::{Fields, Input};
use crm_kernel::{AppError, EntityId};

use crate::gate::GatedReply;
use crate::statuses::{self, Changed};
use crate::{catalogue, App};

/// The body of `UnitStatusSet`.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct StatusChange {
    /// Required: `available`, `sold`, `hold` or `unavailable`.
    #[schemars(extend("enum" = ["available", "reserved", "sold", "hold", "unavailable"]))]
    pub status: Input<String>,
    /// The deal a `sold` unit is sold to.
    pub deal_id: Input<EntityId>,
    #[schemars(length(max = 500))]
    pub note: Input<String>,
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let unit = catalogue::unit_of(&app.store, &call).await?;
    catalogue::if_match(&call, unit.version)?;
    let asked: StatusChange = call.json()?;
    let mut f = Fields::new();
    let to = f.one_of("status", asked.status, UnitStatus::ALL).and_then(|s| UnitStatus::parse(&s));
    f.require("status", to.is_some());
    let deal_id = f.entity_id("deal_id", asked.deal_id).flatten();
    let note = f.text("note", asked.note, 500).flatten();
    let to = f.finish(to)?.ok_or_else(|| AppError::invalid("status", "is required"))?;
    let event = |kind, data| catalogue::event(&call, kind, "unit", unit.id, data);
    match statuses::change(app, p, unit.clone(), statuses::Ask { to, deal_id, note, bulk: false }, &event).await? {
        Changed::Held(request) => Ok(GatedReply::<Unit>::held(request)),
        Changed::Done(next) => {
            let version = next.version;
            Ok(Reply::ok(GatedReply::Done(*next)).etag(version))
        }
    }
}
