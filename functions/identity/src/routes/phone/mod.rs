//! `/v1/auth/phone/verify/start|confirm|resend|cancel` — proving a phone
//! number with a code by SMS or WhatsApp (the code's rules: `crate::otp`). Every step is
//! audited (`phone.verify.started|sent|succeeded|failed|resend|cancelled`);
//! the code goes out through the notifications pipeline, never in an event.

pub mod cancel;
pub mod confirm;
pub mod resend;
pub mod start;

use crm_kernel::{AppError, TenantId, UserId};

use crate::otp::{Otp, OtpStatus, Purpose};
use crate::App;

/// The user's phone verification in progress.
pub(crate) async fn pending(app: &App, tenant: TenantId, user: UserId) -> Result<Otp, AppError> {
    app.store
        .get_as::<Otp>(&Otp::key(tenant, user, Purpose::PhoneVerify))
        .await?
        .filter(|o| o.status == OtpStatus::Pending)
        .ok_or_else(|| AppError::Rule { code: "OTP_NOT_PENDING", message: "there is no code waiting to be confirmed; start again".into() })
}

pub(crate) fn subject(user: UserId) -> crm_events::Subject {
    crm_events::Subject { kind: "user".into(), id: user.to_string() }
}
