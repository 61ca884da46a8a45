//! `POST /v1/billing/seat/validate {add}` — a what-if: would `add` more
//! seats fit the plan, what would they cost each month as add-on seats, and
//! if they do not fit, the lowest plan they fit. Nothing changes.

use crm_http::{Call, Reply};
use crm_kernel::AppError;

use crate::App;

#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SeatQuestion {
    /// Seats to add (1 to 1 000).
    pub add: i64,
}

#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct SeatAnswer {
    pub plan: String,
    pub seats_used: i64,
    pub seats_after: i64,
    pub included_seats: i64,
    /// `users.max` of the plan.
    pub max_seats: i64,
    /// Whether the plan holds `seats_after`.
    pub allowed: bool,
    /// Add-on seats after, and their monthly cost (minor units).
    pub addon_seats: i64,
    pub addon_monthly_minor: i64,
    /// The lowest plan that holds `seats_after`, when this one does not.
    pub upgrade_to: Option<String>,
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let q: SeatQuestion = call.json()?;
    if !(1..=1_000).contains(&q.add) {
        return Err(AppError::invalid("add", "from 1 to 1000"));
    }
    let p = call.principal()?;
    let s = super::super::subscription(app, &call).await?;
    let used = crate::invoices::seats_held(&app.store, p.tenant_id).await?;
    let catalogue = crm_billing::catalogue();
    let plan = catalogue.plan(&s.plan).unwrap_or_else(|| catalogue.free());
    let after = used + q.add;
    let max = p.entitlements.limit("users.max");
    let allowed = after <= max;
    let mut plans: Vec<_> = catalogue.plans.iter().filter(|c| c.is_active && c.tier > plan.tier).collect();
    plans.sort_by_key(|c| c.tier);
    let upgrade_to =
        (!allowed).then(|| plans.into_iter().find(|c| c.limit("users.max").is_some_and(|m| m >= after)).map(|c| c.code.clone())).flatten();
    let addon = plan.addon_seats(after);
    Ok(Reply::ok(SeatAnswer {
        plan: plan.code.clone(),
        seats_used: used,
        seats_after: after,
        included_seats: plan.included_seats,
        max_seats: max,
        allowed,
        addon_seats: addon,
        addon_monthly_minor: addon * plan.seat_price_minor.unwrap_or(0),
        upgrade_to,
    }))
}
