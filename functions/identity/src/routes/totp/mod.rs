//! `/v1/auth/totp/setup|confirm|disable` — TOTP second factor (plan feature
//! `twofa.totp`), issuer `M3CRM`, with backup codes.

pub mod confirm;
pub mod disable;
pub mod setup;

use crm_auth::Principal;
use crm_kernel::AppError;

/// `402` unless the caller is entitled to `twofa.totp` (plan and overrides).
pub(crate) fn require_feature(p: &Principal) -> Result<(), AppError> {
    p.entitlements.require_feature("twofa.totp")
}

pub(crate) fn invalid_code() -> AppError {
    AppError::Auth { code: "AUTH_2FA_INVALID_CODE", message: "the code is not valid".into() }
}

pub(crate) fn now_unix() -> i64 {
    crm_kernel::Timestamp::now().unix_seconds()
}
