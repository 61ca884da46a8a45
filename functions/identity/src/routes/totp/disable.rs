//! `POST /v1/auth/totp/disable {code}` — a current code or a backup code
//! turns TOTP off. Audited `twofa.disabled`.

use crm_events::audit::AuditExt;
use crm_events::Subject;
use crm_http::{Call, Reply};
use crm_kernel::AppError;
use crm_store::tx::Condition;
use crm_store::Tx;
use serde_json::json;

use super::confirm::CodeRequest;
use crate::model::{backup_hash, Totp};
use crate::{totp, App};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let req: CodeRequest = call.json()?;
    let current: Totp = app
        .store
        .get_as(&Totp::key(p.tenant_id, p.user_id))
        .await?
        .filter(|t: &Totp| t.enabled)
        .ok_or_else(|| AppError::Conflict("two-factor authentication is not enabled".into()))?;
    let by_code = totp::verify(&current.secret, &req.code, super::now_unix(), current.last_step).is_some();
    let by_backup = current.backup_hashes.contains(&backup_hash(&req.code));
    if !by_code && !by_backup {
        return Err(super::invalid_code());
    }
    let event = super::super::event(
        &call,
        p.tenant_id,
        "twofa.disabled",
        p.user_id,
        Subject { kind: "user".into(), id: p.user_id.to_string() },
        json!({ "method": "totp" }),
    );
    let tx =
        Tx::new().delete("totp", &Totp::key(p.tenant_id, p.user_id), Some(Condition::version_is(current.version))).emit_audited(&event);
    app.store.transact(tx).await?;
    Ok(Reply::no_content())
}
