//! One module per route: `routes/{resource}/{action}.rs`.

pub mod admin;
pub mod auth;
pub mod ops;
pub mod phone;
pub mod sessions;
pub mod totp;
pub mod twofa;

use crm_events::audit::AuditExt;
use crm_events::{DomainEvent, Subject};
use crm_http::Call;
use crm_kernel::{AppError, Timestamp, UserId};
use crm_store::tx::Condition;
use crm_store::Tx;

use crate::model::Session;

pub(crate) use crate::request_event::event;

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

/// Cleanup after a "log out everywhere": adds the revocation of up to 40
/// open sessions of `user` to `tx`, so the session list shows them ended.
/// The guarantee is not this but `User::sessions_valid_after`, which the
/// caller sets in the same transaction and the authorizer and refresh read.
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
        .limit(crm_kernel::Limit::parse(Some("40"))?);
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

/// Adds the revocation of `user`'s API keys to `tx`, each audited as
/// `apikey.revoked` with the reason — as many as the transaction has room
/// for (three operations a key, a few kept for the caller). The rest need
/// no write: the authorizer refuses a key whose creator is not active.
pub(crate) async fn revoke_api_keys(
    app: &crate::App,
    call: &Call,
    tenant: crm_kernel::TenantId,
    user: UserId,
    reason: &str,
    now: Timestamp,
    mut tx: Tx,
) -> Result<Tx, AppError> {
    use crate::model::{ApiKey, API_KEY};
    use crm_store::{item, keys, Index, Query};
    let mut cursor = None;
    let mut revoked = 0;
    let room = |tx: &Tx| crm_store::tx::MAX_OPERATIONS.saturating_sub(tx.len() + 4) / 3;
    loop {
        let q = Query::index(tenant, Index::ByKind, keys::by_kind_pk(tenant, API_KEY))
            .filter_eq("created_by", user.to_string())
            .limit(crm_kernel::Limit::max())
            .after(cursor);
        let page = app.store.query(q).await?;
        for k in page.items.into_iter().map(item::from_item::<ApiKey>).collect::<Result<Vec<_>, _>>()? {
            if k.revoked_at.is_some() || room(&tx) == 0 {
                continue;
            }
            let mut next = k.clone();
            next.revoked_at = Some(now);
            next.version += 1;
            let e = event(
                call,
                tenant,
                crm_events::types::APIKEY_REVOKED,
                user,
                crm_events::Subject { kind: "api_key".into(), id: k.id.to_string() },
                serde_json::json!({ "name": k.name, "reason": reason }),
            );
            tx = tx.put_if("api_key", next.to_item()?, Condition::version_is(k.version)).emit_audited(&e);
            revoked += 1;
        }
        match page.next_cursor {
            Some(c) if room(&tx) > 0 => cursor = Some(c),
            _ => {
                tracing::debug!(revoked, "keys revoked with their creator");
                return Ok(tx);
            }
        }
    }
}
