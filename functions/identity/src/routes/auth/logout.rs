//! `POST /v1/auth/logout` — revokes the caller's session (its refresh-token
//! family) and clears the cookie. Idempotent: 204 either way.

use crm_http::{Call, Reply};
use crm_kernel::{AppError, EntityId, Timestamp};
use serde_json::json;

use crate::model::Session;
use crate::{issue, App};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let principal = call.principal()?;
    if let Some(sid) = principal.session_id.as_deref().and_then(|s| EntityId::parse(s).ok()) {
        let session: Option<Session> = app.store.get_as(&Session::key(principal.tenant_id, sid)).await?;
        if let Some(s) = session.filter(|s| s.user_id == principal.user_id && s.revoked_at.is_none()) {
            let now = Timestamp::now();
            let event = super::super::event(
                &call,
                s.tenant_id,
                crm_events::types::AUTH_LOGOUT,
                s.user_id,
                super::super::session_subject(&s),
                json!({}),
            );
            app.store.transact(super::super::revoke_tx(&s, "logout", &event, now)?).await?;
        }
    }
    Ok(Reply::no_content().header("set-cookie", issue::clear_cookie()))
}
