//! Mailbox accounts: `POST|GET /v1/email/provider-accounts`,
//! `PATCH|DELETE /v1/email/provider-accounts/{id}`.

pub mod delete;
pub mod get;
pub mod patch;
pub mod post;

use crm_auth::seal::Sealer;
use crm_kernel::{AppError, EntityId};

use crate::accounts::EmailAccount;
use crate::App;

pub(crate) fn sealer(app: &App) -> Result<&Sealer, AppError> {
    app.adapters()
        .map_err(AppError::internal)?
        .mailboxes
        .as_ref()
        .map(|m| m.sealer())
        .ok_or_else(|| AppError::internal("TOKEN_ENCRYPTION_KEY is not configured: mailbox accounts are unavailable"))
}

pub(crate) async fn load(app: &App, call: &crm_http::Call) -> Result<EmailAccount, AppError> {
    let t = call.principal()?.tenant_id;
    let id = EntityId::parse(&call.path("id")?).map_err(|_| AppError::NotFound)?;
    app.store.get_as(&EmailAccount::key(t, id)).await?.ok_or(AppError::NotFound)
}

/// Checks an OAuth token handed to us (the frontend ran the consent screen).
pub(crate) fn token(field: &str, raw: &str) -> Result<String, crm_kernel::FieldError> {
    let t = raw.trim();
    if t.len() < 8 || t.len() > 4096 || t.chars().any(char::is_whitespace) {
        return Err(crm_kernel::FieldError::new(field, "must be the OAuth token the provider issued"));
    }
    Ok(t.to_string())
}
