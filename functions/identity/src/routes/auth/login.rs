//! `POST /v1/auth/login` — email and password.
//!
//! * Unknown email and wrong password give the same `401
//!   AUTH_INVALID_CREDENTIALS` after the same Argon2 work (a dummy hash).
//! * 5 failures for an email lock it for 10 minutes (`429` with
//!   `Retry-After`), known or not (`lockout`).
//! * With TOTP enabled, a `totp_code` (or a one-time `backup_code`) is
//!   required: missing → `401 AUTH_2FA_REQUIRED`, wrong → `401
//!   AUTH_2FA_INVALID_CODE` (counted towards the lockout).
//! * Every attempt on a real account is audited (`auth.login`,
//!   `auth.login_failed`); a suspended user or tenant cannot log in.

use crm_events::audit::AuditExt;
use crm_events::Subject;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, Timestamp};
use crm_store::item::{self, ItemExt};
use crm_store::tx::Condition;
use crm_store::Tx;
use serde::Deserialize;
use serde_json::json;

use crate::email::Email;
use crate::lockout::Failures;
use crate::model::{backup_hash, email_marker_key, login_failures_key, EmailOwner, Tenant, TenantStatus, Totp, User, UserStatus};
use crate::{issue, password, totp, App};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginRequest {
    email: String,
    password: String,
    /// Required when the account has TOTP enabled (or `backup_code`).
    #[serde(default)]
    totp_code: Option<String>,
    #[serde(default)]
    backup_code: Option<String>,
}

pub fn invalid_credentials() -> AppError {
    AppError::Auth { code: "AUTH_INVALID_CREDENTIALS", message: "invalid email or password".into() }
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let req: LoginRequest = call.json()?;
    let email = Email::parse(&req.email).map_err(|e| AppError::invalid_fields(vec![e]))?;
    let now = Timestamp::now();

    let failures: Failures = app.store.get_as(&login_failures_key(&email)).await?.unwrap_or_default();
    if let Some(secs) = failures.locked_for(now) {
        return Err(AppError::RateLimited { retry_after_secs: secs as u64 });
    }

    let owner: Option<EmailOwner> = app.store.get_as(&email_marker_key(&email)).await?;
    let user: Option<User> = match &owner {
        Some(o) => app.store.get_as(&User::key(o.tenant_id, o.user_id)).await?,
        None => None,
    };
    let candidate = req.password;
    let stored = user.as_ref().map(|u| u.password_hash.clone());
    let ok = super::super::blocking(move || match stored {
        Some(hash) => password::verify(&candidate, &hash),
        None => {
            password::verify_dummy(&candidate);
            false
        }
    })
    .await?;

    let Some(user) = user.filter(|_| ok) else {
        record_failure(app, &call, &email, &failures, owner.as_ref(), now).await;
        return Err(invalid_credentials());
    };
    if user.status != UserStatus::Active {
        return Err(AppError::Forbidden("this account is not active".into()));
    }
    let tenant: Option<Tenant> = app.store.get_as(&Tenant::key(user.tenant_id)).await?;
    if tenant.map(|t| t.status) != Some(TenantStatus::Active) {
        return Err(AppError::Forbidden("this organisation is suspended".into()));
    }

    let second_factor = match app.store.get_as::<Totp>(&Totp::key(user.tenant_id, user.id)).await?.filter(|t| t.enabled) {
        None => None,
        Some(t) => {
            let mut used = t.clone();
            let ok = match (req.totp_code.as_deref(), req.backup_code.as_deref()) {
                (None, None) => {
                    return Err(AppError::Auth { code: "AUTH_2FA_REQUIRED", message: "a two-factor code is required".into() });
                }
                (Some(code), _) => {
                    totp::verify(&t.secret, code, now.unix_seconds(), t.last_step).map(|step| used.last_step = Some(step)).is_some()
                }
                (None, Some(backup)) => {
                    let h = backup_hash(backup);
                    let before = used.backup_hashes.len();
                    used.backup_hashes.retain(|x| x != &h);
                    used.backup_hashes.len() < before
                }
            };
            if !ok {
                record_failure(app, &call, &email, &failures, owner.as_ref(), now).await;
                return Err(AppError::Auth { code: "AUTH_2FA_INVALID_CODE", message: "the two-factor code is not valid".into() });
            }
            used.version += 1;
            Some((t.version, used))
        }
    };

    let (session, refresh) = issue::new_session(&user, &call, now);
    let mut updated = user.clone();
    updated.last_login_at = Some(now);
    updated.version += 1;
    let event = super::super::event(
        &call,
        user.tenant_id,
        "auth.login",
        user.id,
        Subject { kind: "user".into(), id: user.id.to_string() },
        json!({ "session_id": session.id, "method": "password" }),
    );
    let mut tx = Tx::new()
        .put_new("session", session.to_item()?)
        .put_if("user", updated.to_item()?, Condition::version_is(user.version))
        .emit_audited(&event);
    if failures.version > 0 {
        tx = tx.delete("failures", &login_failures_key(&email), None);
    }
    if let Some((version, used)) = second_factor {
        // The code (or backup code) is spent: a replay in the same step fails here.
        tx = tx.put_if("totp", used.to_item()?, Condition::version_is(version));
    }
    app.store.transact(tx).await?;
    let (body, cookie) = issue::tokens(app, &updated, &session, &refresh, now)?;
    Ok(issue::reply_with(200, json!({ "user": updated.public(), "tokens": body }), cookie))
}

/// Counts the failure (and audits it when the email has an account). A lost
/// race with a concurrent attempt only under-counts by one; never blocks the answer.
async fn record_failure(app: &App, call: &Call, email: &Email, failures: &Failures, owner: Option<&EmailOwner>, now: Timestamp) {
    let next = failures.after_failure(app.lockout, now);
    let expires = next.locked_until.unwrap_or(now).plus_seconds(24 * 3600).unix_seconds();
    let Ok(it) = item::to_item(&login_failures_key(email), &next) else { return };
    let condition = if failures.version == 0 { Condition::not_exists() } else { Condition::version_is(failures.version) };
    let mut tx = Tx::new().put_if("failures", it.with_ttl(expires), condition);
    if let Some(o) = owner {
        let event = super::super::event(
            call,
            o.tenant_id,
            "auth.login_failed",
            o.user_id,
            Subject { kind: "user".into(), id: o.user_id.to_string() },
            json!({ "locked": next.locked_until.is_some() }),
        );
        tx = tx.emit_audited(&event);
    }
    if let Err(e) = app.store.transact(tx).await {
        tracing::warn!(error = %e, "login failure not recorded");
    }
}
