//! `PATCH /v1/email/provider-accounts/{id}` — make an account the default,
//! disable or re-enable it, or reconnect it with new tokens (which clears
//! `reauth_required`). `If-Match` honoured.

use crm_events::audit::AuditExt;
use crm_events::Subject;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, Timestamp};
use crm_store::tx::Condition;
use crm_store::{StoreError, Tx};
use serde::Deserialize;
use serde_json::json;

use crate::accounts::{self, AccountStatus, EmailAccount};
use crate::App;

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Body {
    #[serde(default)]
    is_default: Option<bool>,
    #[serde(default)]
    status: Option<AccountStatus>,
    #[serde(default)]
    access_token: Option<String>,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    expires_in: Option<i64>,
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let t = call.principal()?.tenant_id;
    let current = super::load(app, &call).await?;
    let b: Body = call.json()?;
    if call.if_match()?.is_some_and(|v| v != current.version) {
        return Err(AppError::PreconditionFailed);
    }
    let sealer = super::sealer(app)?;
    let ctx = EmailAccount::seal_context(t, current.id);
    let mut next = current.clone();
    if let Some(s) = b.status {
        if s == AccountStatus::ReauthRequired {
            return Err(AppError::invalid("status", "must be active or disabled"));
        }
        next.status = s;
    }
    match (b.access_token, b.refresh_token) {
        (Some(a), Some(r)) => {
            let a = super::token("access_token", &a).map_err(|e| AppError::invalid_fields(vec![e]))?;
            let r = super::token("refresh_token", &r).map_err(|e| AppError::invalid_fields(vec![e]))?;
            next.access_token = sealer.seal(&a, &ctx);
            next.refresh_token = sealer.seal(&r, &ctx);
            next.token_expires_at = Timestamp::now().plus_seconds(b.expires_in.unwrap_or(3600).clamp(0, 86_400 * 90));
            if next.status == AccountStatus::ReauthRequired {
                next.status = AccountStatus::Active;
            }
        }
        (None, None) => {}
        _ => return Err(AppError::invalid("refresh_token", "reconnecting needs both access_token and refresh_token")),
    }
    let was_default = accounts::default_id(&app.store, t).await? == Some(current.id);
    next.updated_at = Timestamp::now();
    next.version += 1;
    let event = crm_events::DomainEvent::caused_by(
        &call,
        crm_events::types::EMAIL_ACCOUNT_UPDATED,
        Subject { kind: "email_account".into(), id: current.id.to_string() },
        json!({ "status": { "from": current.status, "to": next.status }, "is_default": b.is_default }),
    )?;
    let mut tx = Tx::new().put_if("email_account", next.to_item()?, Condition::version_is(current.version)).emit_audited(&event);
    let is_default = match b.is_default {
        Some(true) => {
            tx = tx.put("email_default", accounts::default_item(t, current.id)?);
            true
        }
        Some(false) if was_default => {
            tx = tx.delete("email_default", &EmailAccount::default_key(t), None);
            false
        }
        _ => was_default,
    };
    match app.store.transact(tx).await {
        Ok(()) => Ok(Reply::ok(next.public(is_default)).etag(next.version)),
        Err(StoreError::ConditionFailed { .. }) => Err(AppError::PreconditionFailed),
        Err(e) => Err(e.into()),
    }
}
