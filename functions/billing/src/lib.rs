//! Billing (M3CoreCRM §13, App.C §6; ADR 0028): a tenant's subscription and
//! plan, the usage it meters, its monthly invoices, promo codes, and Stripe.
//! The rules are the domain crate [`crm_billing`]; this crate is the
//! application layer and its entry points.
//!
//! * API routes: [`ROUTES`] — `GET /v1/billing/plan|usage|invoices|invoices/{id}`,
//!   `POST /v1/billing/apply-promo`, `DELETE /v1/billing/promo`,
//!   `POST /v1/billing/seat/validate`, `POST /v1/billing/preview`; the
//!   operator's `/v1/ops/…` plan changes, billing settings and promo codes;
//!   `POST /v1/webhooks/stripe`.
//! * Worker `billing_meter`: [`metering`], usage events and counters from
//!   the domain events (exactly once per event id).
//! * Schedule `billing_close` (hourly) and worker `billing_invoicing`:
//!   [`closing`] fans one message per due tenant out to SQS; each closes that
//!   tenant's period ([`invoices::close_due`]). The daily `billing_recount`
//!   fans out the same way and recomputes each tenant's month from its
//!   usage events ([`recount`]), reporting any drift.

pub mod closing;
pub mod events;
pub mod invoices;
pub mod metering;
pub mod notices;
pub mod promos;
pub mod provider;
pub mod recount;
pub mod routes;
pub mod stripe;
pub mod stripe_events;
pub mod subscription;
pub mod view;

use crm_auth::rbac;
use crm_events::consumer::{process_batch, SqsEvent};
use crm_events::BatchResponse;
use crm_http::{route, Access, Route};
use crm_store::Store;
use lambda_http::{Body, Request, Response};

use crate::subscription::Terms;

pub struct App {
    pub store: Store,
    pub sqs: aws_sdk_sqs::Client,
    /// The invoicing queue the schedules fan out to (`BILLING_QUEUE_URL`).
    pub queue_url: Option<String>,
    pub terms: Terms,
    /// The Stripe endpoint's signing secrets (`STRIPE_WEBHOOK_SECRETS`,
    /// comma-separated: two while a secret is rolled).
    pub stripe_webhook_secrets: Vec<String>,
    /// The SaaS operator's key for `/v1/ops/*` (`OPERATOR_KEY`).
    pub operator_key: Option<String>,
    /// The Stripe adapter, when `STRIPE_API_KEY` is configured.
    pub stripe: Option<stripe::Stripe>,
}

impl App {
    pub fn new(config: &aws_config::SdkConfig, env: &crm_kernel::Env) -> Result<Self, String> {
        let days = |name: &str, default: i64| -> Result<i64, String> {
            match env.get(name) {
                None => Ok(default),
                Some(v) => {
                    v.parse::<i64>().ok().filter(|d| (0..=365).contains(d)).ok_or(format!("{name} must be a number of days (0 to 365)"))
                }
            }
        };
        let operator_key = crm_auth::operator::key_from_env(env)?;
        Ok(Self {
            store: Store::from_config(config, env).map_err(|e| e.to_string())?,
            sqs: aws_sdk_sqs::Client::new(config),
            queue_url: env.get("BILLING_QUEUE_URL").map(str::to_string),
            terms: Terms {
                trial_days: days("BILLING_TRIAL_DAYS", i64::from(crm_billing::catalogue().trial_days))?,
                grace_days: days("BILLING_GRACE_DAYS", crm_billing::dunning::DEFAULT_GRACE_DAYS)?,
            },
            stripe_webhook_secrets: match env.get("STRIPE_WEBHOOK_SECRETS").filter(|v| *v != "set-me") {
                None => Vec::new(),
                Some(v) => {
                    let secrets: Vec<String> = v.split(',').map(str::trim).map(str::to_string).collect();
                    if secrets.iter().any(|s| s.len() < 16 || !s.starts_with("whsec_")) {
                        return Err("STRIPE_WEBHOOK_SECRETS must be endpoint signing secrets (whsec_…), comma-separated".into());
                    }
                    secrets
                }
            },
            operator_key,
            stripe: stripe::Stripe::from_env(env)?,
        })
    }

