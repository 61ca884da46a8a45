//! `POST /v1/email/provider-accounts` — connect a Gmail or Outlook mailbox:
//! `{provider, email, access_token, refresh_token, expires_in?, is_default?}`
//! (the tokens of the OAuth consent the frontend ran). Tokens are sealed at
//! rest and never shown again. The tenant's first account is its default.

use crm_events::audit::AuditExt;
use crm_events::Subject;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, Email, EntityId, FieldError, Timestamp};
use crm_store::{item, StoreError, Tx};
use serde::Deserialize;
use serde_json::json;

use crate::accounts::{self, AccountStatus, EmailAccount, MailboxProvider};
use crate::App;

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Body {
    provider: MailboxProvider,
    email: String,
    access_token: String,
    refresh_token: String,
    #[serde(default)]
    expires_in: Option<i64>,
    #[serde(default)]
    is_default: Option<bool>,
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let t = p.tenant_id;
    let b: Body = call.json()?;
    let sealer = super::sealer(app)?;
    let mut errors = Vec::new();
    let email = Email::parse(&b.email).map_err(|_| errors.push(FieldError::new("email", "must be an email address"))).ok();
    let access = super::token("access_token", &b.access_token).map_err(|e| errors.push(e)).ok();
    let refresh = super::token("refresh_token", &b.refresh_token).map_err(|e| errors.push(e)).ok();
    if b.expires_in.is_some_and(|s| !(0..=86_400 * 90).contains(&s)) {
        errors.push(FieldError::new("expires_in", "must be seconds, at most 90 days"));
    }
    let (Some(email), Some(access), Some(refresh)) = (email, access, refresh) else { return Err(AppError::invalid_fields(errors)) };
    if !errors.is_empty() {
        return Err(AppError::invalid_fields(errors));
    }
    let now = Timestamp::now();
    let id = EntityId::new();
    let ctx = EmailAccount::seal_context(t, id);
    let account = EmailAccount {
        id,
        tenant_id: t,
        provider: b.provider,
        email: email.as_str().to_string(),
        access_token: sealer.seal(&access, &ctx),
        refresh_token: sealer.seal(&refresh, &ctx),
        token_expires_at: now.plus_seconds(b.expires_in.unwrap_or(3600)),
        status: AccountStatus::Active,
        created_by: p.user_id,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let make_default = match b.is_default {
        Some(d) => d,
        None => accounts::default_id(&app.store, t).await?.is_none(),
    };
    let event = crm_events::DomainEvent::caused_by(
        &call,
        crm_events::types::EMAIL_ACCOUNT_CONNECTED,
        Subject { kind: "email_account".into(), id: id.to_string() },
        json!({ "provider": account.provider, "email": account.email, "is_default": make_default }),
    )?;
    let marker = item::to_item(&account.unique_key(), &json!({ "account_id": id }))?;
    let mut tx = Tx::new().put_new("email_account_unique", marker).put_new("email_account", account.to_item()?).emit_audited(&event);
    if make_default {
        tx = tx.put("email_default", accounts::default_item(t, id)?);
    }
    match app.store.transact(tx).await {
        Ok(()) => Ok(Reply::created(format!("/v1/email/provider-accounts/{id}"), account.public(make_default)).etag(account.version)),
        Err(StoreError::ConditionFailed { .. }) => {
            Err(AppError::Conflict(format!("{} is already connected with {}", account.email, account.provider.as_str())))
        }
        Err(e) => Err(e.into()),
    }
}
