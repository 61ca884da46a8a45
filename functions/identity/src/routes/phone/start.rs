//! `POST /v1/auth/phone/verify/start {e164, channel}` — sends a 6-digit code
//! to the number (strict E.164; `channel` `sms` (default) or `whatsapp`, each
//! gated by the caller's entitlement `twofa.sms`/`twofa.whatsapp`). At most 3 starts
//! per user per hour; a new start replaces the code in progress.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, Phone, Timestamp};
use crm_store::{keys, Tx};
use serde::Deserialize;
use serde_json::json;

use crate::otp::{Otp, OtpChannel, Purpose, STARTS_PER_HOUR};
use crate::App;

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Start {
    e164: String,
    #[serde(default)]
    channel: Option<String>,
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let req: Start = call.json()?;
    let phone = Phone::parse(&req.e164).map_err(|e| AppError::invalid_fields(vec![e]))?;
    let channel = OtpChannel::parse(req.channel.as_deref().unwrap_or("sms"))?;
    p.entitlements.require_feature(channel.feature())?;

    let now = Timestamp::now();
    let hour = now.unix_seconds() - now.unix_seconds().rem_euclid(3600);
    let starts =
        app.store.increment(&keys::tenant_window(p.tenant_id, "PHONESTART", &p.user_id.to_string(), hour), "count", 1, hour + 7200).await?;
    if starts > STARTS_PER_HOUR {
        return Err(AppError::RateLimited { retry_after_secs: (hour + 3600 - now.unix_seconds()).max(1) as u64 });
    }

    let (otp, code) = Otp::issue(p.tenant_id, p.user_id, phone.clone(), channel, now);
    let user: crate::model::User = app.store.get_as(&crate::model::User::key(p.tenant_id, p.user_id)).await?.ok_or(AppError::NotFound)?;
    let messages = crate::codes::code_messages(&app.store, &otp, &code, "otp.verify_phone", &user).await?;
    let data = json!({ "channel": channel, "e164": phone.masked(), "country": phone.country() });
    let started = super::super::event(
        &call,
        p.tenant_id,
        crm_events::types::PHONE_VERIFY_STARTED,
        p.user_id,
        super::subject(p.user_id),
        data.clone(),
    );
    let mut sent_data = data;
    sent_data["message_id"] = json!(messages[0].id);
    let sent =
        super::super::event(&call, p.tenant_id, crm_events::types::PHONE_VERIFY_SENT, p.user_id, super::subject(p.user_id), sent_data);
    let tx = Tx::new().put("otp", otp.to_item(Purpose::PhoneVerify)?).emit_audited(&started).emit_audited(&sent);
    crate::codes::send_codes(app, tx, &otp, Purpose::PhoneVerify, &messages).await?;
    Ok(Reply::with_status(202, crate::otp::Verification { verification: otp.public() }))
}
