//! `GET /v1/billing/plan` — the subscription: the plan (fee, included
//! seats and messages), status, open period, trial, applied promo code, the
//! plan's features and limits, and where the tenant stands with payments.

use crm_http::{Call, Reply};
use crm_kernel::AppError;

use crate::view::PlanView;
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    Ok(Reply::ok(PlanView::of(super::super::subscription(app, &call).await?)))
}
