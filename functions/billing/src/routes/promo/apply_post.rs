//! `POST /v1/billing/apply-promo {code}` — applies an active code in its
//! window (it replaces the one applied before); audited as `billing.promo.applied`.

use crm_billing::promo::{self, PromoCode};
use crm_events::audit::AuditExt;
use crm_events::{types, DomainEvent, Subject};
use crm_http::{Call, Reply};
use crm_kernel::{AppError, Timestamp};
use crm_store::Tx;
use serde_json::json;

use crate::view::PlanView;
use crate::App;

#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplyPromo {
    /// The code as the customer has it (case does not matter).
    pub code: String,
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let body: ApplyPromo = call.json()?;
    let code = promo::normalise(&body.code);
    if code.is_empty() || code.len() > 32 {
        return Err(AppError::invalid("code", "a promo code"));
    }
    let found: PromoCode =
        app.store.get_as(&crate::promos::key(&code)).await?.ok_or_else(|| promo::invalid(format!("no promo code {code}")))?;
    let s = super::super::subscription(app, &call).await?;
    let next = crate::promos::apply(&s, &found, Timestamp::now())?;
    let event = DomainEvent::caused_by(
        &call,
        types::BILLING_PROMO_APPLIED,
        Subject { kind: "subscription".into(), id: s.tenant_id.to_string() },
        json!({ "code": found.code, "replaced": s.promo.as_ref().map(|p| p.code.clone()), "discount_pct": found.discount_pct, "discount_amount_minor": found.discount_amount_minor }),
    )?;
    app.store.transact(next.save(Tx::new().emit_audited(&event))?).await.map_err(crate::subscription::conflict)?;
    Ok(Reply::ok(PlanView::of(Subscription { version: s.version + 1, ..next })))
}

use crate::subscription::Subscription;
