//! `POST /v1/auth/reset-password {token, password}` — a valid, unused,
//! unexpired reset token sets a new password (policy applies), spends the
//! token, clears the lockout and revokes every open session. `204`.

use crm_events::audit::AuditExt;
use crm_events::Subject;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, Timestamp};
use crm_store::tx::Condition;
use crm_store::{StoreError, Tx};
use serde::Deserialize;
use serde_json::json;

use crate::model::{login_failures_key, User};
use crate::onetime::{invalid_token, redeem, Purpose};
use crate::password::{self, Password};
use crate::App;

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetPassword {
    token: String,
    password: String,
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    crate::throttle::per_ip(app, &call, "reset-password").await?;
    let req: ResetPassword = call.json()?;
    let now = Timestamp::now();
    let record = redeem(&app.store, Purpose::PasswordReset, &req.token, now).await?;
    let user: User = app.store.get_as(&User::key(record.tenant_id, record.user_id)).await?.ok_or_else(invalid_token)?;
    let new_password = Password::parse(&req.password, user.email.as_str()).map_err(|e| AppError::invalid_fields(vec![e]))?;
    let hash = super::super::blocking(move || password::hash(&new_password)).await?;

    let mut updated = user.clone();
    updated.password_hash = hash;
    // Every session opened before the reset is dead, however many there are.
    updated.sessions_valid_after = Some(now);
    updated.version += 1;
    let spent = record.spent(now);
    let event = super::super::event(
        &call,
        user.tenant_id,
        crm_events::types::AUTH_PASSWORD_RESET,
        user.id,
        Subject { kind: "user".into(), id: user.id.to_string() },
        json!({}),
    );
    let tx = Tx::new()
        .put_if("user", updated.to_item()?, Condition::version_is(user.version))
        .put_if("token", spent.to_item(Purpose::PasswordReset)?, Condition::version_is(record.version))
        .delete("failures", &login_failures_key(&user.email), None)
        .emit_audited(&event);
    let tx = super::super::revoke_sessions(app, user.tenant_id, user.id, "password_reset", now, tx).await?;
    match app.store.transact(tx).await {
        Ok(()) => Ok(Reply::no_content()),
        Err(StoreError::ConditionFailed { label }) if label == "token" => Err(invalid_token()),
        Err(e) => Err(e.into()),
    }
}
