//! `/v1/ops/*` — the SaaS operator's billing routes, behind the operator
//! key ([`super::require_operator`]).

pub mod billing_put;
pub mod invoice_action_post;
pub mod plan_put;
pub mod promo_put;

use crm_http::Call;
use crm_kernel::{AppError, TenantId};

use crate::subscription::Subscription;
use crate::App;

/// The tenant of `{id}` and its subscription.
pub(crate) async fn tenant(app: &App, call: &Call) -> Result<Subscription, AppError> {
    super::require_operator(app, call)?;
    let t = TenantId::parse(&call.path("id")?).map_err(|_| AppError::NotFound)?;
    crate::subscription::load(&app.store, t, app.terms).await
}
