//! `POST /v1/units/{id}/payment-schedule` `{plan_id, reservation_id?,
//! contract_date?}` — the installments a payment plan makes of the unit's
//! price, to the minor unit (the remainder on the last line). Lines due
//! after the reservation count from `reservation_id`'s date (an active or
//! converted reservation of the unit), after the contract from
//! `contract_date`, on handover from the project's `handover_date`; a
//! line whose anchor is unknown has no `due_date` yet. Nothing is written.

use crm_http::{Call, Reply};
use crm_inventory::payment_plan::{Anchors, Installment, PaymentPlan};
use crm_kernel::fields::{Fields, Input};
use crm_kernel::{AppError, Currency, EntityId};

use crate::{catalogue, reserving, App};

/// The body of `UnitPaymentSchedule`.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ScheduleAsk {
    /// Required: an active payment plan of the tenant.
    pub plan_id: Input<EntityId>,
    pub reservation_id: Input<EntityId>,
    /// `YYYY-MM-DD`.
    #[schemars(extend("format" = "date"))]
    pub contract_date: Input<String>,
}

/// A unit's payment schedule under a plan.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Schedule {
    pub unit_id: EntityId,
    pub plan_id: EntityId,
    /// Minor units: what the installments sum to.
    pub price: i64,
    pub currency: Currency,
    pub installments: Vec<Installment>,
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let t = call.principal()?.tenant_id;
    let unit = catalogue::unit_of(&app.store, &call).await?;
    let asked: ScheduleAsk = call.json()?;
    let mut f = Fields::new();
    let plan_id = f.entity_id("plan_id", asked.plan_id).flatten();
    f.require("plan_id", plan_id.is_some());
    let reservation_id = f.entity_id("reservation_id", asked.reservation_id).flatten();
    let contract_on = f.date("contract_date", asked.contract_date).flatten();
    let plan_id = f.finish(plan_id)?.ok_or_else(|| AppError::invalid("plan_id", "is required"))?;
    let plan: PaymentPlan = app
        .store
        .get_as::<PaymentPlan>(&PaymentPlan::key(t, plan_id))
        .await?
        .filter(|p| p.is_active)
        .ok_or_else(|| AppError::invalid("plan_id", "no such active payment plan in this tenant"))?;
    let reserved_on = match reservation_id {
        Some(r) => match reserving::load(&app.store, t, unit.id, r).await {
            Ok(r) => Some(r.reserved_at.as_datetime().date_naive()),
            Err(AppError::NotFound) => return Err(AppError::invalid("reservation_id", "no such reservation of this unit")),
            Err(e) => return Err(e),
        },
        None => None,
    };
    let project = catalogue::project(&app.store, t, unit.project_id).await?;
    let handover_on = project.handover_date.as_deref().and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
    let installments = plan.schedule(unit.price, unit.currency, Anchors { reserved_on, contract_on, handover_on });
    Ok(Reply::ok(Schedule { unit_id: unit.id, plan_id, price: unit.price, currency: unit.currency, installments }))
}
