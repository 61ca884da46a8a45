//! `/v1/ops/*` — the SaaS operator's billing routes, behind the operator
//! key (`X-Operator-Key`, compared in constant time); without a configured
//! key they do not exist (`404`).

pub mod billing_put;
pub mod plan_put;
pub mod promo_put;

use crm_http::Call;
use crm_kernel::{AppError, TenantId};

use crate::subscription::Subscription;
use crate::App;

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

/// The tenant of `{id}` and its subscription.
pub(crate) async fn tenant(app: &App, call: &Call) -> Result<Subscription, AppError> {
    require_operator(app, call)?;
    let t = TenantId::parse(&call.path("id")?).map_err(|_| AppError::NotFound)?;
    crate::subscription::load(&app.store, t, app.terms).await
}
