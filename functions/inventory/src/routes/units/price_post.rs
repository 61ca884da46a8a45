//! `POST /v1/units/{id}/price` `{price, currency?, effective_at?, note?}` —
//! a new price. Now: the price and its history entry in one transaction,
//! `unit.price.changed`. With a future `effective_at`: kept as the unit's
//! `scheduled_price` (replacing any earlier one) and applied at its time by
//! the inventory clock, `unit.price.scheduled`. A tenant policy on
//! `unit.price.update` (a threshold on `change_abs` or `change_pct_abs`)
//! holds it for approval first (`202`); sent again once approved, it goes
//! through. `If-Match` honoured.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_inventory::unit::{ScheduledPrice, Unit, MAX_PRICE};
use crm_kernel::fields::{Fields, Input};
use crm_kernel::{AppError, Currency, EntityId, Timestamp};
use crm_store::tx::Condition;
use serde_json::json;

use crate::gate::{self, Gated, GatedReply};
use crate::pricing::{self, PriceDue, PRICE_UPDATE};
use crate::{catalogue, App, Clock};

/// The body of `UnitPriceSet`.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct NewPrice {
    /// Required: minor units, 0 to 10^18.
    #[schemars(range(min = 0, max = 1_000_000_000_000_000_i64))]
    pub price: Input<i64>,
    /// ISO 4217; default: the unit's.
    #[schemars(regex(pattern = r"^[A-Za-z]{3}$"))]
    pub currency: Input<String>,
    /// When it takes effect; absent (or now) is now, a future time schedules it.
    pub effective_at: Input<Timestamp>,
    #[schemars(length(max = 500))]
    pub note: Input<String>,
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let unit = catalogue::unit_of(&app.store, &call).await?;
    catalogue::if_match(&call, unit.version)?;
    let asked: NewPrice = call.json()?;
    let mut f = Fields::new();
    let price = f.int("price", asked.price, 0..=MAX_PRICE);
    f.require("price", price.is_some());
    let currency = match f.value("currency", asked.currency, "must be an ISO 4217 code") {
        Some(Some(c)) => Currency::parse(&c).map_err(|_| AppError::invalid("currency", "must be a supported ISO 4217 code"))?,
        _ => unit.currency,
    };
    let now = Timestamp::now();
    let effective_at = f.time("effective_at", asked.effective_at).flatten().filter(|at| at.unix_seconds() > now.unix_seconds() + 1);
    if effective_at.is_some_and(|at| at.unix_seconds() > now.unix_seconds() + 5 * 365 * 86_400) {
        f.error("effective_at", "at most five years ahead");
    }
    let note = f.text("note", asked.note, 500).flatten();
    let price = f.finish(price)?.unwrap_or_default();
    if effective_at.is_none() && price == unit.price && currency == unit.currency {
        return Ok(Reply::ok(&unit).etag(unit.version));
    }
    let tx = match gate::ask(&app.store, p, PRICE_UPDATE, unit.id, pricing::approval_payload(&unit, price, currency, effective_at), false)
        .await?
    {
        Gated::Held(request) => return Ok(GatedReply::<Unit>::held(request)),
        Gated::Go(tx) => tx,
    };
    let next = match effective_at {
        None => {
            let event = catalogue::event(&call, crm_events::types::UNIT_PRICE_CHANGED, "unit", unit.id, json!({}))?;
            pricing::apply_now(&app.store, &unit, pricing::PriceChange { price, currency, by: p.user_id, note }, event, tx)
                .await
                .map_err(|e| catalogue::refused(p, e))?
        }
        Some(at) => {
            let sp = ScheduledPrice { id: EntityId::new(), price, currency, effective_at: at, set_by: p.user_id };
            let replaced = unit.scheduled_price.clone();
            let next = unit.next(now, |u| u.scheduled_price = Some(sp.clone()));
            let name = pricing::schedule_name(sp.id);
            app.clock.at(&name, at, &Clock::PriceDue(PriceDue { tenant_id: p.tenant_id, unit_id: unit.id, scheduled_id: sp.id })).await?;
            let data = json!({ "code": unit.fields.code, "price": price, "currency": currency, "effective_at": at, "replaces": replaced.as_ref().map(|r| r.id), "note": note });
            let event = catalogue::event(&call, crm_events::types::UNIT_PRICE_SCHEDULED, "unit", unit.id, data)?;
            let tx = tx.put_if("unit", next.to_item()?, Condition::version_is(unit.version)).emit_audited(&event);
            if let Err(e) = app.store.transact(tx).await {
                let _ = app.clock.cancel(&name).await;
                return Err(catalogue::refused(p, e));
            }
            if let Some(old) = replaced {
                // The replaced one would find itself replaced and do nothing; its schedule goes anyway.
                let _ = app.clock.cancel(&pricing::schedule_name(old.id)).await;
            }
            next
        }
    };
    Ok(Reply::ok(&next).etag(next.version))
}
