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
use crm_auth::{AuthMethod, Principal, TokenVerifier};
use crm_kernel::{TenantId, UserId};
use serde_json::Value;

pub type Response = ApiGatewayV2CustomAuthorizerSimpleResponse<HashMap<String, Value>>;

pub struct Authorizer {
    verifier: TokenVerifier,
}

impl Authorizer {
    pub fn new(verifier: TokenVerifier) -> Self {
        Self { verifier }
    }

    /// From `JWT_PUBLIC_KEYS` (`{"kid": "base64url-x"}`).
    pub fn from_env(env: &crm_kernel::Env) -> Result<Self, String> {
        TokenVerifier::from_public_keys_json(env.require("JWT_PUBLIC_KEYS")?).map(Self::new).map_err(|e| e.to_string())
    }

    /// Resolves the principal of a request, or the reason there is none.
    pub fn resolve(&self, req: &ApiGatewayV2CustomAuthorizerV2Request) -> Result<Principal, &'static str> {
        let header = req.headers.get("authorization").and_then(|v| v.to_str().ok()).ok_or("missing_credentials")?;
        let token = header.strip_prefix("Bearer ").or_else(|| header.strip_prefix("bearer ")).ok_or("unsupported_scheme")?;
        let claims = self.verifier.verify(token.trim()).map_err(|_| "invalid_token")?;
        let tenant = TenantId::parse(&claims.tid).map_err(|_| "invalid_token")?;
        let user = UserId::parse(&claims.sub).map_err(|_| "invalid_token")?;
        let mut principal = Principal::with_roles(tenant, user, claims.roles, AuthMethod::AccessToken);
        principal.session_id = claims.sid;
        Ok(principal)
    }

    pub fn handle(&self, req: &ApiGatewayV2CustomAuthorizerV2Request) -> Response {
        let mut response = Response::default();
        response.is_authorized = true;
        response.context = match self.resolve(req) {
            Ok(principal) => principal.to_context(),
            Err(reason) => HashMap::from([("auth_error".to_string(), Value::String(reason.into()))]),
        };
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crm_auth::{AccessClaims, KeySet};

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
    fn valid_token_yields_the_principal() {
        let keys = KeySet::generate("k1").unwrap();
        let auth = Authorizer::new(keys.verifier().unwrap());
        let tenant = TenantId::new();
        let user = UserId::new();
        let token =
            keys.signer().unwrap().sign(&AccessClaims::new(&tenant.to_string(), &user.to_string(), vec!["viewer".into()], now())).unwrap();
        let resp = auth.handle(&request(Some(&format!("Bearer {token}"))));
        assert!(resp.is_authorized);
        assert_eq!(resp.context["tenant_id"], Value::String(tenant.to_string()));
        assert!(resp.context["permissions"].as_str().unwrap().contains("note.read"));
    }

    #[test]
    fn bad_credentials_carry_the_reason_and_no_principal() {
        let keys = KeySet::generate("k1").unwrap();
        let auth = Authorizer::new(keys.verifier().unwrap());
        for (header, reason) in
            [(None, "missing_credentials"), (Some("Basic abc"), "unsupported_scheme"), (Some("Bearer x.y.z"), "invalid_token")]
        {
            let resp = auth.handle(&request(header));
            assert_eq!(resp.context.get("auth_error"), Some(&Value::String(reason.into())));
            assert!(!resp.context.contains_key("tenant_id"));
        }
    }
}
