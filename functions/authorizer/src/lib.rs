//! The Lambda authorizer of the HttpApi (payload 2.0, simple responses).
//!
//! It resolves *who* is calling and always lets the request through with
//! that answer in the context: either the principal, or `auth_error`. Each
//! route then enforces its declared access, so a missing or bad credential on
//! a protected route is a `401 UNAUTHENTICATED` in the API's own envelope
//! (an HTTP API authorizer that denies can only produce a bare 403) — see
//! `docs/adr/0003-authorizer-resolves-routes-enforce.md`.

use std::collections::HashMap;

use aws_lambda_events::apigw::{ApiGatewayV2CustomAuthorizerSimpleResponse, ApiGatewayV2CustomAuthorizerV2Request};
use crm_auth::access::{AccessModel, Overrides};
use crm_auth::opaque::{same_hash, OpaqueToken, API_KEY_PREFIX};
use crm_auth::rate::{Meter, RatePolicy, RateState};
use crm_auth::{AccessClaims, AuthMethod, Principal, TokenVerifier};
use crm_directory::{TenantView, UserView};
use crm_kernel::{TenantId, Timestamp, UserId};
use crm_store::{item, keys, Store};
use serde::Deserialize;
use serde_json::Value;

pub type Response = ApiGatewayV2CustomAuthorizerSimpleResponse<HashMap<String, Value>>;

pub struct Authorizer {
    verifier: TokenVerifier,
    store: Store,
    rate: RatePolicy,
    meter: Meter,
}

/// The tenant and the user are read through the directory
/// (`crm_directory::{TenantView, UserView}`); the session and the API key
/// are the authorizer's own views of identity's items.
///
/// The overrides of a user item, as the access model reads them; overrides
/// that do not read refuse the user (an override that narrows a plan must
/// never be dropped silently).
fn overrides_of(u: &UserView) -> Result<Overrides, &'static str> {
    if u.entitlement_overrides.is_null() {
        return Ok(Overrides::default());
    }
    serde_json::from_value(u.entitlement_overrides.clone()).map_err(|e| {
        tracing::error!(error = %e, user_id = %u.id, "a user's entitlement overrides do not read; refused");
        "user_inactive"
    })
}

#[derive(Deserialize)]
struct ApiKeyView {
    hash: String,
    permissions: Vec<String>,
    created_by: String,
    #[serde(default)]
    expires_at: Option<String>,
    #[serde(default)]
    revoked_at: Option<String>,
}

#[derive(Deserialize)]
struct SessionView {
    user_id: String,
    created_at: String,
    #[serde(default)]
    revoked_at: Option<String>,
}

/// The entitlements a tenant is served: restricted to what an unpaid
/// tenant keeps once its grace has run out (billing's dunning, ADR 0028).
fn billed(tenant: &TenantView, e: crm_auth::entitlements::Entitlements) -> crm_auth::entitlements::Entitlements {
    if tenant.restricted_at(Timestamp::now()) {
        e.restricted()
    } else {
        e
    }
}

/// Whether a session still carries requests for `user`: not revoked, its
/// owner's, and opened after the owner's last "log out everywhere" (pure).
fn session_live(session: Option<&SessionView>, user: &str, valid_after: Option<Timestamp>) -> bool {
    let Some(s) = session else { return false };
    let opened_after = match valid_after {
        None => true,
        Some(cut) => Timestamp::parse(&s.created_at).ok().is_some_and(|c| c >= cut),
    };
    s.revoked_at.is_none() && s.user_id == user && opened_after
}

/// What an API key may do: its own codes that its creator holds *now*,
/// never identity administration (`rbac::NOT_FOR_KEYS`).
fn key_permissions(key: &[String], creator: &std::collections::BTreeSet<String>) -> std::collections::BTreeSet<String> {
    key.iter().filter(|p| crm_auth::rbac::key_may_hold(p) && creator.contains(*p)).cloned().collect()
}

/// The access token of a request, verified (signature, `alg`, `kid`, `iss`,
/// `aud`, `exp`) — no I/O.
pub fn credentials(verifier: &TokenVerifier, req: &ApiGatewayV2CustomAuthorizerV2Request) -> Result<AccessClaims, &'static str> {
    let header = req.headers.get("authorization").and_then(|v| v.to_str().ok()).ok_or("missing_credentials")?;
    let token = header.strip_prefix("Bearer ").or_else(|| header.strip_prefix("bearer ")).ok_or("unsupported_scheme")?;
    verifier.verify(token.trim()).map_err(|_| "invalid_token")
}

