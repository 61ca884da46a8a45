//! `/v1/auth/phone/verify/start|confirm|resend|cancel` — proving a phone
//! number with a code by SMS or WhatsApp (M3CoreCRM §1.15). Every step is
//! audited (`phone.verify.started|sent|succeeded|failed|resend|cancelled`);
//! the code goes out through the notifications pipeline, never in an event.

pub mod cancel;
pub mod confirm;
pub mod resend;
pub mod start;

use crm_events::messages::Message;
use crm_kernel::{AppError, TenantId, UserId};

use crate::otp::{Otp, OtpStatus, Purpose, CODE_TTL_SECS};
use crate::App;

/// The message carrying a code (template family `otp.verify_phone` or `otp.login`).
pub(crate) fn code_message(otp: &Otp, code: &str, family: &str) -> Message {
    let minutes = CODE_TTL_SECS / 60;
    let what = if family == "otp.login" { "sign-in" } else { "verification" };
    Message::new(
        otp.channel.message_channel(),
        otp.tenant_id,
        otp.e164.as_str(),
        family,
        format!("Your {what} code"),
        format!("M3CRM: your {what} code is {code}. It expires in {minutes} minutes. Do not share it."),
    )
}

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
