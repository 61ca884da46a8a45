//! The demo tenant a newcomer sees after `make dev`, created through the API
//! itself. Idempotent: an existing demo tenant is left as it is.
//!
//! Sign-up and login arrive with the identity capability; until then the
//! local stack mints the demo admin's access token with the local signing key.

use crm_auth::AccessClaims;
use serde_json::{json, Value};

use crate::{RunningStack, Stack};

pub const DEMO_TENANT: &str = "01JDEM0TENANT0000000000000";
pub const DEMO_ADMIN: &str = "01JDEM0ADM1N00000000000000";

/// An access token for the demo admin, valid `ttl_secs` (local only).
pub fn demo_token(stack: &Stack, ttl_secs: i64) -> Result<String, String> {
    let now = chrono::Utc::now().timestamp();
    let mut claims = AccessClaims::new(DEMO_TENANT, DEMO_ADMIN, vec!["super_admin".into()], now);
    claims.exp = now + ttl_secs;
    stack.keys.signer().map_err(|e| e.to_string())?.sign(&claims).map_err(|e| e.to_string())
}

pub async fn demo(running: &RunningStack) -> Result<(), String> {
    let token = demo_token(&running.stack, 600)?;
    let client = reqwest::Client::new();
    let existing: Value = client
        .get(format!("{}/v1/notes?limit=1", running.url))
        .bearer_auth(&token)
        .send()
        .await
        .map_err(|e| format!("seed: {e}"))?
        .json()
        .await
        .map_err(|e| format!("seed: {e}"))?;
    if existing["data"].as_array().is_some_and(|a| !a.is_empty()) {
        return Ok(());
    }
    for body in [
        "Welcome to the CRM. This note was created through POST /v1/notes by the seed.",
        "Call Acme Corporation about the enterprise licence renewal.",
        "متابعة مع العميل بخصوص الوحدة السكنية في التجمع الخامس",
    ] {
        let resp = client
            .post(format!("{}/v1/notes", running.url))
            .bearer_auth(&token)
            .json(&json!({ "body": body }))
            .send()
            .await
            .map_err(|e| format!("seed: {e}"))?;
        if !resp.status().is_success() {
            return Err(format!("seed: POST /v1/notes answered {}", resp.status()));
        }
    }
    Ok(())
}
