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
use crm_auth::{AccessClaims, AuthMethod, Principal, TokenVerifier};
use crm_kernel::{TenantId, UserId};
use crm_store::{item, keys, Store};
use serde::Deserialize;
use serde_json::Value;

pub type Response = ApiGatewayV2CustomAuthorizerSimpleResponse<HashMap<String, Value>>;

pub struct Authorizer {
    verifier: TokenVerifier,
    store: Store,
}

/// What the authorizer reads of the tenant, the user and the session.
#[derive(Deserialize)]
struct TenantView {
    status: String,
}

#[derive(Deserialize)]
struct UserView {
    status: String,
    roles: Vec<String>,
}

#[derive(Deserialize)]
struct SessionView {
    user_id: String,
    #[serde(default)]
    revoked_at: Option<String>,
}

/// The access token of a request, verified (signature, `alg`, `kid`, `iss`,
/// `aud`, `exp`) — no I/O.
pub fn credentials(verifier: &TokenVerifier, req: &ApiGatewayV2CustomAuthorizerV2Request) -> Result<AccessClaims, &'static str> {
    let header = req.headers.get("authorization").and_then(|v| v.to_str().ok()).ok_or("missing_credentials")?;
    let token = header.strip_prefix("Bearer ").or_else(|| header.strip_prefix("bearer ")).ok_or("unsupported_scheme")?;
    verifier.verify(token.trim()).map_err(|_| "invalid_token")
}

impl Authorizer {
    pub fn new(verifier: TokenVerifier, store: Store) -> Self {
        Self { verifier, store }
    }

    /// From `JWT_PUBLIC_KEYS` (`{"kid": "base64url-x"}`) and the table settings.
    pub fn from_env(config: &aws_config::SdkConfig, env: &crm_kernel::Env) -> Result<Self, String> {
        let verifier = TokenVerifier::from_public_keys_json(env.require("JWT_PUBLIC_KEYS")?).map_err(|e| e.to_string())?;
        Ok(Self::new(verifier, Store::from_config(config, env).map_err(|e| e.to_string())?))
    }

    /// Resolves the principal of a request, or the reason there is none.
    /// Beyond the token, one `BatchGetItem` checks that the tenant and the
    /// user are active and the session not revoked, and takes the user's
    /// *current* roles: a suspension, a logout or a role change applies to
    /// the very next request, not when the token expires.
    pub async fn resolve(&self, req: &ApiGatewayV2CustomAuthorizerV2Request) -> Result<Principal, &'static str> {
        let claims = credentials(&self.verifier, req)?;
        let tenant = TenantId::parse(&claims.tid).map_err(|_| "invalid_token")?;
        let user = UserId::parse(&claims.sub).map_err(|_| "invalid_token")?;
        let mut wanted = vec![keys::tenant(tenant), keys::user(tenant, &claims.sub)];
        if let Some(sid) = &claims.sid {
            wanted.push(keys::session(tenant, sid));
        }
        let found = self.store.get_many(&wanted).await.map_err(|e| {
            tracing::error!(error = %e, "authorizer cannot read the principal");
            "unavailable"
        })?;
        let tenant_view: Option<TenantView> = found[0].clone().and_then(|i| item::from_item(i).ok());
        if tenant_view.map(|t| t.status) != Some("active".into()) {
            return Err("tenant_inactive");
        }
        let user_view: UserView = found[1].clone().and_then(|i| item::from_item(i).ok()).ok_or("user_inactive")?;
        if user_view.status != "active" {
            return Err("user_inactive");
        }
        if claims.sid.is_some() {
            let session: Option<SessionView> = found.get(2).cloned().flatten().and_then(|i| item::from_item(i).ok());
            match session {
                Some(s) if s.revoked_at.is_none() && s.user_id == claims.sub => {}
                _ => return Err("session_revoked"),
            }
        }
        let mut principal = Principal::with_roles(tenant, user, user_view.roles, AuthMethod::AccessToken);
        principal.session_id = claims.sid;
        Ok(principal)
    }

    pub async fn handle(&self, req: &ApiGatewayV2CustomAuthorizerV2Request) -> Response {
        let mut response = Response::default();
        response.is_authorized = true;
        response.context = match self.resolve(req).await {
            Ok(principal) => principal.to_context(),
            Err(reason) => HashMap::from([("auth_error".to_string(), Value::String(reason.into()))]),
        };
        response
    }
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
