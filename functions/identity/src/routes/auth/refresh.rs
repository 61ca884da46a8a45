//! `POST /v1/auth/refresh` — trades a refresh token (body `refresh_token`, or
//! the `crm_refresh` cookie) for a new access token *and a new refresh
//! token*. Presenting a token that was already rotated out revokes the whole
//! session (`401 AUTH_TOKEN_REUSED`): whoever holds the stolen copy and the
//! legitimate client are both logged out.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, Timestamp};
use crm_store::tx::Condition;
use crm_store::{StoreError, Tx};
use serde::Deserialize;
use serde_json::json;

use crate::model::{Session, Tenant, TenantStatus, User, UserStatus};
use crate::refresh::{decide, Decision, RefreshToken, REMEMBERED_HASHES};
use crate::{issue, App};

#[derive(Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    #[serde(default)]
    refresh_token: Option<String>,
}

fn invalid() -> AppError {
    AppError::Auth { code: "UNAUTHENTICATED", message: "invalid or expired refresh token".into() }
}

fn reused() -> AppError {
    AppError::Auth { code: "AUTH_TOKEN_REUSED", message: "this refresh token was already used; the session is revoked".into() }
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    crate::throttle::per_ip(app, &call, "refresh").await?;
    let req: RefreshRequest = if call.body_bytes()?.iter().all(u8::is_ascii_whitespace) { RefreshRequest::default() } else { call.json()? };
    let raw = issue::presented_refresh(&call, req.refresh_token.as_deref()).ok_or_else(invalid)?;
    let token = RefreshToken::parse(&raw).ok_or_else(invalid)?;
    let session: Session = app.store.get_as(&Session::key(token.tenant_id(), token.session_id())).await?.ok_or_else(invalid)?;
    let now = Timestamp::now();

    match decide(&session.current_hash, &session.previous_hashes, session.revoked_at.is_some(), session.expires_at, &token.hash(), now) {
        Decision::Unknown | Decision::Dead => Err(invalid()),
        Decision::Reused => revoke_family(app, &call, &session, now).await,
        Decision::Rotate => {
            let user: Option<User> = app.store.get_as(&User::key(session.tenant_id, session.user_id)).await?;
            let tenant: Option<Tenant> = app.store.get_as(&Tenant::key(session.tenant_id)).await?;
            let user = user.filter(|u| u.status == UserStatus::Active && u.deleted_at.is_none()).ok_or_else(invalid)?;
            if !session.is_live(now, user.sessions_valid_after) {
                return Err(invalid());
            }
            if tenant.map(|t| t.status) != Some(TenantStatus::Active) {
                return Err(AppError::Forbidden("this organisation is suspended".into()));
            }
            let next = RefreshToken::generate(session.tenant_id, session.id);
            let mut rotated = session.clone();
            rotated.previous_hashes.insert(0, session.current_hash.clone());
            rotated.previous_hashes.truncate(REMEMBERED_HASHES);
            rotated.current_hash = next.hash();
            rotated.last_used_at = now;
            rotated.version += 1;
            let event = super::super::event(
                &call,
                session.tenant_id,
                crm_events::types::AUTH_REFRESH_ROTATED,
                session.user_id,
                super::super::session_subject(&session),
                json!({}),
            );
            let tx = Tx::new().put_if("session", rotated.to_item()?, Condition::version_is(session.version)).emit_audited(&event);
            match app.store.transact(tx).await {
                Ok(()) => {
                    let (body, cookie) = issue::tokens(app, &user, &rotated, &next, now)?;
                    Ok(issue::reply_with(200, body, cookie))
                }
                // Someone rotated this same token a moment ago: it is a reuse.
                Err(StoreError::ConditionFailed { .. }) | Err(StoreError::TransactionConflict) => {
                    let fresh: Session = app.store.get_as(&Session::key(session.tenant_id, session.id)).await?.ok_or_else(invalid)?;
                    revoke_family(app, &call, &fresh, now).await
                }
                Err(e) => Err(e.into()),
            }
        }
    }
}

async fn revoke_family(app: &App, call: &Call, session: &Session, now: Timestamp) -> Result<Reply, AppError> {
    if session.revoked_at.is_none() {
        let event = super::super::event(
            call,
            session.tenant_id,
            crm_events::types::AUTH_TOKEN_REUSED,
            session.user_id,
            super::super::session_subject(session),
            json!({}),
        );
        let tx = super::super::revoke_tx(session, "refresh_token_reused", &event, now)?;
        if let Err(e) = app.store.transact(tx).await {
            // Revoked concurrently by the other request: the family is dead either way.
            tracing::warn!(error = %e, "revocation after reuse raced");
        }
    }
    Err(reused())
}
