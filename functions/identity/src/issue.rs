//! Issuing credentials: a new session (refresh-token family) and the answer
//! that carries the tokens — in the body for non-browser clients and as an
//! HTTP-only cookie for browsers.

use crm_auth::token::ACCESS_TOKEN_TTL_SECS;
use crm_auth::AccessClaims;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, EntityId, Timestamp};

use crate::model::{Session, User};
use crate::refresh::{RefreshToken, REFRESH_TTL_SECS};
use crate::App;

pub const REFRESH_COOKIE: &str = "crm_refresh";

/// A fresh session for `user`, with its first refresh token.
pub fn new_session(user: &User, call: &Call, now: Timestamp) -> (Session, RefreshToken) {
    let id = EntityId::new();
    let token = RefreshToken::generate(user.tenant_id, id);
    let session = Session {
        id,
        tenant_id: user.tenant_id,
        user_id: user.id,
        current_hash: token.hash(),
        previous_hashes: Vec::new(),
        created_at: now,
        last_used_at: now,
        expires_at: now.plus_seconds(REFRESH_TTL_SECS),
        revoked_at: None,
        revoked_reason: None,
        user_agent: call.ctx.user_agent.chars().take(256).collect(),
        ip: call.ctx.source_ip.clone(),
        version: 1,
    };
    (session, token)
}

/// `Set-Cookie` for the refresh token (path-scoped to the auth routes).
pub fn refresh_cookie(token: &RefreshToken) -> String {
    format!("{REFRESH_COOKIE}={}; Path=/v1/auth; Max-Age={REFRESH_TTL_SECS}; HttpOnly; Secure; SameSite=Strict", token.to_wire())
}

/// `Set-Cookie` that removes the refresh token.
pub fn clear_cookie() -> String {
    format!("{REFRESH_COOKIE}=; Path=/v1/auth; Max-Age=0; HttpOnly; Secure; SameSite=Strict")
}

/// The refresh token of a request: the body's `refresh_token`, else the cookie.
pub fn presented_refresh(call: &Call, body: Option<&str>) -> Option<String> {
    if let Some(b) = body.filter(|b| !b.is_empty()) {
        return Some(b.to_string());
    }
    call.header("cookie")?.split(';').map(str::trim).find_map(|c| c.strip_prefix(&format!("{REFRESH_COOKIE}="))).map(str::to_string)
}

/// The token bundle, and the reply carrying it.
pub fn tokens(app: &App, user: &User, session: &Session, refresh: &RefreshToken, now: Timestamp) -> Result<(Tokens, String), AppError> {
    let mut claims = AccessClaims::new(&user.tenant_id.to_string(), &user.id.to_string(), user.roles.clone(), now.unix_seconds());
    claims.sid = Some(session.id.to_string());
    let access = app.signer()?.sign(&claims).map_err(AppError::internal)?;
    let body = Tokens {
        access_token: access,
        token_type: "Bearer",
        expires_in: ACCESS_TOKEN_TTL_SECS,
        refresh_token: refresh.to_wire(),
        refresh_expires_at: session.expires_at,
        session_id: session.id,
    };
    Ok((body, refresh_cookie(refresh)))
}

pub fn reply_with(status: u16, data: impl serde::Serialize, cookie: String) -> Reply {
    Reply::with_status(status, data).header("set-cookie", cookie)
}

/// A session's tokens (the refresh token also goes in an `HttpOnly` cookie).
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Tokens {
    /// A JWT for `Authorization: Bearer …`.
    pub access_token: String,
    pub token_type: &'static str,
    /// Seconds the access token lives.
    pub expires_in: i64,
    pub refresh_token: String,
    pub refresh_expires_at: Timestamp,
    pub session_id: crm_kernel::EntityId,
}

/// A signed-in user and their tokens (`login`, `accept-invite`).
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct SignedIn {
    pub user: crate::model::UserView,
    pub tokens: Tokens,
}
