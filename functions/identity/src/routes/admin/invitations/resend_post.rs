//! `POST /v1/admin/invitations/{id}/resend` — sends a pending invitation
//! again with a new link (the old one stops working) and a fresh expiry.
//! Rate-limited per invitation: once a minute (`429` with `Retry-After`),
//! five times in all (`422 LIMIT_REACHED`) — counted on the invitation,
//! written under its version, so two resends at once cannot both pass.
//! `user.invitation.resent`.

use crm_auth::opaque::OpaqueToken;
use crm_events::audit::AuditExt;
use crm_events::Subject;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, Timestamp};
use crm_notify::messages::QueueExt;
use crm_store::tx::Condition;
use crm_store::{StoreError, Tx};
use serde_json::json;

use super::InvitationView;
use crate::model::Tenant;
use crate::onetime::{OneTime, Purpose};
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let inv = super::open(app, &call).await?;
    let now = Timestamp::now();
    let view = InvitationView::of(&inv);
    crate::invitations::may_resend(view.resends, view.last_sent_at, now)?;
    let tenant: Tenant = app.store.get_as(&Tenant::key(p.tenant_id)).await?.ok_or(AppError::NotFound)?;
    let token = OpaqueToken::generate(Some(Purpose::Invitation.prefix()), p.tenant_id, inv.id);
    let mut next =
        OneTime { hash: token.hash(), expires_at: now.plus_seconds(app.invitation_ttl_secs), version: inv.version + 1, ..inv.clone() };
    next.payload["last_sent_at"] = json!(now);
    next.payload["resends"] = json!(view.resends + 1);
    let email = crate::email::Email::parse(&view.email).map_err(|_| AppError::NotFound)?;
    let message = crate::mail::invitation(app, p.tenant_id, &email, &tenant.name, &token).await?;
    let data = json!({ "invitation_id": inv.id, "email": view.email, "resends": view.resends + 1, "expires_at": next.expires_at });
    let subject = Subject { kind: "user".into(), id: inv.user_id.to_string() };
    let event = super::super::super::event(&call, p.tenant_id, crm_events::types::USER_INVITATION_RESENT, p.user_id, subject, data);
    let tx = Tx::new()
        .put_if("invitation", next.to_item(Purpose::Invitation)?, Condition::version_is(inv.version))
        .queue_message(&message)?
        .emit_audited(&event);
    match app.store.transact(tx).await {
        Ok(()) => Ok(Reply::with_status(202, InvitationView::of(&next))),
        Err(StoreError::ConditionFailed { label }) if label == "invitation" => {
            Err(AppError::Conflict("the invitation changed meanwhile (sent, accepted or revoked); reload".into()))
        }
        Err(e) => Err(e.into()),
    }
}