impl Authorizer {
    pub fn new(verifier: TokenVerifier, store: Store, rate: RatePolicy) -> Self {
        Self { verifier, store, rate, meter: Meter::default() }
    }

    /// From `JWT_PUBLIC_KEYS` (`{"kid": "base64url-x"}`) and the table settings.
    pub fn from_env(config: &aws_config::SdkConfig, env: &crm_kernel::Env) -> Result<Self, String> {
        let verifier = TokenVerifier::from_public_keys_json(env.require("JWT_PUBLIC_KEYS")?).map_err(|e| e.to_string())?;
        let rate = RatePolicy::from_settings(env.get("RATE_LIMIT_WINDOW_SECS"), env.get("RATE_LIMITS"))?;
        Ok(Self::new(verifier, Store::from_config(config, env).map_err(|e| e.to_string())?, rate))
    }

    /// Resolves the principal of a request, or the reason there is none.
    /// Beyond the token, one `BatchGetItem` checks that the tenant and the
    /// user are active and the session not revoked, and takes the user's
    /// *current* roles: a suspension, a logout or a role change applies to
    /// the very next request, not when the token expires. The same read takes
    /// the tenant's access model: the roles of the user's groups, the role
    /// hierarchy and the entitlement overrides apply just as instantly.
    ///
    /// It also reads the tenant's current rate-limit window ([`Self::count`]):
    /// `(principal, plan, the window and its count in the table)`.
    pub async fn resolve(&self, req: &ApiGatewayV2CustomAuthorizerV2Request) -> Result<(Principal, String, Window), &'static str> {
        let window = self.rate.window_start(Timestamp::now().unix_seconds());
        if let Some(raw) = req.headers.get("x-api-key").and_then(|v| v.to_str().ok()) {
            return self.resolve_api_key(raw, window).await;
        }
        let claims = credentials(&self.verifier, req)?;
        let tenant = TenantId::parse(&claims.tid).map_err(|_| "invalid_token")?;
        let user = UserId::parse(&claims.sub).map_err(|_| "invalid_token")?;
        // Every access token belongs to a session: one without is refused.
        let sid = claims.sid.clone().ok_or("session_required")?;
        let wanted = vec![
            keys::tenant(tenant),
            keys::user(tenant, &claims.sub),
            keys::tenant_access(tenant),
            keys::session(tenant, &sid),
            keys::rate_window(tenant, window),
        ];
        let found = self.store.get_many(&wanted).await.map_err(|e| {
            tracing::error!(error = %e, "authorizer cannot read the principal");
            "unavailable"
        })?;
        let tenant_view: TenantView = found[0].clone().and_then(|i| item::from_item(i).ok()).ok_or("tenant_inactive")?;
        if !tenant_view.is_active() {
            return Err("tenant_inactive");
        }
        let user_view: UserView = found[1].clone().and_then(|i| item::from_item(i).ok()).ok_or("user_inactive")?;
        if !user_view.is_active() {
            return Err("user_inactive");
        }
        let session: Option<SessionView> = found.get(3).cloned().flatten().and_then(|i| item::from_item(i).ok());
        if !session_live(session.as_ref(), &claims.sub, user_view.sessions_valid_after) {
            return Err("session_revoked");
        }
        let access: AccessModel = found[2].clone().and_then(|i| item::from_item(i).ok()).unwrap_or_default();
        let roles = access.effective_roles(&user_view.roles, &user_view.group_ids);
        let scope = access.scope(&roles, &user_view.group_ids);
        let principal = Principal {
            tenant_id: tenant,
            user_id: user,
            permissions: access.permissions(&roles),
            roles,
            method: AuthMethod::AccessToken,
            session_id: claims.sid,
            entitlements: billed(&tenant_view, access.entitlements(&tenant_view.plan, &user_view.group_ids, &overrides_of(&user_view)?).0),
            scope,
            email_verified: user_view.is_verified,
        };
        Ok((principal, tenant_view.plan, Window::read(window, found.get(4))))
    }

    /// An API key: tenant active, key neither revoked nor expired, secret
    /// matching, creator active; the key's own permissions that its creator
    /// still holds, acting for its creator. Two reads: the key names its creator.
    async fn resolve_api_key(&self, raw: &str, window: i64) -> Result<(Principal, String, Window), &'static str> {
        let token = OpaqueToken::parse(Some(API_KEY_PREFIX), raw).ok_or("invalid_api_key")?;
        let found = self
            .store
            .get_many(&[
                keys::tenant(token.tenant_id),
                keys::api_key(token.tenant_id, &token.id.to_string()),
                keys::tenant_access(token.tenant_id),
                keys::rate_window(token.tenant_id, window),
            ])
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "authorizer cannot read the API key");
                "unavailable"
            })?;
        let tenant: TenantView = found[0].clone().and_then(|i| item::from_item(i).ok()).ok_or("tenant_inactive")?;
        if !tenant.is_active() {
            return Err("tenant_inactive");
        }
        let key: ApiKeyView = found[1].clone().and_then(|i| item::from_item(i).ok()).ok_or("invalid_api_key")?;
        let now = Timestamp::now();
        let expired = key.expires_at.as_deref().and_then(|e| Timestamp::parse(e).ok()).is_some_and(|e| e <= now);
        if !same_hash(&key.hash, &token.hash()) || key.revoked_at.is_some() || expired {
            return Err("invalid_api_key");
        }
        let creator = UserId::parse(&key.created_by).map_err(|_| "invalid_api_key")?;
        // A key dies with its creator: it acts for them, so it needs them
        // active, and it can never do more than they can do today.
        let owner: UserView = self
            .store
            .get_as(&keys::user(token.tenant_id, &key.created_by))
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "authorizer cannot read the API key's creator");
                "unavailable"
            })?
            .ok_or("api_key_owner_inactive")?;
        if !owner.is_active() {
            return Err("api_key_owner_inactive");
        }
        let access: AccessModel = found[2].clone().and_then(|i| item::from_item::<AccessModel>(i).ok()).unwrap_or_default();
        let owner_roles = access.effective_roles(&owner.roles, &owner.group_ids);
        let owner_permissions = access.permissions(&owner_roles);
        // The key sees what its creator sees, within what its creator is entitled to.
        let principal = Principal {
            tenant_id: token.tenant_id,
            user_id: creator,
            scope: access.scope(&owner_roles, &owner.group_ids),
            roles: owner_roles,
            permissions: key_permissions(&key.permissions, &owner_permissions),
            method: AuthMethod::ApiKey,
            session_id: None,
            entitlements: billed(&tenant, access.entitlements(&tenant.plan, &owner.group_ids, &overrides_of(&owner)?).0),
            email_verified: owner.is_verified,
        };
        let cutoff = now.plus_seconds(-60).to_string();
        self.store.touch(&keys::api_key(token.tenant_id, &token.id.to_string()), "last_used_at", &now.to_string(), &cutoff).await;
        Ok((principal, tenant.plan, Window::read(window, found.get(3))))
    }

    /// Counts the request in the tenant's window, as read with the principal
    /// (the same window, so a request at a window's edge counts in one). The count goes to the table in batches
    /// ([`Meter`], ADR 0019): about one write per ten requests. A counter
    /// that cannot be written does not block the request (fail open on the
    /// limit, never on identity); its requests are written with the next batch.
    async fn count(&self, principal: &Principal, plan: &str, window: Window) -> RateState {
        let (start, tenant) = (window.start, principal.tenant_id);
        let step = self.meter.step(tenant, start, window.count, self.rate.limit(plan));
        if let Some(n) = step.flush {
            let key = keys::rate_window(tenant, start);
            match self.store.increment(&key, "count", n, start + self.rate.window_secs + 60).await {
                Ok(total) => self.meter.flushed(tenant, start, total),
                Err(e) => {
                    tracing::warn!(error = %e, "rate counter unavailable");
                    self.meter.unflushed(tenant, start, n);
                }
            }
        }
        self.rate.state(plan, step.estimate, start)
    }

    /// The Lambda entry: the authorizer event as JSON, the simple response as JSON.
    pub async fn run(&self, event: Value) -> Result<Value, String> {
        let req: ApiGatewayV2CustomAuthorizerV2Request = crm_runtime::decode("authorizer", event)?;
        serde_json::to_value(self.handle(&req).await).map_err(|e| e.to_string())
    }

    pub async fn handle(&self, req: &ApiGatewayV2CustomAuthorizerV2Request) -> Response {
        let mut response = Response::default();
        response.is_authorized = true;
        response.context = match self.resolve(req).await {
            Ok((principal, plan, window)) => {
                let mut ctx = principal.to_context();
                let rate = self.count(&principal, &plan, window).await;
                ctx.insert("rate_limit".into(), Value::String(rate.limit.to_string()));
                ctx.insert("rate_remaining".into(), Value::String(rate.remaining.to_string()));
                ctx.insert("rate_reset".into(), Value::String(rate.reset.to_string()));
                ctx
            }
            Err(reason) => HashMap::from([("auth_error".to_string(), Value::String(reason.into()))]),
        };
        response
    }
}

