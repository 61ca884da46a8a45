//! The authorizer and deny-by-default access.

use crate::helpers::{mint, stack, TestApp};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use crm_auth::KeySet;
use crm_kernel::{TenantId, UserId};
use serde_json::Value;

async fn status_with(token: &str) -> (u16, Value) {
    let resp = reqwest::Client::new().get(format!("{}/v1/notes", stack().url)).header("authorization", token).send().await.unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

#[tokio::test]
async fn missing_bad_expired_forged_and_alg_none_tokens_are_401() {
    let s = stack();
    let resp = reqwest::get(format!("{}/v1/notes", s.url)).await.unwrap();
    assert_eq!(resp.status(), 401);

    let good = mint(&s.keys, TenantId::new(), UserId::new(), &["admin"], 300);
    assert_eq!(status_with(&format!("Bearer {good}")).await.0, 200);

    let expired = mint(&s.keys, TenantId::new(), UserId::new(), &["admin"], -120);
    let other_key = KeySet::generate("local-1").unwrap();
    let forged = mint(&other_key, TenantId::new(), UserId::new(), &["admin"], 300);
    let parts: Vec<&str> = good.split('.').collect();
    let mut claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    claims["roles"] = serde_json::json!(["super_admin"]);
    let tampered = format!("{}.{}.{}", parts[0], URL_SAFE_NO_PAD.encode(claims.to_string()), parts[2]);
    let none = format!("{}.{}.", URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT","kid":"local-1"}"#), parts[1]);

    for (name, header) in [
        ("expired", format!("Bearer {expired}")),
        ("wrong key", format!("Bearer {forged}")),
        ("tampered", format!("Bearer {tampered}")),
        ("alg none", format!("Bearer {none}")),
        ("garbage", "Bearer abc.def.ghi".to_string()),
        ("basic", "Basic dXNlcjpwYXNz".to_string()),
    ] {
        let (status, body) = status_with(&header).await;
        assert_eq!(status, 401, "{name}");
        assert_eq!(body["error"]["code"], "UNAUTHENTICATED", "{name}");
    }
}

#[tokio::test]
async fn permissions_are_denied_by_default() {
    let admin = TestApp::admin();
    let viewer = admin.colleague(&["viewer"]);
    let nobody = admin.colleague(&["no_such_role"]);

    let resp = viewer.post("/v1/notes").json(&serde_json::json!({"body": "hi"})).send().await.unwrap();
    assert_eq!(resp.status(), 403);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "FORBIDDEN");
    assert_eq!(viewer.get("/v1/notes").send().await.unwrap().status(), 200);

    for path in ["/v1/notes", "/v1/activity", "/v1/health"] {
        assert_eq!(nobody.get(path).send().await.unwrap().status(), 403, "{path}");
    }
}