    /// Serves one request; a refusal for a security rule is audited.
    pub async fn handle(&self, req: Request) -> Response<Body> {
        crm_events::audit::serve(ROUTES, self, &self.store, req).await
    }

    /// The `billing_meter` worker.
    pub async fn handle_meter_batch(&self, event: SqsEvent) -> BatchResponse {
        process_batch(metering::CONSUMER, event, |e| async move { metering::handle(&self.store, self.terms, e).await }).await
    }

    /// The `billing_invoicing` worker.
    pub async fn handle_invoicing_batch(&self, event: SqsEvent) -> BatchResponse {
        closing::handle_batch(self, event).await
    }

    /// The hourly `billing_close` schedule.
    pub async fn run_close(&self, input: serde_json::Value) -> Result<serde_json::Value, String> {
        closing::tick(self, closing::Work::Close, &input).await
    }

    /// The daily `billing_recount` schedule.
    pub async fn run_recount(&self, input: serde_json::Value) -> Result<serde_json::Value, String> {
        closing::tick(self, closing::Work::Recount, &input).await
    }
}

pub const ROUTES: &[Route<App>] = &[
    route!(
        "GET /v1/billing/plan",
        "BillingPlanGet",
        Access::Permission(rbac::BILLING_VIEW),
        routes::plan::get::handle,
        "The subscription: plan, status, period, features and limits, standing", reply: view::PlanView),
    route!(
        "GET /v1/billing/usage",
        "BillingUsageGet",
        Access::Permission(rbac::BILLING_VIEW),
        routes::usage::get::handle,
        "Usage counters by period (from, to: YYYY-MM; metric)", query: routes::usage::get::UsageQuery, reply: routes::usage::get::UsageView),
    route!(
        "GET /v1/billing/invoices",
        "BillingInvoicesList",
        Access::Permission(rbac::BILLING_VIEW_INVOICES),
        routes::invoices::get::handle,
        "List invoices, newest period first", query: routes::invoices::get::InvoicesQuery, reply: Vec<invoices::Invoice>),
    route!(
        "GET /v1/billing/invoices/{id}",
        "BillingInvoicesGet",
        Access::Permission(rbac::BILLING_VIEW_INVOICES),
        routes::invoices::id_get::handle,
        "Get an invoice with its lines", reply: invoices::Invoice),
    route!(
        "POST /v1/billing/apply-promo",
        "BillingPromoApply",
        Access::Permission(rbac::BILLING_MANAGE_PROMOS),
        routes::promo::apply_post::handle,
        "Apply a promo code", body: routes::promo::apply_post::ApplyPromo, reply: view::PlanView, errors: [409 "CONFLICT", 422 "PROMO_INVALID", 422 "PROMO_ALREADY_APPLIED"]),
    route!(
        "DELETE /v1/billing/promo",
        "BillingPromoRemove",
        Access::Permission(rbac::BILLING_MANAGE_PROMOS),
        routes::promo::delete::handle,
        "Remove the applied promo code", reply: view::PlanView, errors: [409 "CONFLICT", 422 "PROMO_INVALID"]),
    route!(
        "POST /v1/billing/seat/validate",
        "BillingSeatValidate",
        Access::Permission(rbac::BILLING_PREVIEW),
        routes::seat::validate_post::handle,
        "What adding seats would cost, or which plan it needs", body: routes::seat::validate_post::SeatQuestion, reply: routes::seat::validate_post::SeatAnswer),
    route!(
        "POST /v1/billing/preview",
        "BillingPreview",
        Access::Permission(rbac::BILLING_PREVIEW),
        routes::preview::post::handle,
        "Quote: the open period's invoice so far, or on another plan", body: routes::preview::post::PreviewRequest, reply: routes::preview::post::Quote),
    route!(
        "PUT /v1/ops/tenants/{id}/plan",
        "OpsTenantPlanPut",
        Access::Public,
        routes::ops::plan_put::handle,
        "Change a tenant's plan (operator key): prorated, entitlements synced", body: routes::ops::plan_put::PlanChange, reply: view::PlanView, errors: [401 "UNAUTHENTICATED", 409 "ALREADY_BILLED", 409 "CONFLICT", 409 "PAST_DUE", 422 "INVALID_TRANSITION"]),
    route!(
        "PUT /v1/ops/tenants/{id}/billing",
        "OpsTenantBillingPut",
        Access::Public,
        routes::ops::billing_put::handle,
        "Set a tenant's billing settings (operator key): time zone, currency, grace, provider", body: routes::ops::billing_put::BillingSettings, reply: view::PlanView, errors: [401 "UNAUTHENTICATED", 409 "CONFLICT"]),
    route!(
        "PUT /v1/ops/promo-codes/{code}",
        "OpsPromoCodePut",
        Access::Public,
        routes::ops::promo_put::handle,
        "Define a promo code (operator key)", body: crm_billing::promo::PromoRequest, reply: crm_billing::promo::PromoCode, errors: [401 "UNAUTHENTICATED"]),
    route!(
        "POST /v1/ops/tenants/{id}/invoices/{invoiceId}/finalize",
        "OpsInvoiceFinalize",
        Access::Public,
        routes::ops::invoice_action_post::finalize,
        "Finalise a dev-provider invoice: draft → open (operator key)", reply: invoices::Invoice, errors: [401 "UNAUTHENTICATED", 409 "CONFLICT", 409 "PROVIDER_MANAGED", 422 "INVALID_TRANSITION"]),
    route!(
        "POST /v1/ops/tenants/{id}/invoices/{invoiceId}/pay",
        "OpsInvoicePay",
        Access::Public,
        routes::ops::invoice_action_post::pay,
        "Mark a dev-provider invoice paid: open → paid (operator key)", reply: invoices::Invoice, errors: [401 "UNAUTHENTICATED", 409 "CONFLICT", 409 "PROVIDER_MANAGED", 422 "INVALID_TRANSITION"]),
    route!(
        "POST /v1/ops/tenants/{id}/invoices/{invoiceId}/void",
        "OpsInvoiceVoid",
        Access::Public,
        routes::ops::invoice_action_post::void,
        "Void a dev-provider invoice (operator key)", reply: invoices::Invoice, errors: [401 "UNAUTHENTICATED", 409 "CONFLICT", 409 "PROVIDER_MANAGED", 422 "INVALID_TRANSITION"]),
    route!(
        "POST /v1/_billing/usage-event",
        "BillingInternalUsageEvent",
        Access::Public,
        routes::internal::usage_event_post::handle,
        "Record a usage event (operator key; once per correlation_id)", body: routes::internal::usage_event_post::UsageEventRequest, reply: routes::internal::usage_event_post::Recorded, errors: [401 "UNAUTHENTICATED"]),
    route!(
        "POST /v1/_billing/recalculate",
        "BillingInternalRecalculate",
        Access::Public,
        routes::internal::recalculate_post::handle,
        "Recount a tenant's month from its usage events (operator key)", body: routes::internal::ForTenant, reply: routes::internal::recalculate_post::Recounted, errors: [401 "UNAUTHENTICATED"]),
    route!(
        "POST /v1/_billing/rollover",
        "BillingInternalRollover",
        Access::Public,
        routes::internal::rollover_post::handle,
        "Close a tenant's ended periods now (operator key)", body: routes::internal::ForTenant, reply: Vec<invoices::Invoice>, errors: [401 "UNAUTHENTICATED", 503 "SERVICE_UNAVAILABLE"]),
    route!(
        "POST /v1/webhooks/stripe",
        "StripeWebhook",
        Access::Public,
        routes::webhooks::stripe_post::handle,
        "Stripe webhook (Stripe-Signature)", reply: stripe_events::Received, errors: [400 "VALIDATION_ERROR", 409 "CONFLICT", 503 "SERVICE_UNAVAILABLE"]),
];

crm_runtime::function! {
    binary: "billing",
    app: App,
    build: App::new,
    handlers: {
        http "api" => App::handle,
        sqs "billing_meter" => App::handle_meter_batch,
        sqs "billing_invoicing" => App::handle_invoicing_batch,
        json "billing_close" => App::run_close,
        json "billing_recount" => App::run_recount
    },
}
