//! `POST /v1/auth/login` — email and password.
//!
//! * Unknown email and wrong password give the same `401
//!   AUTH_INVALID_CREDENTIALS` after the same Argon2 work (a dummy hash).
//! * 5 failures for an email lock it for 10 minutes (`429` with
//!   `Retry-After`), known or not (`lockout`). Each attempt is counted
//!   atomically before the password is checked, so parallel guesses all count.
//! * With TOTP enabled, a `totp_code` (or a one-time `backup_code`) is
//!   required: missing → `401 AUTH_2FA_REQUIRED`, wrong → `401
//!   AUTH_2FA_INVALID_CODE` (counted towards the lockout).
//! * With an SMS/WhatsApp factor on (and no TOTP code given), the first
//!   attempt sends a code and answers `AUTH_2FA_REQUIRED`; the next sends it
//!   as `otp_code` (5 attempts, 10 minutes).
//! * Every attempt on a real account is audited (`auth.login`,
//!   `auth.login_failed`); a suspended user or tenant cannot log in.

use crm_events::audit::AuditExt;
use crm_events::Subject;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, Timestamp};
use crm_store::tx::Condition;
use crm_store::Tx;
use serde::Deserialize;
use serde_json::json;

use crate::email::Email;
use crate::model::{backup_hash, email_marker_key, login_failures_key, EmailOwner, Tenant, TenantStatus, Totp, User, UserStatus};
use crate::otp::{Otp, OtpStatus, Purpose};
use crate::{issue, password, totp, App};

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    email: String,
    password: String,
    /// Required when the account has TOTP enabled (or `backup_code`).
    #[serde(default)]
    totp_code: Option<String>,
    #[serde(default)]
    backup_code: Option<String>,
    /// The code sent by SMS/WhatsApp when that factor is on.
    #[serde(default)]
    otp_code: Option<String>,
}

/// A second factor passed, and the record to write back so it is spent.
enum SecondFactor {
    None,
    Totp { version: u64, used: Totp },
    Otp { version: u64, used: Otp },
}

