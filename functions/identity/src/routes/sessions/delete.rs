//! `DELETE /v1/auth/sessions/{id}` — revokes one of the caller's own
//! sessions ("log out that device"). Someone else's session is 404.

use crm_http::{Call, Reply};
use crm_kernel::{AppError, EntityId, Timestamp};
use serde_json::json;

use crate::model::Session;
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let id = EntityId::parse(&call.path("id")?).map_err(|_| AppError::NotFound)?;
    let session: Session =
        app.store.get_as(&Session::key(p.tenant_id, id)).await?.filter(|s: &Session| s.user_id == p.user_id).ok_or(AppError::NotFound)?;
    if session.revoked_at.is_none() {
        let event = super::super::event(
            &call,
            session.tenant_id,
            crm_events::types::AUTH_SESSION_REVOKED,
            p.user_id,
            super::super::session_subject(&session),
            json!({}),
        );
        app.store.transact(super::super::revoke_tx(&session, "revoked_by_user", &event, Timestamp::now())?).await?;
    }
    Ok(Reply::no_content())
}
