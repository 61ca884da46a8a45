//! One module per route and method.

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
