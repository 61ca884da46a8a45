//! `/v1/auth/totp/setup|confirm|disable` — TOTP second factor (plan feature
//! `twofa.totp`), issuer `M3CRM`, with backup codes.

pub mod confirm;
pub mod disable;
pub mod setup;

use crm_auth::entitlements::Entitlements;
use crm_kernel::{AppError, TenantId};

use crate::model::Tenant;
use crate::App;

pub(crate) async fn require_feature(app: &App, tenant: TenantId) -> Result<(), AppError> {
    let t: Tenant = app.store.get_as(&Tenant::key(tenant)).await?.ok_or(AppError::NotFound)?;
    Entitlements::for_plan(&t.plan).require_feature("twofa.totp")
}

pub(crate) fn invalid_code() -> AppError {
    AppError::Auth { code: "AUTH_2FA_INVALID_CODE", message: "the code is not valid".into() }
}

pub(crate) fn now_unix() -> i64 {
    crm_kernel::Timestamp::now().unix_seconds()
}
