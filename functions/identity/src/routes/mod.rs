//! One module per route: `routes/{resource}/{action}.rs`.

pub mod admin;
pub mod auth;
pub mod ops;
pub mod phone;
pub mod sessions;
pub mod totp;
pub mod twofa;

use crm_events::audit::AuditExt;
use crm_events::{Actor, DomainEvent, Subject};
use crm_http::Call;
use crm_kernel::{AppError, Timestamp, UserId};
use crm_store::tx::Condition;
use crm_store::Tx;
use serde_json::Value;

use crate::model::Session;

/// A domain event caused by `actor` about `subject`, tagged with the request.
pub(crate) fn event(
    call: &Call,
    session_tenant: crm_kernel::TenantId,
    kind: &str,
    actor: UserId,
    subject: Subject,
    data: Value,
) -> DomainEvent {
    let mut data = data;
    if let Value::Object(map) = &mut data {
        map.insert("ip".into(), Value::String(call.ctx.source_ip.clone()));
        map.insert("user_agent".into(), Value::String(call.ctx.user_agent.chars().take(256).collect()));
    }
    DomainEvent::new(session_tenant, kind, Actor::user(actor), subject, data).with_request_id(call.request_id())
}

pub(crate) fn session_subject(s: &Session) -> Subject {
    Subject { kind: "session".into(), id: s.id.to_string() }
}

/// Revokes a session (conditional on the version read) and records why.
pub(crate) fn revoke_tx(session: &Session, reason: &str, event: &DomainEvent, now: Timestamp) -> Result<Tx, AppError> {
    let mut revoked = session.clone();
    revoked.revoked_at = Some(now);
    revoked.revoked_reason = Some(reason.into());
    revoked.version += 1;
    Ok(Tx::new().put_if("session", revoked.to_item()?, Condition::version_is(session.version)).emit_audited(event))
}

/// Argon2 work off the async executor.
pub(crate) async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, AppError> {
    tokio::task::spawn_blocking(f).await.map_err(AppError::internal)
}

/// Adds the revocation of every open session of `user` (up to 80; the
/// authorizer's status and session checks cover the rest) to `tx`.
pub(crate) async fn revoke_sessions(
    app: &crate::App,
    tenant: crm_kernel::TenantId,
    user: UserId,
    reason: &str,
    now: Timestamp,
    mut tx: Tx,
) -> Result<Tx, AppError> {
    use crm_store::{item, keys, Index, Query};
    let q = Query::index(tenant, Index::ByOwner, keys::by_owner_pk(tenant, crate::model::SESSION, &user.to_string()))
        .limit(crm_kernel::Limit::parse(Some("80"))?);
    for s in app.store.query(q).await?.items.into_iter().map(item::from_item::<Session>).collect::<Result<Vec<_>, _>>()? {
        if s.is_active(now) {
            let mut revoked = s.clone();
            revoked.revoked_at = Some(now);
            revoked.revoked_reason = Some(reason.into());
            revoked.version += 1;
            tx = tx.put_if("session", revoked.to_item()?, Condition::version_is(s.version));
        }
    }
    Ok(tx)
}
