//! `POST /v1/auth/forgot-password {email}` — always `202` with the same body:
//! whether the email has an account is not revealed. When it does (and is
//! active), a one-hour single-use reset link is emailed through the
//! notifications pipeline (message + `message.queued` in one transaction).

use crm_events::audit::AuditExt;
use crm_events::messages::QueueExt;
use crm_events::Subject;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, Timestamp};
use crm_store::Tx;
use serde::Deserialize;
use serde_json::json;

use crate::email::Email;
use crate::model::{email_marker_key, EmailOwner, User, UserStatus};
use crate::onetime::{OneTime, Purpose};
use crate::App;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ForgotPassword {
    email: String,
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    crate::throttle::per_ip(app, &call, "forgot-password").await?;
    let req: ForgotPassword = call.json()?;
    let email = Email::parse(&req.email).map_err(|e| AppError::invalid_fields(vec![e]))?;
    let accepted = Reply::with_status(202, json!({ "message": "If an account exists for this email, a reset link is on its way." }));
    let Some(owner) = app.store.get_as::<EmailOwner>(&email_marker_key(&email)).await? else { return Ok(accepted) };
    let Some(user) = app.store.get_as::<User>(&User::key(owner.tenant_id, owner.user_id)).await?.filter(|u| u.status == UserStatus::Active)
    else {
        return Ok(accepted);
    };
    let now = Timestamp::now();
    let (record, token) = OneTime::issue(Purpose::PasswordReset, user.tenant_id, user.id, now);
    let link = format!("{}/reset-password?token={}", app.app_base_url, token.to_wire());
    let message = crate::mail::email(
        &app.store,
        user.tenant_id,
        &user.email,
        "auth.reset_password",
        json!({ "full_name": user.full_name, "link": link }),
        user.profile.locale.as_deref(),
        Some(user.id),
    )
    .await?;
    let event = super::super::event(
        &call,
        user.tenant_id,
        "auth.password_reset_requested",
        user.id,
        Subject { kind: "user".into(), id: user.id.to_string() },
        json!({}),
    );
    let tx = Tx::new().put_new("token", record.to_item(Purpose::PasswordReset)?).queue_message(&message)?.emit_audited(&event);
    app.store.transact(tx).await?;
    Ok(accepted)
}
