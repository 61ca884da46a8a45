//! `POST /v1/auth/phone/verify/confirm {e164, code}` — the code sent to
//! `e164` proves the number: the user's `phone_e164` and `phone_verified_at`
//! are set. Every try spends one of 5 attempts first, atomically, and only
//! then is the code compared (`422 OTP_INVALID`, then
//! `OTP_ATTEMPTS_EXCEEDED`); a late one is `OTP_EXPIRED`. Every outcome is
//! audited (`phone.verify.succeeded` / `phone.verify.failed`).

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, Phone, Timestamp};
use crm_store::tx::Condition;
use crm_store::Tx;
use serde::Deserialize;
use serde_json::json;

use crate::model::User;
use crate::otp::Purpose;
use crate::App;

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Confirm {
    e164: String,
    code: String,
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let req: Confirm = call.json()?;
    let phone = Phone::parse(&req.e164).map_err(|e| AppError::invalid_fields(vec![e]))?;
    let current = super::pending(app, p.tenant_id, p.user_id).await?;
    let now = Timestamp::now();
    // The attempt is spent before the code is compared; only a success writes the record back.
    let outcome = crate::otp::attempt(&app.store, &current, Purpose::PhoneVerify, Some(&phone), &req.code, now).await?;
    let mut tx = Tx::new();
    if outcome.result.is_ok() {
        tx = tx.put_if("otp", outcome.record.to_item(Purpose::PhoneVerify)?, Condition::version_is(current.version));
    }
    let mut updated_user = None;
    let event = match &outcome.result {
        Ok(()) => {
            let user: User = app.store.get_as(&User::key(p.tenant_id, p.user_id)).await?.ok_or(AppError::NotFound)?;
            let mut next = user.clone();
            next.phone_e164 = Some(current.e164.clone());
            next.phone_verified_at = Some(now);
            next.version += 1;
            tx = tx.put_if("user", next.to_item()?, Condition::version_is(user.version));
            updated_user = Some(next);
            json!({ "outcome": "succeeded", "channel": current.channel, "e164": current.e164.masked(), "country": current.e164.country() })
        }
        Err(e) => json!({ "outcome": "failed", "reason": e.code(), "attempts": outcome.record.attempts }),
    };
    let kind = if outcome.result.is_ok() { crm_events::types::PHONE_VERIFY_SUCCEEDED } else { crm_events::types::PHONE_VERIFY_FAILED };
    let event = super::super::event(&call, p.tenant_id, kind, p.user_id, super::subject(p.user_id), event);
    match app.store.transact(tx.emit_audited(&event)).await {
        Ok(()) => {}
        Err(crm_store::StoreError::ConditionFailed { .. }) => {
            return Err(AppError::Conflict("the verification changed meanwhile; try again".into()));
        }
        Err(e) => return Err(e.into()),
    }
    outcome.result?;
    Ok(Reply::ok(crate::otp::Confirmed { verification: outcome.record.public(), user: updated_user.map(|u| u.public()) }))
}
