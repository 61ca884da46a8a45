//! `POST /v1/units/{id}/price` `{price, currency?, effective_at?, note?}` —
//! a new price. Now: the price and its history entry in one transaction,
//! `unit.price.changed`. With a future `effective_at`: kept as the unit's
//! `scheduled_price` (replacing any earlier one) and applied at its time by
//! the inventory clock, `unit.price.scheduled`. A tenant policy on
//! `unit.price.update` (a threshold on `change_abs` or `change_pct_abs`)
//! holds it for approval first (`202`); sent again once approved, it goes
//! through. A change of currency always needs an approval (`422
//! APPROVAL_REQUIRED` with no policy on `currency_changed`). `If-Match`
//! honoured.

use crm_http::{Call, Reply};
use crm_inventory::unit::{Unit, MAX_PRICE};
use crm_kernel::fields::{Fields, Input};
use crm_kernel::{AppError, Timestamp};

use crate::gate::GatedReply;
use crate::pricing;
use crate::statuses::Changed;
use crate::{catalogue, App};

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
    let currency = catalogue::currency_or(&mut f, asked.currency, unit.currency);
    let now = Timestamp::now();
    let effective_at = f.time("effective_at", asked.effective_at).flatten().filter(|at| at.unix_seconds() > now.unix_seconds() + 1);
    if effective_at.is_some_and(|at| at.unix_seconds() > now.unix_seconds() + 5 * 365 * 86_400) {
        f.error("effective_at", "at most five years ahead");
    }
    let note = f.text("note", asked.note, 500).flatten();
    let price = f.finish(price)?.unwrap_or_default();
    let event = |kind, data| catalogue::event(&call, kind, "unit", unit.id, data);
    let next = match pricing::change(app, p, unit.clone(), pricing::Ask { price, currency, effective_at, note }, &event).await? {
        Changed::Held(request) => return Ok(GatedReply::<Unit>::held(request)),
        Changed::Done(next) => *next,
    };
    let version = next.version;
    Ok(Reply::ok(GatedReply::Done(next)).etag(version))
}
