//! `POST /v1/billing/preview {plan?}` — a quote: the open period's invoice
//! as it stands (its usage so far, the applied promo code), or as it would
//! be on `plan` from now, prorated by the day. Nothing changes.

use crm_billing::invoice::Line;
use crm_billing::subscription::PlanSpan;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, Currency, Timestamp};

use crate::App;

#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct PreviewRequest {
    /// Quote as if the plan changed to this one now.
    pub plan: Option<String>,
}

#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Quote {
    pub period: String,
    pub plan: String,
    pub lines: Vec<Line>,
    pub total_amount: i64,
    pub currency: Currency,
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let body: PreviewRequest = if call.body_bytes()?.is_empty() { PreviewRequest::default() } else { call.json()? };
    let mut s = super::super::subscription(app, &call).await?;
    if let Some(plan) = &body.plan {
        let p = crm_billing::catalogue()
            .plan(plan)
            .filter(|p| p.is_active)
            .ok_or_else(|| AppError::invalid("plan", format!("one of {}", crm_billing::catalogue().codes().join(", "))))?;
        s.spans.push(PlanSpan { plan: p.code.clone(), from: Timestamp::now() });
        s.plan = p.code.clone();
    }
    let counters = crate::invoices::counters(&app.store, s.tenant_id, &s.period).await?;
    let promo = crate::invoices::promo_at(&app.store, &s, s.renews_at).await?;
    let lines = crate::invoices::draft_lines(&s, &counters, promo.as_ref())?;
    Ok(Reply::ok(Quote {
        period: s.period.clone(),
        plan: s.plan.clone(),
        total_amount: crm_billing::invoice::total(&lines),
        lines,
        currency: s.currency,
    }))
}
