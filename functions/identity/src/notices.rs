//! What identity tells people, as an inbox entry and an email each, from
//! the built-in templates (English and Arabic, in the reader's locale):
//! * the user concerned, when an admin suspends, deactivates or reactivates
//!   their account (`user.suspended`, `user.deactivated`, `user.reactivated`);
//! * the inviter, when their invitation is accepted (`user.invitation_accepted`);
//! * the holders of `seats.view`, when a create, invite or reactivation is
//!   refused for want of a seat (`tenant.seat_limit_reached`, with the event
//!   `tenant.seat.limit_reached`), at most once an hour.
//!
//! Each is queued in the transaction of the change it tells about, so a
//! notice goes out exactly when the change lands.

use crm_auth::entitlements::Entitlements;
use crm_events::audit::AuditExt;
use crm_events::Subject;
use crm_http::Call;
use crm_kernel::{AppError, TenantId, Timestamp, UserId};
use crm_notify::messages::QueueExt;
use crm_store::item::ItemExt;
use crm_store::{item, keys, StoreError, Tx};
use serde_json::json;

use crate::model::User;
use crate::App;

/// Seat notices to the admins: at most one per tenant in this many seconds.
pub const SEAT_NOTICE_EVERY_SECS: i64 = 3600;

/// Queues `family` to `user` themselves — whatever their status: a
/// suspended user is told they are suspended.
pub fn to_user(tx: Tx, tenant_name: &str, user: &User, family: &str) -> Result<Tx, AppError> {
    let view: crm_directory::UserView = item::from_item(user.to_item()?)?;
    let payload = json!({ "tenant_name": tenant_name, "full_name": user.full_name });
    let mut tx = tx;
    for m in crm_notify::compose::to_user(user.tenant_id, &view, family, &payload, &format!("identity.{family}"))? {
        tx = tx.queue_message(&m)?;
    }
    Ok(tx)
}

/// Queues the news of `user` accepting an invitation to `inviter`.
pub async fn invitation_accepted(app: &App, tx: Tx, inviter: UserId, user: &User, tenant_name: &str) -> Result<Tx, AppError> {
    let notice = crm_notify::users::Notice {
        family: "user.invitation_accepted",
        payload: json!({ "invitee": user.full_name, "email": user.email, "tenant_name": tenant_name }),
        source: "identity.user.invitation_accepted".into(),
    };
    crm_notify::users::queue(&app.store, user.tenant_id, Some(user.id), &[inviter], notice, tx).await
}

/// A create, invite or reactivation refused at `users.max`: audits
/// `tenant.seat.limit_reached` and tells the holders of `seats.view`
/// (not more than once an hour). Best effort: the caller's answer is the
/// refusal whatever happens here.
pub async fn seat_limit_reached(app: &App, call: &Call, tenant_name: &str, entitlements: &Entitlements, who: &str) {
    if let Err(e) = try_seat_limit_reached(app, call, tenant_name, entitlements, who).await {
        tracing::warn!(error = %e, "seat limit notice not sent");
    }
}

async fn try_seat_limit_reached(app: &App, call: &Call, tenant_name: &str, entitlements: &Entitlements, who: &str) -> Result<(), AppError> {
    let p = call.principal()?;
    let t = p.tenant_id;
    let included = entitlements.limit("users.max");
    let data = json!({ "included": included, "email": who, "attempted_by": p.user_id });
    let subject = Subject { kind: "tenant".into(), id: t.to_string() };
    let event = crate::request_event::event(call, t, crm_events::types::TENANT_SEAT_LIMIT_REACHED, p.user_id, subject, data);
    let audited = || Tx::new().emit_audited(&event);

    let now = Timestamp::now().unix_seconds();
    let window = now - now.rem_euclid(SEAT_NOTICE_EVERY_SECS);
    let marker = item::to_item(&keys::tenant_window(t, "SEATNOTICE", "admins", window), &json!({ "at": now }))?
        .with_ttl(window + 2 * SEAT_NOTICE_EVERY_SECS);
    let admins = seat_viewers(app, t).await?;
    let notice = crm_notify::users::Notice {
        family: "tenant.seat_limit_reached",
        payload: json!({ "tenant_name": tenant_name, "included": included, "email": who }),
        source: "identity.tenant.seat_limit_reached".into(),
    };
    let told = crm_notify::users::queue(&app.store, t, Some(p.user_id), &admins, notice, audited().put_new("seat_notice", marker)).await?;
    match app.store.transact(told).await {
        Err(StoreError::ConditionFailed { label }) if label == "seat_notice" => Ok(app.store.transact(audited()).await?),
        other => Ok(other?),
    }
}

/// The tenant's active users who hold `seats.view`.
async fn seat_viewers(app: &App, t: TenantId) -> Result<Vec<UserId>, AppError> {
    let model = crate::access::load(&app.store, t).await?;
    let users = crm_directory::list(&app.store, t).await?;
    Ok(users
        .into_iter()
        .filter(|u| u.is_active())
        .filter(|u| model.permissions(&model.effective_roles(&u.roles, &u.group_ids)).contains(crm_auth::rbac::SEATS_VIEW.code()))
        .map(|u| u.id)
        .collect())
}
