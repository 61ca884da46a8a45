//! `POST /v1/units/{id}/reservations/{reservationId}/deposit` `{amount,
//! currency?, received_at?, reference?}` — the deposit taken on an active
//! reservation (a later one replaces it). `unit.deposit.recorded`.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_inventory::reservation::{Deposit, Kind, Reservation};
use crm_inventory::unit::MAX_PRICE;
use crm_kernel::fields::{Fields, Input};
use crm_kernel::{AppError, Timestamp};
use crm_store::tx::Condition;
use crm_store::Tx;
use serde_json::json;

use crate::{catalogue, App};

/// The body of `UnitReservationDeposit`.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct NewDeposit {
    /// Required: minor units, more than 0.
    #[schemars(range(min = 1, max = 1_000_000_000_000_000_i64))]
    pub amount: Input<i64>,
    /// ISO 4217; default: the unit's.
    #[schemars(regex(pattern = r"^[A-Za-z]{3}$"))]
    pub currency: Input<String>,
    /// Default: now; not in the future.
    pub received_at: Input<Timestamp>,
    #[schemars(length(max = 100))]
    pub reference: Input<String>,
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let (unit, r) = super::load(app, &call).await?;
    // Whoever made it, a manager or an admin.
    crm_records::write::require_edit(p, Some(r.reserved_by))?;
    if !r.is_active() || r.kind != Kind::Reservation {
        return Err(AppError::Refused {
            code: if r.is_active() { "NOT_A_RESERVATION" } else { "RESERVATION_ENDED" },
            message: "a deposit is taken on an active reservation for a buyer, not on a courtesy hold".into(),
        });
    }
    let asked: NewDeposit = call.json()?;
    let mut f = Fields::new();
    let amount = f.int("amount", asked.amount, 1..=MAX_PRICE);
    f.require("amount", amount.is_some());
    let currency = catalogue::currency_or(&mut f, asked.currency, unit.currency);
    let now = Timestamp::now();
    let received_at = f.time("received_at", asked.received_at).flatten().unwrap_or(now);
    if received_at.unix_seconds() > now.unix_seconds() + 60 {
        f.error("received_at", "must not be in the future");
    }
    let reference = f.text("reference", asked.reference, 100).flatten();
    let amount = f.finish(amount)?.unwrap_or_default();
    let deposit = Deposit { amount, currency, received_at, reference, recorded_by: p.user_id };
    let next = Reservation { deposit: Some(deposit.clone()), version: r.version + 1, ..r.clone() };
    let data =
        json!({ "reservation_id": r.id, "amount": amount, "currency": currency, "reference": deposit.reference, "code": unit.fields.code });
    let event = catalogue::event(&call, crm_events::types::UNIT_DEPOSIT_RECORDED, "unit", unit.id, data)?;
    let tx = Tx::new().put_if("reservation", next.to_item()?, Condition::version_is(r.version)).emit_audited(&event);
    app.store.transact(tx).await.map_err(|e| catalogue::refused(p, e))?;
    Ok(Reply::ok(&next).etag(next.version))
}
