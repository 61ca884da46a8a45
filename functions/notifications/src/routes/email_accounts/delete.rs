//! `DELETE /v1/email/provider-accounts/{id}` — disconnect a mailbox: its
//! sealed tokens are deleted, and it stops being the default.

use crm_events::audit::AuditExt;
use crm_events::Subject;
use crm_http::{Call, Reply};
use crm_kernel::AppError;
use crm_store::tx::Condition;
use crm_store::Tx;
use serde_json::json;

use crate::accounts::{self, EmailAccount};
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let t = call.principal()?.tenant_id;
    let a = super::load(app, &call).await?;
    let event = crm_events::DomainEvent::caused_by(
        &call,
        crm_events::types::EMAIL_ACCOUNT_DISCONNECTED,
        Subject { kind: "email_account".into(), id: a.id.to_string() },
        json!({ "provider": a.provider, "email": a.email }),
    )?;
    let mut tx = Tx::new()
        .delete("email_account", &EmailAccount::key(t, a.id), Some(Condition::version_is(a.version)))
        .delete("email_account_unique", &a.unique_key(), None)
        .emit_audited(&event);
    if accounts::default_id(&app.store, t).await? == Some(a.id) {
        tx = tx.delete("email_default", &EmailAccount::default_key(t), None);
    }
    app.store.transact(tx).await?;
    Ok(Reply::no_content())
}
