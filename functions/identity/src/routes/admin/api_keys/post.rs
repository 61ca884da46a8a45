//! `POST /v1/admin/api-keys` — `{name, permissions, expires_at?}`. The answer
//! carries the secret, once; only its SHA-256 is stored. A key can only hold
//! permissions its creator holds, and never identity administration
//! (`rbac::NOT_FOR_KEYS`). It acts with the intersection of its codes and its
//! creator's current ones, and dies when the creator is suspended,
//! deactivated or deleted (the authorizer checks on every request).

use crm_auth::opaque::OpaqueToken;
use crm_auth::rbac;
use crm_events::audit::AuditExt;
use crm_events::Subject;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, EntityId, FieldError, Timestamp};
use crm_store::Tx;
use serde::Deserialize;
use serde_json::json;

use crate::model::{ApiKey, API_KEY_PREFIX};
use crate::App;

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKey {
    name: String,
    permissions: Vec<String>,
    #[serde(default)]
    expires_at: Option<String>,
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let req: CreateApiKey = call.json()?;
    let now = Timestamp::now();
    let mut errors = Vec::new();
    let name = req.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 100 {
        errors.push(FieldError::new("name", "must be 1 to 100 characters"));
    }
    let mut permissions = Vec::new();
    for code in &req.permissions {
        match rbac::parse(code) {
            None => errors.push(FieldError::new("permissions", format!("unknown permission `{code}`"))),
            Some(perm) if !p.can(perm) => errors.push(FieldError::new("permissions", format!("you do not hold `{code}` yourself"))),
            Some(perm) if !rbac::key_may_hold(perm.code()) => {
                return Err(AppError::Forbidden(format!(
                    "`{code}` is administration, which an API key never holds (keys do not create keys or users, nor change rules)"
                )))
            }
            Some(perm) if !permissions.contains(&perm.code().to_string()) => permissions.push(perm.code().to_string()),
            Some(_) => {}
        }
    }
    if req.permissions.is_empty() {
        errors.push(FieldError::new("permissions", "at least one permission is required"));
    }
    let expires_at = match req.expires_at.as_deref().map(Timestamp::parse).transpose() {
        Ok(Some(t)) if t <= now => {
            errors.push(FieldError::new("expires_at", "must be in the future"));
            None
        }
        Ok(t) => t,
        Err(_) => {
            errors.push(FieldError::new("expires_at", "must be an RFC 3339 date-time"));
            None
        }
    };
    if !errors.is_empty() {
        return Err(AppError::invalid_fields(errors));
    }

    let id = EntityId::new();
    let secret = OpaqueToken::generate(Some(API_KEY_PREFIX), p.tenant_id, id);
    let key = ApiKey {
        id,
        tenant_id: p.tenant_id,
        name,
        hash: secret.hash(),
        hint: secret.hint(),
        permissions,
        created_by: p.user_id,
        created_at: now,
        expires_at,
        last_used_at: None,
        revoked_at: None,
        version: 1,
    };
    let event = super::super::super::event(
        &call,
        p.tenant_id,
        crm_events::types::APIKEY_CREATED,
        p.user_id,
        Subject { kind: "api_key".into(), id: id.to_string() },
        json!({ "name": key.name, "permissions": key.permissions }),
    );
    app.store.transact(Tx::new().put_new("api_key", key.to_item()?).emit_audited(&event)).await?;
    let body = Created { key: key.public(now), secret: secret.to_wire() };
    Ok(Reply::created(format!("/v1/admin/api-keys/{id}"), body))
}

/// A new API key, with its secret (shown this once).
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Created {
    #[serde(flatten)]
    pub key: crate::model::ApiKeyView,
    /// `x-api-key`: shown once, never again.
    pub secret: String,
}
