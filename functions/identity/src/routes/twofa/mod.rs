//! `POST /v1/auth/twofa/{sms|whatsapp}/enable|disable` — one-time codes by
//! SMS or WhatsApp as the login's second factor. Gated by the plan feature
//! (`twofa.sms` / `twofa.whatsapp`) **and** by a verified phone
//! (as the spec asks). Turning one off needs `{password}` (counted toward the
//! login lockout). Audited `twofa.enabled` / `twofa.disabled`.

pub mod disable;
pub mod enable;

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_kernel::AppError;
use crm_store::tx::Condition;
use crm_store::Tx;
use serde_json::json;

use crate::model::User;
use crate::otp::OtpChannel;
use crate::App;

/// The body of `POST /v1/auth/twofa/{channel}/disable`.
#[derive(serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Proof {
    /// The account's password.
    #[schemars(length(min = 1, max = 1024))]
    pub password: String,
}

/// Turns `channel` on or off for the caller (off needs `{password}`).
pub(crate) async fn set(app: &App, call: Call, on: bool) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let channel = OtpChannel::parse(&call.path("channel")?).map_err(|_| AppError::RouteNotFound)?;
    let user: User = app.store.get_as(&User::key(p.tenant_id, p.user_id)).await?.ok_or(AppError::NotFound)?;
    if on {
        p.entitlements.require_feature(channel.feature())?;
        if user.phone_verified_at.is_none() {
            return Err(AppError::Rule {
                code: "PHONE_NOT_VERIFIED",
                message: "verify a phone number first (/v1/auth/phone/verify/start)".into(),
            });
        }
    }
    // Removing a second factor needs the password (read first: a body is
    // checked even when the factor is off already).
    let proof: Option<Proof> = match on {
        true => None,
        false => {
            let body: Proof = call.json().map_err(|_| AppError::invalid("password", "give the account's password"))?;
            if body.password.is_empty() || body.password.chars().count() > 1024 {
                return Err(AppError::invalid("password", "give the account's password"));
            }
            Some(body)
        }
    };
    let has = user.otp_factors.contains(&channel);
    if has == on {
        return Ok(Reply::ok(Factors { user: user.public() }));
    }
    if let Some(body) = proof {
        // Every try counts toward the login lockout: a stolen session alone cannot do it.
        let now = crm_kernel::Timestamp::now();
        let last = crate::lockout::spend(app, &user.email, now).await?;
        let (candidate, hash) = (body.password.clone(), user.password_hash.clone());
        if !super::blocking(move || crate::password::verify(&candidate, &hash)).await? {
            if last {
                crate::lockout::lock(app, &user.email, now).await;
            }
            return Err(crate::password::invalid_credentials());
        }
    }
    let mut next = user.clone();
    if on {
        next.otp_factors.push(channel);
    } else {
        next.otp_factors.retain(|c| *c != channel);
    }
    next.version += 1;
    let event = super::event(
        &call,
        p.tenant_id,
        if on { crm_events::types::TWOFA_ENABLED } else { crm_events::types::TWOFA_DISABLED },
        p.user_id,
        crm_events::Subject { kind: "user".into(), id: p.user_id.to_string() },
        json!({ "method": channel }),
    );
    app.store.transact(Tx::new().put_if("user", next.to_item()?, Condition::version_is(user.version)).emit_audited(&event)).await?;
    Ok(Reply::ok(Factors { user: next.public() }))
}

/// The user with their second factors as they now stand.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Factors {
    pub user: crate::model::UserView,
}
