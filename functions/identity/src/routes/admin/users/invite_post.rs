//! `POST /v1/admin/users/invite {email, roles}` — invites someone by email.
//! One transaction: the invitation (single-use, 7 days by default), the email marker
//! (the address is taken from now on), one seat of `users.max` (`422
//! LIMIT_REACHED` when none is left), the email with the accept link, and the
//! audited `user.invited`.

use crm_events::audit::AuditExt;
use crm_events::Subject;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, Timestamp, UserId};
use crm_notify::messages::QueueExt;
use crm_store::{item, StoreError, Tx};
use serde::Deserialize;
use serde_json::json;

use crate::email::Email;
use crate::model::{email_marker_key, EmailOwner, Tenant};
use crate::onetime::{OneTime, Purpose};
use crate::{seats, App};

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Invite {
    email: String,
    roles: Vec<String>,
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let req: Invite = call.json()?;
    let mut errors = Vec::new();
    let email = Email::parse(&req.email).map_err(|e| errors.push(e)).ok();
    let access = crate::access::load(&app.store, p.tenant_id).await?;
    let roles = super::parse_roles(&req.roles, &access, &mut errors);
    let Some(email) = email.filter(|_| errors.is_empty()) else { return Err(AppError::invalid_fields(errors)) };
    crm_auth::grant::check_grant(&crm_auth::grant::Granter::new(p, &access), &roles)?;
    let tenant: Tenant = app.store.get_as(&Tenant::key(p.tenant_id)).await?.ok_or(AppError::NotFound)?;
    let entitlements = crate::seats::of_model(&access, &tenant.plan);

    let now = Timestamp::now();
    let user_id = UserId::new();
    let (mut invitation, token) = OneTime::issue_for(Purpose::Invitation, p.tenant_id, user_id, now, app.invitation_ttl_secs);
    invitation.payload = json!({ "email": email, "roles": roles, "invited_by": p.user_id, "last_sent_at": now, "resends": 0 });
    let message = crate::mail::invitation(app, p.tenant_id, &email, &tenant.name, &token).await?;
    let event = super::super::super::event(
        &call,
        p.tenant_id,
        crm_events::types::USER_INVITED,
        p.user_id,
        Subject { kind: "user".into(), id: user_id.to_string() },
        json!({ "email": email, "roles": roles, "seat": "assign" }),
    );
    let tx = Tx::new()
        .put_new("invitation", invitation.to_item(Purpose::Invitation)?)
        .put_new("email", item::to_item(&email_marker_key(&email), &EmailOwner { tenant_id: p.tenant_id, user_id })?)
        .queue_message(&message)?
        .emit_audited(&event);
    // A pending invitation holds its custom roles as it holds its seat.
    let tx = crate::role_holders::follow(tx, p.tenant_id, &[], &roles);
    match app.store.transact(seats::take(tx, p.tenant_id, &entitlements)).await {
        Ok(()) => Ok(Reply::with_status(
            201,
            Invited {
                invitation_id: invitation.id,
                user_id,
                email: email.clone(),
                roles: roles.clone(),
                expires_at: invitation.expires_at,
            },
        )
        .header("location", format!("/v1/admin/users/{user_id}"))),
        Err(StoreError::ConditionFailed { label }) if label == seats::SEATS => {
            crate::notices::seat_limit_reached(app, &call, &tenant.name, &entitlements, email.as_str()).await;
            Err(entitlements.limit_reached("users.max"))
        }
        Err(StoreError::ConditionFailed { label }) if label == "email" => {
            Err(AppError::Conflict("this email is already registered".into()))
        }
        Err(e) => Err(crate::role_holders::refused(&e, false).unwrap_or_else(|| e.into())),
    }
}

/// An invitation sent.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Invited {
    pub invitation_id: crm_kernel::EntityId,
    pub user_id: crm_kernel::UserId,
    pub email: crm_kernel::Email,
    pub roles: Vec<String>,
    pub expires_at: crm_kernel::Timestamp,
}
