//! `POST /v1/auth/register-super-admin` — a new tenant and its super admin in
//! one transaction: tenant, user, the system-wide email marker
//! (`attribute_not_exists`: an email is unique across all tenants), the first
//! session, the first seat of the plan, and the audited events
//! `tenant.created` and `user.created`.

use crm_events::audit::AuditExt;
use crm_events::Subject;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, FieldError, TenantId, Timestamp, UserId};
use crm_store::{item, StoreError, Tx};
use serde::Deserialize;
use serde_json::json;

use crate::email::Email;
use crate::model::{email_marker_key, EmailOwner, Tenant, TenantStatus, User};
use crate::onetime::Purpose;
use crate::password::{self, Password};
use crate::{issue, App};
use crm_notify::messages::QueueExt;

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    tenant_name: String,
    email: String,
    password: String,
    full_name: String,
}

fn name(field: &str, raw: &str, errors: &mut Vec<FieldError>) -> String {
    let v = raw.trim().to_string();
    let n = v.chars().count();
    if n == 0 || n > 120 {
        errors.push(FieldError::new(field, "must be 1 to 120 characters"));
    }
    v
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    crate::throttle::per_ip(app, &call, "register").await?;
    let req: RegisterRequest = call.json()?;
    let mut errors = Vec::new();
    let tenant_name = name("tenant_name", &req.tenant_name, &mut errors);
    let full_name = name("full_name", &req.full_name, &mut errors);
    let email = Email::parse(&req.email).map_err(|e| errors.push(e)).ok();
    let password = email.as_ref().and_then(|e| Password::parse(&req.password, e.as_str()).map_err(|e| errors.push(e)).ok());
    let (Some(email), Some(password)) = (email, password) else { return Err(AppError::invalid_fields(errors)) };
    if !errors.is_empty() {
        return Err(AppError::invalid_fields(errors));
    }

    let now = Timestamp::now();
    let tenant = Tenant {
        id: TenantId::new(),
        name: tenant_name,
        status: TenantStatus::Active,
        plan: "DevFree".into(),
        restricted_from: None,
        created_at: now,
        version: 1,
    };
    let password_hash = super::super::blocking(move || password::hash(&password)).await?;
    let mut user = User::new(UserId::new(), tenant.id, email.clone(), password_hash, full_name, vec!["super_admin".into()], now);
    user.last_login_at = Some(now);
    let (session, refresh) = issue::new_session(&user, &call, now);

    let tenant_created = super::super::event(
        &call,
        tenant.id,
        crm_events::types::TENANT_CREATED,
        user.id,
        Subject { kind: "tenant".into(), id: tenant.id.to_string() },
        json!({ "name": tenant.name, "plan": tenant.plan }),
    );
    let user_created = super::super::event(
        &call,
        tenant.id,
        crm_events::types::USER_CREATED,
        user.id,
        Subject { kind: "user".into(), id: user.id.to_string() },
        json!({ "email": user.email, "roles": user.roles, "seat": "assign" }),
    );
    let tx = Tx::new()
        .put_new("tenant", tenant.to_item()?)
        .put_new("user", user.to_item()?)
        .put_new("email", item::to_item(&email_marker_key(&email), &EmailOwner { tenant_id: tenant.id, user_id: user.id })?)
        .put_new("session", session.to_item()?)
        .emit_audited(&tenant_created)
        .emit_audited(&user_created);
    // The verification link goes out through the notifications pipeline.
    let (verification, message) = crate::mail::verification(app, &tenant.name, &user, now).await?;
    let tx = tx.put_new("verification", verification.to_item(Purpose::EmailVerification)?).queue_message(&message)?;
    let tx = crate::seats::take(tx, tenant.id, &crm_auth::entitlements::Entitlements::for_plan(&tenant.plan));
    match app.store.transact(tx).await {
        Ok(()) => {}
        Err(StoreError::ConditionFailed { label }) if label == "email" => {
            return Err(AppError::Conflict("this email is already registered".into()));
        }
        Err(e) => return Err(e.into()),
    }

    let (tokens, cookie) = issue::tokens(app, &user, &session, &refresh, now)?;
    let body = Registered { tokens, tenant: tenant.clone(), user: user.public() };
    Ok(issue::reply_with(201, body, cookie).header("location", format!("/v1/admin/users/{}", user.id)))
}

/// A new tenant, its first admin, and their tokens.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Registered {
    #[serde(flatten)]
    pub tokens: issue::Tokens,
    pub tenant: crate::model::Tenant,
    pub user: crate::model::UserView,
}
