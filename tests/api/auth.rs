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

    let app = TestApp::admin().await;
    let sid = Some(app.session.as_str());
    let good = mint(&s.keys, app.tenant, app.user, sid, &["admin"], 300);
    assert_eq!(status_with(&format!("Bearer {good}")).await.0, 200);

    let expired = mint(&s.keys, app.tenant, app.user, sid, &["admin"], -120);
    let other_key = KeySet::generate("local-1").unwrap();
    let forged = mint(&other_key, app.tenant, app.user, sid, &["admin"], 300);
    let stranger = mint(&s.keys, TenantId::new(), UserId::new(), sid, &["admin"], 300);
    let sessionless = mint(&s.keys, app.tenant, app.user, None, &["admin"], 300);
    let other_session = mint(&s.keys, app.tenant, app.user, Some(&crm_kernel::EntityId::new().to_string()), &["admin"], 300);
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
        ("valid signature, no such tenant or user", format!("Bearer {stranger}")),
        ("valid signature, no session id", format!("Bearer {sessionless}")),
        ("valid signature, no such session", format!("Bearer {other_session}")),
        ("basic", "Basic dXNlcjpwYXNz".to_string()),
    ] {
        let (status, body) = status_with(&header).await;
        assert_eq!(status, 401, "{name}");
        assert_eq!(body["error"]["code"], "UNAUTHENTICATED", "{name}");
    }
}

#[tokio::test]
async fn permissions_are_denied_by_default() {
    let admin = TestApp::admin().await;
    let viewer = admin.colleague(&["viewer"]).await;
    let nobody = admin.colleague(&["no_such_role"]).await;

    let resp = viewer.post("/v1/notes").json(&serde_json::json!({"body": "hi"})).send().await.unwrap();
    assert_eq!(resp.status(), 403);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "FORBIDDEN");
    assert_eq!(viewer.get("/v1/notes").send().await.unwrap().status(), 200);

    for path in ["/v1/notes", "/v1/activity", "/v1/health"] {
        assert_eq!(nobody.get(path).send().await.unwrap().status(), 403, "{path}");
    }
}

#[tokio::test]
async fn suspension_and_role_changes_apply_to_the_next_request() {
    use crm_store::item::ItemExt;
    let admin = TestApp::admin().await;
    assert_eq!(admin.get("/v1/notes").send().await.unwrap().status(), 200);

    // The token says "admin", the user record now says "viewer": the record wins.
    let store = crate::helpers::fixture_store().await;
    let key = crm_store::keys::user(admin.tenant, &admin.user.to_string());
    let mut user: identity::model::User = store.get_as(&key).await.unwrap().unwrap();
    user.roles = vec!["viewer".into()];
    store.put(user.to_item().unwrap()).await.unwrap();
    let resp = admin.post("/v1/notes").json(&serde_json::json!({"body": "x"})).send().await.unwrap();
    assert_eq!(resp.status(), 403);

    // A suspended user, then a suspended tenant, are out at once.
    let colleague = admin.colleague(&["admin"]).await;
    let ckey = crm_store::keys::user(admin.tenant, &colleague.user.to_string());
    let item = store.get(&ckey).await.unwrap().unwrap().with_str("status", "suspended");
    store.put(item).await.unwrap();
    assert_eq!(colleague.get("/v1/notes").send().await.unwrap().status(), 401);

    let tkey = crm_store::keys::tenant(admin.tenant);
    let item = store.get(&tkey).await.unwrap().unwrap().with_str("status", "suspended");
    store.put(item).await.unwrap();
    assert_eq!(admin.get("/v1/notes").send().await.unwrap().status(), 401);
}
