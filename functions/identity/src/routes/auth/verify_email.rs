//! `POST /v1/auth/verify-email {token}` — the link emailed at sign-up marks
//! the email verified (`user.verified`, audited). Single use.

use crm_events::audit::AuditExt;
use crm_events::Subject;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, Timestamp};
use crm_store::tx::Condition;
use crm_store::{StoreError, Tx};
use serde::Deserialize;
use serde_json::json;

use crate::model::User;
use crate::onetime::{invalid_token, redeem, Purpose};
use crate::App;

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyEmail {
    token: String,
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    crate::throttle::per_ip(app, &call, "verify-email").await?;
    let req: VerifyEmail = call.json()?;
    let now = Timestamp::now();
    let record = redeem(&app.store, Purpose::EmailVerification, &req.token, now).await?;
    let user: User = app.store.get_as(&User::key(record.tenant_id, record.user_id)).await?.ok_or_else(invalid_token)?;
    let mut updated = user.clone();
    updated.is_verified = true;
    updated.version += 1;
    let spent = record.spent(now);
    let event = super::super::event(
        &call,
        user.tenant_id,
        crm_events::types::USER_VERIFIED,
        user.id,
        Subject { kind: "user".into(), id: user.id.to_string() },
        json!({ "email": user.email }),
    );
    let tx = Tx::new()
        .put_if("user", updated.to_item()?, Condition::version_is(user.version))
        .put_if("token", spent.to_item(Purpose::EmailVerification)?, Condition::version_is(record.version))
        .emit_audited(&event);
    match app.store.transact(tx).await {
        Ok(()) => Ok(Reply::ok(updated.public())),
        Err(StoreError::ConditionFailed { label }) if label == "token" => Err(invalid_token()),
        Err(e) => Err(e.into()),
    }
}
