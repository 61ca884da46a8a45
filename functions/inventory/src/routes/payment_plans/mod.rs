//! Payment-plan templates: `GET|POST /v1/payment-plans`,
//! `GET|PATCH|DELETE /v1/payment-plans/{id}`.

pub mod delete;
pub mod get;
pub mod id_get;
pub mod patch;
pub mod post;

use crm_http::Call;
use crm_inventory::payment_plan::PaymentPlan;
use crm_kernel::AppError;

use crate::{catalogue, App};

/// The plan `{id}` of the caller's tenant.
pub(crate) async fn load(app: &App, call: &Call) -> Result<PaymentPlan, AppError> {
    let t = call.principal()?.tenant_id;
    app.store.get_as(&PaymentPlan::key(t, catalogue::path_id(call, "id")?)).await?.ok_or(AppError::NotFound)
}