/// Checks the second factor the account requires, if any. With TOTP, a
/// `totp_code` or `backup_code`; with an SMS/WhatsApp factor, an `otp_code`
/// — asked for by answering `AUTH_2FA_REQUIRED` after sending a code (at
/// most once a minute). Either factor satisfies an account that has both.
async fn second_factor(app: &App, f: &LoginRequest, user: &User, now: Timestamp) -> Result<SecondFactor, AppError> {
    let invalid = || AppError::Auth { code: "AUTH_2FA_INVALID_CODE", message: "the two-factor code is not valid".into() };
    let totp = app.store.get_as::<Totp>(&Totp::key(user.tenant_id, user.id)).await?.filter(|t| t.enabled);
    let otp_channel = user.otp_factors.first().copied().filter(|_| user.phone_verified_at.is_some());
    let phone = user.phone_e164.clone();
    match (&totp, f.totp_code.as_deref(), f.backup_code.as_deref()) {
        (Some(t), Some(code), _) => {
            let secret = t.secret(app.sealer()?).ok_or_else(invalid)?;
            let step = totp::verify(&secret, code, now.unix_seconds(), t.last_step).ok_or_else(invalid)?;
            let mut used = t.clone().sealed(app.sealer()?);
            used.last_step = Some(step);
            used.version += 1;
            return Ok(SecondFactor::Totp { version: t.version, used });
        }
        (Some(t), None, Some(backup)) => {
            let mut used = t.clone().sealed(app.sealer()?);
            let h = backup_hash(backup);
            used.backup_hashes.retain(|x| x != &h);
            if used.backup_hashes.len() == t.backup_hashes.len() {
                return Err(invalid());
            }
            used.version += 1;
            return Ok(SecondFactor::Totp { version: t.version, used });
        }
        _ => {}
    }
    let (Some(channel), Some(phone)) = (otp_channel, phone) else {
        return match totp {
            Some(_) => Err(AppError::Auth {
                code: "AUTH_2FA_REQUIRED",
                message: "a two-factor code is required (totp_code or backup_code)".into(),
            }),
            None => Ok(SecondFactor::None),
        };
    };
    let key = Otp::key(user.tenant_id, user.id, Purpose::Login);
    let challenge = app.store.get_as::<Otp>(&key).await?;
    if let Some(code) = f.otp_code.as_deref() {
        let c = challenge.filter(|c| c.status == OtpStatus::Pending).ok_or_else(invalid)?;
        // Spent before compared: parallel guesses each cost an attempt.
        let outcome = crate::otp::attempt(&app.store, &c, Purpose::Login, None, code, now).await?;
        if outcome.result.is_err() {
            return Err(invalid());
        }
        return Ok(SecondFactor::Otp { version: c.version, used: outcome.record });
    }
    // No code yet: send one, unless one went out less than a minute ago.
    let recent = challenge.as_ref().filter(|c| c.is_open(now) && c.resend_wait(now) > 0);
    if recent.is_none() {
        let (otp, code) = Otp::issue(user.tenant_id, user.id, phone.clone(), channel, now);
        let messages = crate::codes::code_messages(&app.store, &otp, &code, "otp.login", user).await?;
        crate::codes::send_codes(app, Tx::new().put("otp", otp.to_item(Purpose::Login)?), &otp, Purpose::Login, &messages).await?;
    }
    let also = if totp.is_some() { " (or use totp_code)" } else { "" };
    Err(AppError::Auth {
        code: "AUTH_2FA_REQUIRED",
        message: format!("a code was sent by {} to {}; send it as otp_code{also}", channel.as_str(), phone.masked()),
    })
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    crate::throttle::per_ip(app, &call, "login").await?;
    let req: LoginRequest = call.json()?;
    let email = Email::parse(&req.email).map_err(|e| AppError::invalid_fields(vec![e]))?;
    let now = Timestamp::now();

    // The attempt is counted before the password is checked (`lockout::spend`).
    let last = crate::lockout::spend(app, &email, now).await?;

    let owner: Option<EmailOwner> = app.store.get_as(&email_marker_key(&email)).await?;
    let user: Option<User> = match &owner {
        Some(o) => app.store.get_as(&User::key(o.tenant_id, o.user_id)).await?,
        None => None,
    };
    let candidate = req.password.clone();
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
        record_failure(app, &call, &email, last, owner.as_ref(), now).await;
        return Err(crate::password::invalid_credentials());
    };
    if user.status != UserStatus::Active {
        return Err(AppError::Forbidden("this account is not active".into()));
    }
    let tenant: Option<Tenant> = app.store.get_as(&Tenant::key(user.tenant_id)).await?;
    if tenant.map(|t| t.status) != Some(TenantStatus::Active) {
        return Err(AppError::Forbidden("this organisation is suspended".into()));
    }

    let second_factor = second_factor(app, &req, &user, now).await;
    let second_factor = match second_factor {
        Ok(f) => f,
        Err(e) => {
            if e.code() == "AUTH_2FA_INVALID_CODE" {
                record_failure(app, &call, &email, last, owner.as_ref(), now).await;
            }
            return Err(e);
        }
    };

    let (session, refresh) = issue::new_session(&user, &call, now);
    let mut updated = user.clone();
    updated.last_login_at = Some(now);
    updated.version += 1;
    let event = super::super::event(
        &call,
        user.tenant_id,
        crm_events::types::AUTH_LOGIN,
        user.id,
        Subject { kind: "user".into(), id: user.id.to_string() },
        json!({ "session_id": session.id, "method": "password" }),
    );
    let mut tx = Tx::new()
        .put_new("session", session.to_item()?)
        .put_if("user", updated.to_item()?, Condition::version_is(user.version))
        .emit_audited(&event);
    tx = tx.delete("failures", &login_failures_key(&email), None);
    match second_factor {
        // The code (or backup code) is spent: a replay fails on the version here.
        SecondFactor::Totp { version, used } => tx = tx.put_if("totp", used.to_item()?, Condition::version_is(version)),
        SecondFactor::Otp { version, used } => tx = tx.put_if("otp", used.to_item(Purpose::Login)?, Condition::version_is(version)),
        SecondFactor::None => {}
    }
    app.store.transact(tx).await?;
    let (body, cookie) = issue::tokens(app, &updated, &session, &refresh, now)?;
    Ok(issue::reply_with(200, issue::SignedIn { user: updated.public(), tokens: body }, cookie))
}

/// After a failed check: the last allowed attempt locks the email; the
/// failure is audited when the email has an account. Never blocks the answer.
async fn record_failure(app: &App, call: &Call, email: &Email, last: bool, owner: Option<&EmailOwner>, now: Timestamp) {
    if last {
        crate::lockout::lock(app, email, now).await;
    }
    if let Some(o) = owner {
        let event = super::super::event(
            call,
            o.tenant_id,
            crm_events::types::AUTH_LOGIN_FAILED,
            o.user_id,
            Subject { kind: "user".into(), id: o.user_id.to_string() },
            json!({ "locked": last }),
        );
        if let Err(e) = app.store.transact(Tx::new().emit_audited(&event)).await {
            tracing::warn!(error = %e, "login failure not audited");
        }
    }
}
