//! `DELETE /v1/admin/api-keys/{id}` — revokes a key; the next request made
//! with it is refused.

use crm_events::audit::AuditExt;
use crm_events::Subject;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, EntityId, Timestamp};
use crm_store::tx::Condition;
use crm_store::Tx;
use serde_json::json;

use crate::model::ApiKey;
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let id = EntityId::parse(&call.path("id")?).map_err(|_| AppError::NotFound)?;
    let key: ApiKey = app.store.get_as(&ApiKey::key(p.tenant_id, id)).await?.ok_or(AppError::NotFound)?;
    if key.revoked_at.is_none() {
        let mut revoked = key.clone();
        revoked.revoked_at = Some(Timestamp::now());
        revoked.version += 1;
        let event = super::super::super::event(
            &call,
            p.tenant_id,
            crm_events::types::APIKEY_REVOKED,
            p.user_id,
            Subject { kind: "api_key".into(), id: id.to_string() },
            json!({ "name": key.name }),
        );
        app.store
            .transact(Tx::new().put_if("api_key", revoked.to_item()?, Condition::version_is(key.version)).emit_audited(&event))
            .await?;
    }
    Ok(Reply::no_content())
}
