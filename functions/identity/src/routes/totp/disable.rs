//! `POST /v1/auth/totp/disable {code}` or `{password}` — a current code, a
//! backup code or the account's password turns TOTP off. Every try counts
//! toward the account's login lockout (5 → 10 minutes), so a stolen session
//! cannot guess its way to removing the second factor. Audited `twofa.disabled`.

use crm_events::audit::AuditExt;
use crm_events::Subject;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, Timestamp};
use crm_store::tx::Condition;
use crm_store::Tx;
use serde::Deserialize;
use serde_json::json;

use crate::model::{backup_hash, Totp, User};
use crate::{totp, App};

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DisableRequest {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    password: Option<String>,
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let req: DisableRequest = call.json()?;
    let found = app.store.get_many(&[User::key(p.tenant_id, p.user_id), Totp::key(p.tenant_id, p.user_id)]).await?;
    let user: User = found[0].clone().map(crm_store::item::from_item).transpose()?.ok_or(AppError::NotFound)?;
    let current: Totp = found[1]
        .clone()
        .map(crm_store::item::from_item)
        .transpose()?
        .filter(|t: &Totp| t.enabled)
        .ok_or_else(|| AppError::Conflict("two-factor authentication is not enabled".into()))?;
    // A try counts toward the account's login lockout, before anything is checked.
    let now = Timestamp::now();
    let last = crate::lockout::spend(app, &user.email, now).await?;
    let proven = match (&req.code, &req.password) {
        (Some(code), _) => {
            let secret = current.secret(app.sealer()?).unwrap_or_default();
            totp::verify(&secret, code, now.unix_seconds(), current.last_step).is_some()
                || current.backup_hashes.contains(&backup_hash(code))
        }
        (None, Some(password)) => {
            let (candidate, hash) = (password.clone(), user.password_hash.clone());
            super::super::blocking(move || crate::password::verify(&candidate, &hash)).await?
        }
        (None, None) => return Err(AppError::invalid("code", "give a current code (or a backup code), or the password")),
    };
    if !proven {
        if last {
            crate::lockout::lock(app, &user.email, now).await;
        }
        return Err(super::invalid_code());
    }
    let event = super::super::event(
        &call,
        p.tenant_id,
        crm_events::types::TWOFA_DISABLED,
        p.user_id,
        Subject { kind: "user".into(), id: p.user_id.to_string() },
        json!({ "method": "totp" }),
    );
    let tx =
        Tx::new().delete("totp", &Totp::key(p.tenant_id, p.user_id), Some(Condition::version_is(current.version))).emit_audited(&event);
    app.store.transact(tx).await?;
    Ok(Reply::no_content())
}
