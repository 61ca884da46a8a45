//! Invitations run out (7 days by default, `INVITATION_TTL_SECS`): the
//! hourly sweep (`HANDLER=invitations`) finds the open ones past their
//! expiry — one key condition on the system-wide list sorted by expiry —
//! and, per invitation, in one transaction: marks it expired (it leaves the
//! list), frees the seat it held and the email it reserved (the address can
//! be invited again or sign up), and audits `user.invitation.expired` in the
//! tenant's log. Safe to run twice: each step is conditional on the version read.

use crm_events::audit::AuditExt;
use crm_events::{Actor, DomainEvent, Subject};
use crm_kernel::{Limit, Timestamp};
use crm_store::tx::Condition;
use crm_store::{item, keys, AttributeValue, Index, Query, Tx};
use serde_json::{json, Value};

use crate::model::email_marker_key;
use crate::onetime::{OneTime, Purpose};
use crate::App;

/// Most invitations one run expires (the next hour takes the rest).
pub const PER_RUN: usize = 1_000;

/// Expires every open invitation past due at `now`; answers the counts.
pub async fn sweep(app: &App, now: Timestamp) -> Value {
    let (mut expired, mut failed) = (0usize, 0usize);
    let mut cursor = None;
    loop {
        let q = Query::system(Index::ByKind, keys::OPEN_INVITATIONS).sk_between("0", now.to_string()).limit(Limit::max()).after(cursor);
        let page = match app.store.query(q).await {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(error = %e, "invitation sweep cannot read the list");
                failed += 1;
                break;
            }
        };
        for inv in page.items.into_iter().filter_map(|i| item::from_item::<OneTime>(i).ok()) {
            match expire(app, &inv, now).await {
                Ok(()) => expired += 1,
                Err(e) => {
                    tracing::warn!(error = %e, invitation = %inv.id, "invitation not expired this run");
                    failed += 1;
                }
            }
        }
        match page.next_cursor {
            Some(c) if expired + failed < PER_RUN => cursor = Some(c),
            _ => break,
        }
    }
    crm_events::metrics::emit(
        &[("Function", "invitation_expiry")],
        &[("InvitationsExpired", expired as f64), ("InvitationExpiryFailures", failed as f64)],
    );
    json!({ "expired": expired, "failed": failed })
}

async fn expire(app: &App, inv: &OneTime, now: Timestamp) -> Result<(), crm_store::StoreError> {
    let email = inv.payload["email"].as_str().unwrap_or_default().to_string();
    let event = DomainEvent::new(
        inv.tenant_id,
        crm_events::types::USER_INVITATION_EXPIRED,
        Actor::system(),
        Subject { kind: "user".into(), id: inv.user_id.to_string() },
        json!({ "invitation_id": inv.id, "email": email, "expired_at": inv.expires_at, "seat": "unassign" }),
    );
    close(app, inv, now, &event).await
}

/// Closes an open invitation at `now` (expired by the sweep, or revoked by
/// an admin), audited as `event`: it leaves the lists, and its seat, its
/// email and the roles it held are freed, in one transaction conditional on
/// the version read.
pub async fn close(app: &App, inv: &OneTime, now: Timestamp, event: &DomainEvent) -> Result<(), crm_store::StoreError> {
    let t = inv.tenant_id;
    let email = inv.payload["email"].as_str().unwrap_or_default().to_string();
    let done = OneTime { expired_at: Some(now), version: inv.version + 1, ..inv.clone() };
    let mut tx = Tx::new().put_if("invitation", done.to_item(Purpose::Invitation)?, Condition::version_is(inv.version)).emit_audited(event);
    if let Ok(e) = crate::email::Email::parse(&email) {
        // The email is freed only if it is still this invitation's.
        let mine = Condition::eq("user_id", AttributeValue::S(inv.user_id.to_string()));
        tx = tx.delete("email_owner", &email_marker_key(&e), Some(mine));
        tx = crate::seats::release(tx, t);
    }
    let roles: Vec<String> = serde_json::from_value(inv.payload["roles"].clone()).unwrap_or_default();
    tx = crate::role_holders::follow(tx, t, &roles, &[]);
    match app.store.transact(tx).await {
        // Someone else took the email meanwhile (say, a sign-up after a
        // manual release): expire the invitation alone.
        Err(crm_store::StoreError::ConditionFailed { label }) if label == "email_owner" => {
            let tx =
                Tx::new().put_if("invitation", done.to_item(Purpose::Invitation)?, Condition::version_is(inv.version)).emit_audited(event);
            let tx = crate::role_holders::follow(crate::seats::release(tx, t), t, &roles, &[]);
            app.store.transact(tx).await
        }
        other => other,
    }
}

/// Most times one invitation is sent again.
pub const RESENDS_MAX: i64 = 5;
/// Least time between two sends of one invitation.
pub const RESEND_EVERY_SECS: i64 = 60;

/// Whether an invitation sent `resends` times again, last at `last_sent`,
/// may be sent again at `now` (pure): `429` with the wait inside a minute
/// of the last send, `422 LIMIT_REACHED` past [`RESENDS_MAX`].
pub fn may_resend(resends: i64, last_sent: Option<Timestamp>, now: Timestamp) -> Result<(), crm_kernel::AppError> {
    if let Some(wait) = last_sent.map(|at| at.unix_seconds() + RESEND_EVERY_SECS - now.unix_seconds()).filter(|w| *w > 0) {
        return Err(crm_kernel::AppError::RateLimited { retry_after_secs: wait as u64 });
    }
    if resends >= RESENDS_MAX {
        return Err(crm_kernel::AppError::LimitReached { key: "invitations.resends".into(), limit: RESENDS_MAX });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resend_waits_a_minute_and_stops_at_the_maximum() {
        let now = Timestamp::now();
        assert!(may_resend(0, None, now).is_ok());
        let early = may_resend(1, Some(now.plus_seconds(-20)), now).unwrap_err();
        assert!(matches!(early, crm_kernel::AppError::RateLimited { retry_after_secs: 40 }), "{early:?}");
        assert!(may_resend(1, Some(now.plus_seconds(-60)), now).is_ok());
        assert_eq!(may_resend(RESENDS_MAX, Some(now.plus_seconds(-3600)), now).unwrap_err().code(), "LIMIT_REACHED");
    }
}