/// A tenant's rate-limit window as read with its principal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Its start (epoch seconds).
    pub start: i64,
    /// Its count in the table (none yet: 0).
    pub count: i64,
}

impl Window {
    fn read(start: i64, item: Option<&Option<crm_store::Item>>) -> Self {
        let count = item.and_then(Option::as_ref).and_then(|i| i.get("count")).and_then(|v| v.as_n().ok()).and_then(|n| n.parse().ok());
        Self { start, count: count.unwrap_or(0) }
    }
}

crm_runtime::function! {
    binary: "authorizer",
    app: Authorizer,
    build: Authorizer::from_env,
    handlers: { json "authorizer" => Authorizer::run },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crm_auth::KeySet;

    fn request(auth: Option<&str>) -> ApiGatewayV2CustomAuthorizerV2Request {
        let mut req = ApiGatewayV2CustomAuthorizerV2Request::default();
        if let Some(a) = auth {
            req.headers.insert("authorization", a.parse().unwrap());
        }
        req
    }

    fn now() -> i64 {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
    }

    #[test]
    fn a_valid_bearer_token_yields_its_claims() {
        let keys = KeySet::generate("k1").unwrap();
        let tenant = TenantId::new();
        let token = keys
            .signer()
            .unwrap()
            .sign(&AccessClaims::new(&tenant.to_string(), &UserId::new().to_string(), vec!["viewer".into()], now()))
            .unwrap();
        let claims = credentials(&keys.verifier().unwrap(), &request(Some(&format!("Bearer {token}")))).unwrap();
        assert_eq!(claims.tid, tenant.to_string());
    }

    #[test]
    fn a_session_dies_with_its_revocation_its_owner_and_a_later_logout_everywhere() {
        let s = |user: &str, created: &str, revoked: Option<&str>| SessionView {
            user_id: user.into(),
            created_at: created.into(),
            revoked_at: revoked.map(str::to_string),
        };
        let open = s("U1", "2026-12-01T10:00:00.000Z", None);
        assert!(session_live(Some(&open), "U1", None));
        assert!(!session_live(None, "U1", None), "no session, no access");
        assert!(!session_live(Some(&open), "U2", None), "another user's session");
        assert!(!session_live(Some(&s("U1", "2026-12-01T10:00:00.000Z", Some("x"))), "U1", None), "revoked");
        assert!(!session_live(Some(&open), "U1", Timestamp::parse("2026-12-01T10:00:00.001Z").ok()), "opened before the logout everywhere");
        assert!(session_live(Some(&open), "U1", Timestamp::parse("2026-12-01T10:00:00.000Z").ok()), "opened at or after it");
    }

    #[test]
    fn a_key_holds_what_its_creator_holds_now_and_never_identity_admin() {
        let creator: std::collections::BTreeSet<String> = ["contact.read", "apikey.manage"].iter().map(|s| s.to_string()).collect();
        let key = vec!["contact.read".to_string(), "contact.create".into(), "apikey.manage".into(), "bogus".into()];
        assert_eq!(key_permissions(&key, &creator).into_iter().collect::<Vec<_>>(), vec!["contact.read".to_string()]);
    }

    #[test]
    fn bad_credentials_carry_the_reason() {
        let keys = KeySet::generate("k1").unwrap();
        let verifier = keys.verifier().unwrap();
        for (header, reason) in
            [(None, "missing_credentials"), (Some("Basic abc"), "unsupported_scheme"), (Some("Bearer x.y.z"), "invalid_token")]
        {
            assert_eq!(credentials(&verifier, &request(header)).unwrap_err(), reason);
        }
    }
}
