//! `/v1/ops/*` — the SaaS operator's routes (not a tenant's): suspend and
//! reactivate a tenant, grant entitlements beyond its plan. No user token reaches them; the caller presents the
//! operator key (`X-Operator-Key`, compared in constant time with
//! `OPERATOR_KEY` from Secrets Manager). Without a configured key the routes
//! do not exist (`404`).

pub mod entitlements;
pub mod tenant_status;

use crm_http::Call;
use crm_kernel::AppError;

use crate::App;

/// `Ok` when the request carries the operator key.
pub(crate) fn require_operator(app: &App, call: &Call) -> Result<(), AppError> {
    crm_auth::operator::require(app.operator_key.as_deref(), call.header("x-operator-key"))
}
