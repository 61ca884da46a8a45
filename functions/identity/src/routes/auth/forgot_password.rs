//! `POST /v1/auth/forgot-password {email}` — always `202` with the same body:
//! whether the email has an account is not revealed. When it does (and is
//! active), a one-hour single-use reset link is emailed through the
//! notifications pipeline (message + `message.queued` in one transaction).
//! Known or not, the request makes the same reads and the answer takes at
//! least [`ANSWER_FLOOR`]; at most [`PER_ACCOUNT_PER_HOUR`] links go to one
//! email per hour (the rest are answered alike and dropped).

use crm_events::audit::AuditExt;
use crm_events::Subject;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, Timestamp};
use crm_notify::messages::QueueExt;
use crm_store::{keys, Tx};
use serde::Deserialize;
use serde_json::json;

use crate::email::Email;
use crate::model::{email_marker_key, EmailOwner, User, UserStatus};
use crate::onetime::{OneTime, Purpose};
use crate::App;

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ForgotPassword {
    email: String,
}

/// Every answer of a well-formed request takes at least this long, so the
/// time does not tell whether the email has an account.
pub const ANSWER_FLOOR: std::time::Duration = std::time::Duration::from_millis(400);
/// Reset links per email per hour; past it the answer is the same, and nothing is sent.
pub const PER_ACCOUNT_PER_HOUR: i64 = 3;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    crate::throttle::per_ip(app, &call, "forgot-password").await?;
    let req: ForgotPassword = call.json()?;
    let email = Email::parse(&req.email).map_err(|e| AppError::invalid_fields(vec![e]))?;
    let started = tokio::time::Instant::now();
    let outcome = request_reset(app, &call, &email).await;
    tokio::time::sleep_until(started + ANSWER_FLOOR).await;
    outcome?;
    Ok(Reply::with_status(202, Sent { message: "If an account exists for this email, a reset link is on its way." }))
}

/// Sends the link when the email has an active account and is under its
/// hourly allowance; the same reads happen either way.
async fn request_reset(app: &App, call: &Call, email: &Email) -> Result<(), AppError> {
    let now = Timestamp::now();
    let hour = now.unix_seconds() - now.unix_seconds().rem_euclid(3600);
    let sent = app.store.increment(&keys::global_window("FORGOT", email.as_str(), hour), "count", 1, hour + 7200).await?;
    let owner = app.store.get_as::<EmailOwner>(&email_marker_key(email)).await?;
    // An unknown email reads a user item too (one that cannot exist), like a known one.
    let user_key = match &owner {
        Some(o) => User::key(o.tenant_id, o.user_id),
        None => keys::user(crm_kernel::TenantId::new(), &crm_kernel::UserId::new().to_string()),
    };
    let user = app.store.get_as::<User>(&user_key).await?.filter(|u| u.status == UserStatus::Active && u.deleted_at.is_none());
    let Some(user) = user.filter(|_| sent <= PER_ACCOUNT_PER_HOUR) else { return Ok(()) };
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
        call,
        user.tenant_id,
        crm_events::types::AUTH_PASSWORD_RESET_REQUESTED,
        user.id,
        Subject { kind: "user".into(), id: user.id.to_string() },
        json!({}),
    );
    let tx = Tx::new().put_new("token", record.to_item(Purpose::PasswordReset)?).queue_message(&message)?.emit_audited(&event);
    app.store.transact(tx).await?;
    Ok(())
}

/// The same answer whether or not the account exists.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Sent {
    pub message: &'static str,
}
