//! `PUT /v1/ops/tenants/{id}/plan {plan}` — the operator moves a tenant to
//! another plan, from now. The open period's fee is prorated by the day
//! between the plans (ADR 0028); the tenant's record takes the plan in the
//! same transaction, so the next request is served the new plan's
//! entitlements, the base its overrides narrow. A first move to a paid plan
//! starts the trial. Emits `tenant.plan.changed` and
//! `billing.subscription.changed`, audited.

use crm_billing::subscription::{PlanSpan, SubscriptionStatus};
use crm_events::audit::AuditExt;
use crm_events::outbox::EmitExt;
use crm_events::Actor;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, Timestamp};
use crm_store::Tx;

use crate::subscription::Subscription;
use crate::view::PlanView;
use crate::App;

#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanChange {
    /// `DevFree`, `DevPro` or `Business`.
    pub plan: String,
    /// A tenant's first billing only (no invoice yet): billed from this
    /// time (at most 92 days ago), without a trial — a tenant moved onto
    /// billing. Its past periods close at the next close.
    #[serde(default)]
    pub effective_from: Option<Timestamp>,
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let s = super::tenant(app, &call).await?;
    let body: PlanChange = call.json()?;
    let catalogue = crm_billing::catalogue();
    let plan = catalogue
        .plan(&body.plan)
        .filter(|p| p.is_active)
        .ok_or_else(|| AppError::invalid("plan", format!("one of {}", catalogue.codes().join(", "))))?;
    if s.status == SubscriptionStatus::Canceled {
        return Err(s.status.become_(SubscriptionStatus::Active).unwrap_err());
    }
    let now = Timestamp::now();
    if let Some(from) = body.effective_from {
        let invoiced = crate::invoices::list(&app.store, s.tenant_id, crm_kernel::Limit::parse(Some("1"))?, None).await?;
        if !invoiced.items.is_empty() {
            return Err(AppError::Refused {
                code: "ALREADY_BILLED",
                message: "effective_from is for a tenant's first billing; it has invoices already".into(),
            });
        }
        if from > now || from < now.plus_seconds(-92 * 86_400) {
            return Err(AppError::invalid("effective_from", "within the last 92 days"));
        }
        if s.status == SubscriptionStatus::PastDue {
            return Err(AppError::Refused { code: "PAST_DUE", message: "a past-due tenant's billing start cannot move".into() });
        }
        // Saved over the one read (its version, provider, promo and zone
        // kept): the plan held from `from`, its period in the tenant's zone.
        let period = crm_billing::Period::containing(from, s.zone());
        let started = Subscription {
            plan: plan.code.clone(),
            status: SubscriptionStatus::Active,
            started_at: from,
            trial_until: None,
            period: period.key(),
            spans: vec![PlanSpan { plan: plan.code.clone(), from }],
            renews_at: period.ends_at(s.zone()),
            updated_at: now,
            ..s.clone()
        };
        let changed = crate::events::plan_changed(&started, &s.plan, Actor::system());
        let tx = Tx::new().emit_audited(&changed).emit(&crate::events::subscription_changed(&started, Some(&s), "started"));
        app.store.transact(started.save(tx)?).await.map_err(crate::subscription::conflict)?;
        return Ok(Reply::ok(PlanView::of(Subscription { version: s.version + 1, ..started })));
    }
    if plan.code == s.plan {
        return Ok(Reply::ok(PlanView::of(s)));
    }
    let mut next = s.clone();
    next.plan = plan.code.clone();
    next.spans.push(PlanSpan { plan: plan.code.clone(), from: now });
    next.updated_at = now;
    let first_paid = plan.fee_minor > 0 && s.trial_until.is_none() && catalogue.plan(&s.plan).is_some_and(|p| p.fee_minor == 0);
    if first_paid && app.terms.trial_days > 0 && s.status == SubscriptionStatus::Active {
        // The spec's machine has no way back into `trial`: a trial is a
        // window on an active subscription here, its days free.
        next.trial_until = Some(now.plus_seconds(app.terms.trial_days * 86_400));
    }
    let operator = Actor::system();
    let changed = crate::events::plan_changed(&next, &s.plan, operator);
    let tx = Tx::new().emit_audited(&changed).emit(&crate::events::subscription_changed(&next, Some(&s), "plan_changed"));
    app.store.transact(next.save(tx)?).await.map_err(crate::subscription::conflict)?;
    Ok(Reply::ok(PlanView::of(Subscription { version: s.version + 1, ..next })))
}
