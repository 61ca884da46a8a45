//! `POST /v1/auth/totp/setup` — a new (pending) secret and its `otpauth://`
//! URI. Replaces a pending one; refused while TOTP is enabled.

use crm_http::{Call, Reply};
use crm_kernel::AppError;
use crm_store::tx::Condition;
use crm_store::Tx;

use crate::model::{Totp, User};
use crate::{totp, App};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    super::require_feature(p)?;
    let found = app.store.get_many(&[User::key(p.tenant_id, p.user_id), Totp::key(p.tenant_id, p.user_id)]).await?;
    let user: User = found[0].clone().map(crm_store::item::from_item).transpose()?.ok_or(AppError::NotFound)?;
    let existing: Option<Totp> = found[1].clone().map(crm_store::item::from_item).transpose()?;
    if existing.as_ref().is_some_and(|t| t.enabled) {
        return Err(AppError::Conflict("two-factor authentication is already enabled; disable it first".into()));
    }
    let secret = totp::new_secret();
    let mut pending = Totp {
        tenant_id: p.tenant_id,
        user_id: p.user_id,
        secret: String::new(),
        enabled: false,
        backup_hashes: Vec::new(),
        last_step: None,
        confirmed_at: None,
        version: existing.as_ref().map(|t| t.version + 1).unwrap_or(1),
    };
    pending.set_secret(app.sealer()?, &secret);
    let condition = match &existing {
        Some(t) => Condition::version_is(t.version),
        None => Condition::not_exists(),
    };
    app.store.transact(Tx::new().put_if("totp", pending.to_item()?, condition)).await?;
    Ok(Reply::ok(Setup { otpauth_uri: totp::otpauth_uri(&secret, user.email.as_str()), secret, issuer: totp::ISSUER }))
}

/// A TOTP secret to enrol in an authenticator app (confirm it with a first code).
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Setup {
    /// Base32.
    pub secret: String,
    /// `otpauth://totp/…`, for a QR code.
    pub otpauth_uri: String,
    pub issuer: &'static str,
}
