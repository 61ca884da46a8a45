//! `DELETE /v1/auth/phone/verify/cancel` — abandons the verification in
//! progress (status `revoked`); its code stops working.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_kernel::AppError;
use crm_store::tx::Condition;
use crm_store::Tx;
use serde_json::json;

use crate::otp::{OtpStatus, Purpose};
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let current = super::pending(app, p.tenant_id, p.user_id).await?;
    let mut revoked = current.clone();
    revoked.status = OtpStatus::Revoked;
    revoked.version += 1;
    let event = super::super::event(
        &call,
        p.tenant_id,
        crm_events::types::PHONE_VERIFY_CANCELLED,
        p.user_id,
        super::subject(p.user_id),
        json!({ "e164": current.e164.masked() }),
    );
    let tx = Tx::new().put_if("otp", revoked.to_item(Purpose::PhoneVerify)?, Condition::version_is(current.version)).emit_audited(&event);
    app.store.transact(tx).await?;
    Ok(Reply::ok(crate::otp::Verification { verification: revoked.public() }))
}
