//! `POST /v1/units/bulk` `{unit_ids, status?, price?}` — one status or one
//! price change for up to 100 units (`units.bulkEdit`, four at a time),
//! each unit through
//! the same path as its own route: the status machine, the approvals gate
//! (`unit.status.sold`, `unit.price.update`), its own transaction. A price
//! is `set` outright, or moved by `change_pct` or `change_amount`. Each
//! unit answers for itself — `updated`, `unchanged`, `held` (with its
//! approval request) or `refused` (with the error) — and the owner of a
//! moved unit's deal is told (`unit.status_changed`).

use crm_http::{Call, Reply};
use crm_inventory::status::UnitStatus;
use crm_inventory::unit::MAX_PRICE;
use crm_kernel::fields::{Fields, Input};
use crm_kernel::{AppError, EntityId, Timestamp};

use crate::statuses::{self, Changed};
use crate::{catalogue, pricing, App};

/// The body of `UnitsBulkEdit`.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct BulkEdit {
    /// 1 to 100 unit ids.
    #[schemars(length(min = 1, max = 100))]
    pub unit_ids: Input<Vec<Input<EntityId>>>,
    /// `available`, `sold`, `hold` or `unavailable`, as `PATCH /v1/units/{id}/status`.
    #[schemars(extend("enum" = ["available", "reserved", "sold", "hold", "unavailable"]))]
    pub status: Input<String>,
    pub price: Input<BulkPrice>,
    #[schemars(length(max = 500))]
    pub note: Input<String>,
}

/// One of `set`, `change_pct`, `change_amount`.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct BulkPrice {
    /// The new price, minor units.
    #[schemars(range(min = 0, max = 1_000_000_000_000_000_i64))]
    pub set: Input<i64>,
    /// -90 to 1000: each price moved by this percentage, rounded to the minor unit.
    #[schemars(range(min = -90, max = 1000))]
    pub change_pct: Input<f64>,
    /// Each price moved by this many minor units.
    #[schemars(range(min = -1_000_000_000_000_000_i64, max = 1_000_000_000_000_000_i64))]
    pub change_amount: Input<i64>,
    /// A future time schedules the new prices.
    pub effective_at: Input<Timestamp>,
}

/// How one unit fared.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Outcome {
    pub unit_id: EntityId,
    /// `updated`, `unchanged`, `held`, `refused`.
    pub outcome: &'static str,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval_request_id: Option<EntityId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// What the bulk edit did, unit by unit.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct BulkResult {
    pub results: Vec<Outcome>,
    pub updated: usize,
    pub held: usize,
    pub refused: usize,
}

#[derive(Clone, Copy)]
enum PriceMove {
    Set(i64),
    Pct(f64),
    Amount(i64),
}

