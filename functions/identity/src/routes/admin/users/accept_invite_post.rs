//! `POST /v1/admin/users/accept-invite {token, full_name, password}` — public:
//! the invitee sets a name and password; the user is created active and
//! verified (the email link proves the address) and logged in. Single use.

use crm_events::audit::AuditExt;
use crm_events::Subject;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, FieldError, Timestamp};
use crm_store::tx::Condition;
use crm_store::{StoreError, Tx};
use serde::Deserialize;
use serde_json::json;

use crate::email::Email;
use crate::model::{Tenant, User};
use crate::onetime::{invalid_token, redeem, Purpose};
use crate::password::{self, Password};
use crate::{issue, App};

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Accept {
    token: String,
    full_name: String,
    password: String,
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    crate::throttle::per_ip(app, &call, "accept-invite").await?;
    let req: Accept = call.json()?;
    let now = Timestamp::now();
    let invitation = redeem(&app.store, Purpose::Invitation, &req.token, now).await?;
    let email = invitation.payload["email"].as_str().and_then(|e| Email::parse(e).ok()).ok_or_else(invalid_token)?;
    let roles: Vec<String> = serde_json::from_value(invitation.payload["roles"].clone()).map_err(|_| invalid_token())?;
    let mut errors = Vec::new();
    let full_name = req.full_name.trim().to_string();
    if full_name.is_empty() || full_name.chars().count() > 120 {
        errors.push(FieldError::new("full_name", "must be 1 to 120 characters"));
    }
    let password = Password::parse(&req.password, email.as_str()).map_err(|e| errors.push(e)).ok();
    let Some(password) = password.filter(|_| errors.is_empty()) else { return Err(AppError::invalid_fields(errors)) };
    let password_hash = super::super::super::blocking(move || password::hash(&password)).await?;

    let mut user = User::new(invitation.user_id, invitation.tenant_id, email, password_hash, full_name, roles, now);
    user.is_verified = true;
    user.last_login_at = Some(now);
    let (session, refresh) = issue::new_session(&user, &call, now);
    let spent = invitation.spent(now);
    let event = super::super::super::event(
        &call,
        user.tenant_id,
        crm_events::types::USER_CREATED,
        user.id,
        Subject { kind: "user".into(), id: user.id.to_string() },
        json!({ "email": user.email, "roles": user.roles, "via": "invitation" }),
    );
    let tx = Tx::new()
        .put_if("token", spent.to_item(Purpose::Invitation)?, Condition::version_is(invitation.version))
        .put_new("user", user.to_item()?)
        .put_new("session", session.to_item()?)
        .emit_audited(&event);
    let tenant: Option<Tenant> = app.store.get_as(&Tenant::key(user.tenant_id)).await?;
    let inviter = invitation.payload["invited_by"].as_str().and_then(|u| crm_kernel::UserId::parse(u).ok());
    let tx = match (inviter, tenant) {
        (Some(inviter), Some(tenant)) => crate::notices::invitation_accepted(app, tx, inviter, &user, &tenant.name).await?,
        _ => tx,
    };
    match app.store.transact(tx).await {
        Ok(()) => {}
        Err(StoreError::ConditionFailed { label }) if label == "token" || label == "user" => return Err(invalid_token()),
        Err(e) => return Err(e.into()),
    }
    let (body, cookie) = issue::tokens(app, &user, &session, &refresh, now)?;
    Ok(issue::reply_with(201, issue::SignedIn { user: user.public(), tokens: body }, cookie)
        .header("location", format!("/v1/admin/users/{}", user.id)))
}
