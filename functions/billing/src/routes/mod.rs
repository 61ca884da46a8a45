//! One module per route and method.

pub mod internal;
pub mod invoices;
pub mod ops;
pub mod plan;
pub mod preview;
pub mod promo;
pub mod seat;
pub mod usage;
pub mod webhooks;

use crm_http::Call;
use crm_kernel::AppError;

use crate::subscription::Subscription;
use crate::App;

/// The caller's tenant's subscription.
pub(crate) async fn subscription(app: &App, call: &Call) -> Result<Subscription, AppError> {
    crate::subscription::load(&app.store, call.principal()?.tenant_id, app.terms).await
}

/// `Ok` when the request carries the SaaS operator's key: the `/v1/ops/*`
/// and `/v1/_billing/*` routes ([`crm_auth::operator`]).
pub(crate) fn require_operator(app: &App, call: &Call) -> Result<(), AppError> {
    crm_auth::operator::require(app.operator_key.as_deref(), call.header("x-operator-key"))
}
