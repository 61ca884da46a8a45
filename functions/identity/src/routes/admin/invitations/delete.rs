//! `DELETE /v1/admin/invitations/{id}` — revokes a pending invitation: its
//! link stops working, and its seat, its email and the roles it held are
//! freed in the same transaction (as when it expires). `user.invitation.revoked`.

use crm_events::Subject;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, Timestamp};
use crm_store::StoreError;
use serde_json::json;

use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let inv = super::open(app, &call).await?;
    let data = json!({ "invitation_id": inv.id, "email": inv.payload["email"], "expires_at": inv.expires_at, "seat": "unassign" });
    let subject = Subject { kind: "user".into(), id: inv.user_id.to_string() };
    let event = super::super::super::event(&call, p.tenant_id, crm_events::types::USER_INVITATION_REVOKED, p.user_id, subject, data);
    match crate::invitations::close(app, &inv, Timestamp::now(), &event).await {
        Ok(()) => Ok(Reply::no_content()),
        Err(StoreError::ConditionFailed { label }) if label == "invitation" => {
            Err(AppError::Conflict("the invitation changed meanwhile (accepted or sent again); reload".into()))
        }
        Err(e) => Err(e.into()),
    }
}
