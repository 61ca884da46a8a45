//! `POST /v1/admin/users` — an admin creates a user directly (email, name,
//! initial password, roles). One transaction: the user, the system-wide email
//! marker, one seat of the plan's `users.max` (`422 LIMIT_REACHED` when none
//! is left, race-free), the email-verification link, and the audited
//! `user.created`. The roles are the caller's to grant (`crm_auth::grant`).

use crm_events::audit::AuditExt;
use crm_events::Subject;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, FieldError, Timestamp, UserId};
use crm_notify::messages::QueueExt;
use crm_store::{item, StoreError, Tx};
use serde::Deserialize;
use serde_json::json;

use crate::email::Email;
use crate::model::{email_marker_key, EmailOwner, Tenant, User};
use crate::password::{self, Password};
use crate::{seats, App};

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    email: String,
    full_name: String,
    password: String,
    roles: Vec<String>,
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let req: CreateUser = call.json()?;
    let mut errors = Vec::new();
    let full_name = req.full_name.trim().to_string();
    if full_name.is_empty() || full_name.chars().count() > 120 {
        errors.push(FieldError::new("full_name", "must be 1 to 120 characters"));
    }
    let access = crate::access::load(&app.store, p.tenant_id).await?;
    let roles = super::parse_roles(&req.roles, &access, &mut errors);
    let email = Email::parse(&req.email).map_err(|e| errors.push(e)).ok();
    let password = email.as_ref().and_then(|e| Password::parse(&req.password, e.as_str()).map_err(|e| errors.push(e)).ok());
    let (Some(email), Some(password)) = (email, password) else { return Err(AppError::invalid_fields(errors)) };
    if !errors.is_empty() {
        return Err(AppError::invalid_fields(errors));
    }
    crm_auth::grant::check_grant(&crm_auth::grant::Granter::new(p, &access), &roles)?;
    let tenant: Tenant = app.store.get_as(&Tenant::key(p.tenant_id)).await?.ok_or(AppError::NotFound)?;
    let entitlements = crate::seats::of_model(&access, &tenant.plan);

    let now = Timestamp::now();
    let password_hash = super::super::super::blocking(move || password::hash(&password)).await?;
    let user = User::new(UserId::new(), p.tenant_id, email.clone(), password_hash, full_name, roles, now);
    let event = super::super::super::event(
        &call,
        p.tenant_id,
        crm_events::types::USER_CREATED,
        p.user_id,
        Subject { kind: "user".into(), id: user.id.to_string() },
        json!({ "email": user.email, "roles": user.roles, "seat": "assign" }),
    );
    // The new user proves the address with the link mailed now (administration waits for it).
    let (verification, message) = crate::mail::verification(app, &tenant.name, &user, now).await?;
    let tx = Tx::new()
        .put_new("verification", verification.to_item(crate::onetime::Purpose::EmailVerification)?)
        .queue_message(&message)?
        .put_new("user", user.to_item()?)
        .put_new("email", item::to_item(&email_marker_key(&email), &EmailOwner { tenant_id: p.tenant_id, user_id: user.id })?)
        .emit_audited(&event);
    let tx = crate::role_holders::follow(tx, p.tenant_id, &[], &user.roles);
    match app.store.transact(seats::take(tx, p.tenant_id, &entitlements)).await {
        Ok(()) => Ok(Reply::created(format!("/v1/admin/users/{}", user.id), user.public())),
        Err(StoreError::ConditionFailed { label }) if label == seats::SEATS => {
            crate::notices::seat_limit_reached(app, &call, &tenant.name, &entitlements, email.as_str()).await;
            Err(entitlements.limit_reached("users.max"))
        }
        Err(StoreError::ConditionFailed { label }) if label == "email" => {
            Err(AppError::Conflict("this email is already registered".into()))
        }
        Err(e) => Err(crate::role_holders::refused(&e, false).unwrap_or_else(|| e.into())),
    }
}
