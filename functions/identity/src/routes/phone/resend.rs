//! `POST /v1/auth/phone/verify/resend` — a new code for the number being
//! verified, at most once a minute (`429` with `Retry-After` sooner); the
//! previous code stops working.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, Timestamp};
use crm_store::tx::Condition;
use crm_store::Tx;
use serde_json::json;

use crate::otp::Purpose;
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let current = super::pending(app, p.tenant_id, p.user_id).await?;
    let (next, code) = current.resend(Timestamp::now())?;
    let user: crate::model::User = app.store.get_as(&crate::model::User::key(p.tenant_id, p.user_id)).await?.ok_or(AppError::NotFound)?;
    let messages = crate::codes::code_messages(&app.store, &next, &code, "otp.verify_phone", &user).await?;
    let event = super::super::event(
        &call,
        p.tenant_id,
        crm_events::types::PHONE_VERIFY_RESEND,
        p.user_id,
        super::subject(p.user_id),
        json!({ "channel": next.channel, "e164": next.e164.masked(), "sends": next.sends, "message_id": messages[0].id }),
    );
    let tx = Tx::new().put_if("otp", next.to_item(Purpose::PhoneVerify)?, Condition::version_is(current.version));
    crate::codes::send_codes(app, tx.emit_audited(&event), &next, Purpose::PhoneVerify, &messages).await?;
    Ok(Reply::with_status(202, crate::otp::Verification { verification: next.public() }))
}