fn moved(price: i64, how: PriceMove) -> Result<i64, AppError> {
    let next = match how {
        PriceMove::Set(p) => p,
        PriceMove::Pct(pct) => (price as f64 * (1.0 + pct / 100.0)).round() as i64,
        PriceMove::Amount(a) => price.saturating_add(a),
    };
    if (0..=MAX_PRICE).contains(&next) {
        Ok(next)
    } else {
        Err(AppError::invalid("price", "the new price would be below 0 or above 10^18"))
    }
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    p.entitlements.require_feature("units.bulkEdit")?;
    let asked: BulkEdit = call.json()?;
    let mut f = Fields::new();
    let mut ids: Vec<EntityId> = Vec::new();
    match asked.unit_ids {
        Input::Given(list) if (1..=100).contains(&list.len()) => {
            for (i, id) in list.into_iter().enumerate() {
                match id {
                    Input::Given(id) if !ids.contains(&id) => ids.push(id),
                    Input::Given(_) => {}
                    _ => f.error(&format!("unit_ids[{i}]"), "must be a unit id"),
                }
            }
        }
        _ => f.error("unit_ids", "must be a list of 1 to 100 unit ids"),
    }
    let status = match asked.status {
        Input::Absent => None,
        other => f.one_of("status", other, UnitStatus::ALL).and_then(|s| UnitStatus::parse(&s)),
    };
    let mut effective_at = None;
    let price = match f.value("price", asked.price, "must be an object") {
        None | Some(None) => None,
        Some(Some(b)) => {
            let mut g = Fields::nested("price");
            let set = match b.set {
                Input::Absent => None,
                other => g.int("set", other, 0..=MAX_PRICE).map(PriceMove::Set),
            };
            let pct = g.number("change_pct", b.change_pct, -90.0..=1000.0).flatten().map(PriceMove::Pct);
            let amount = match b.change_amount {
                Input::Absent => None,
                other => g.int("change_amount", other, -MAX_PRICE..=MAX_PRICE).map(PriceMove::Amount),
            };
            effective_at =
                g.time("effective_at", b.effective_at).flatten().filter(|at| at.unix_seconds() > Timestamp::now().unix_seconds() + 1);
            let given: Vec<PriceMove> = [set, pct, amount].into_iter().flatten().collect();
            if given.len() != 1 && !["set", "change_pct", "change_amount"].iter().any(|k| g.failed(k)) {
                g.error("set", "give exactly one of set, change_pct, change_amount");
            }
            f.absorb(g.into_errors());
            given.first().copied()
        }
    };
    let note = f.text("note", asked.note, 500).flatten();
    if status.is_none() && price.is_none() && !f.failed("status") && !f.failed("price") {
        f.error("status", "give a status, a price, or both");
    }
    f.finish(())?;
    if status.is_some() {
        p.require(crm_auth::rbac::UNIT_STATUS_UPDATE)?;
    }
    if price.is_some() {
        p.require(crm_auth::rbac::UNIT_PRICE_UPDATE)?;
    }
    use futures::StreamExt;
    let call = &call;
    let results: Vec<Outcome> =
        futures::stream::iter(ids).map(|id| one(app, call, id, status, price, effective_at, note.clone())).buffered(4).collect().await;
    let count = |o: &str| results.iter().filter(|r| r.outcome == o).count();
    let (updated, held, refused) = (count("updated"), count("held"), count("refused"));
    Ok(Reply::ok(BulkResult { results, updated, held, refused }))
}

async fn one(
    app: &App,
    call: &Call,
    id: EntityId,
    status: Option<UnitStatus>,
    price: Option<PriceMove>,
    effective_at: Option<Timestamp>,
    note: Option<String>,
) -> Outcome {
    let refused = |e: AppError| Outcome {
        unit_id: id,
        outcome: "refused",
        approval_request_id: None,
        error_code: Some(e.code().to_string()),
        error: Some(e.public_message()),
    };
    let run = async {
        let p = call.principal()?;
        let mut unit = catalogue::unit(&app.store, p.tenant_id, id).await?;
        let event = |kind, data| catalogue::event(call, kind, "unit", id, data);
        let before = unit.version;
        // The new price is known before anything is written: a unit refused for it is left as it was.
        let new_price = price.map(|how| moved(unit.price, how)).transpose()?;
        if let Some(to) = status {
            match statuses::change(app, p, unit, statuses::Ask { to, deal_id: None, note: note.clone(), bulk: true }, &event).await? {
                Changed::Held(r) => return Ok::<_, AppError>((unit_outcome(id, "held"), Some(r.id))),
                Changed::Done(next) => unit = *next,
            }
        }
        if let Some(new_price) = new_price {
            let ask = pricing::Ask { price: new_price, currency: unit.currency, effective_at, note: note.clone() };
            match pricing::change(app, p, unit, ask, &event).await? {
                Changed::Held(r) => return Ok((unit_outcome(id, "held"), Some(r.id))),
                Changed::Done(next) => unit = *next,
            }
        }
        Ok((unit_outcome(id, if unit.version == before { "unchanged" } else { "updated" }), None))
    };
    match run.await {
        Ok((mut o, request)) => {
            o.approval_request_id = request;
            o
        }
        Err(e) => refused(e),
    }
}

fn unit_outcome(unit_id: EntityId, outcome: &'static str) -> Outcome {
    Outcome { unit_id, outcome, approval_request_id: None, error_code: None, error: None }
}
