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

/// `Ok` when the request carries the SaaS operator's key (`X-Operator-Key`,
/// compared in constant time): the `/v1/ops/*` and `/v1/_billing/*` routes.
/// Without a configured key those routes do not exist (`404`).
pub(crate) fn require_operator(app: &App, call: &Call) -> Result<(), AppError> {
    let Some(expected) = app.operator_key.as_deref() else { return Err(AppError::RouteNotFound) };
    let given = call.header("x-operator-key").unwrap_or_default();
    let digest = |s: &str| crm_auth::opaque::sha256_hex(s.as_bytes());
    if crm_auth::opaque::same_hash(&digest(given), &digest(expected)) {
        Ok(())
    } else {
        Err(AppError::Unauthenticated)
    }
}
