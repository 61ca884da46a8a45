//! `POST /v1/auth/totp/confirm {code}` — proves the authenticator works and
//! enables TOTP; answers the backup codes, once. Audited `twofa.enabled`.

use crm_events::audit::AuditExt;
use crm_events::Subject;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, Timestamp};
use crm_store::tx::Condition;
use crm_store::Tx;
use serde::Deserialize;
use serde_json::json;

use crate::model::{backup_hash, Totp};
use crate::{totp, App};

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeRequest {
    pub code: String,
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let req: CodeRequest = call.json()?;
    let pending: Totp = app
        .store
        .get_as(&Totp::key(p.tenant_id, p.user_id))
        .await?
        .ok_or_else(|| AppError::Conflict("call /v1/auth/totp/setup first".into()))?;
    if pending.enabled {
        return Err(AppError::Conflict("two-factor authentication is already enabled".into()));
    }
    let secret = pending.secret(app.sealer()?).ok_or_else(super::invalid_code)?;
    let step = totp::verify(&secret, &req.code, super::now_unix(), pending.last_step).ok_or_else(super::invalid_code)?;
    let codes = totp::new_backup_codes();
    let mut enabled = pending.clone().sealed(app.sealer()?);
    enabled.enabled = true;
    enabled.backup_hashes = codes.iter().map(|c| backup_hash(c)).collect();
    enabled.last_step = Some(step);
    enabled.confirmed_at = Some(Timestamp::now());
    enabled.version += 1;
    let event = super::super::event(
        &call,
        p.tenant_id,
        crm_events::types::TWOFA_ENABLED,
        p.user_id,
        Subject { kind: "user".into(), id: p.user_id.to_string() },
        json!({ "method": "totp" }),
    );
    app.store.transact(Tx::new().put_if("totp", enabled.to_item()?, Condition::version_is(pending.version)).emit_audited(&event)).await?;
    Ok(Reply::ok(Enabled { enabled: true, backup_codes: codes }))
}

/// TOTP on, and the one-time backup codes (shown once).
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Enabled {
    pub enabled: bool,
    pub backup_codes: Vec<String>,
}
