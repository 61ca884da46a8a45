//! API keys: created with a scope (secret shown once), used as `X-API-Key`,
//! listed with last use, revoked.

use crate::helpers::{stack, TestApp};
use serde_json::{json, Value};

async fn with_key(key: &str, method: reqwest::Method, path: &str) -> reqwest::Response {
    reqwest::Client::new()
        .request(method, format!("{}{path}", stack().url))
        .header("x-api-key", key)
        .json(&json!({"body": "via key"}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_key_acts_within_its_scope_until_revoked() {
    let admin = TestApp::admin().await;
    let resp =
        admin.post("/v1/admin/api-keys").json(&json!({ "name": "website form", "permissions": ["note.read"] })).send().await.unwrap();
    assert_eq!(resp.status(), 201);
    let created: Value = resp.json().await.unwrap();
    let secret = created["data"]["secret"].as_str().unwrap().to_string();
    let id = created["data"]["id"].as_str().unwrap().to_string();
    assert!(secret.starts_with("crmk."));

    assert_eq!(with_key(&secret, reqwest::Method::GET, "/v1/notes").await.status(), 200);
    assert_eq!(with_key(&secret, reqwest::Method::POST, "/v1/notes").await.status(), 403, "outside its scope");
    let tampered = format!("{}x", &secret[..secret.len() - 1]);
    assert_eq!(with_key(&tampered, reqwest::Method::GET, "/v1/notes").await.status(), 401);

    let list = admin.get_json("/v1/admin/api-keys").await;
    let listed = &list["data"][0];
    assert_eq!(listed["id"], id.as_str());
    assert_eq!(listed["status"], "active");
    assert!(listed["last_used_at"].is_string(), "{listed}");
    assert!(!list.to_string().contains(&secret[secret.len() - 20..]), "the secret is never listed");

    let del = admin.http.delete(format!("{}/v1/admin/api-keys/{id}", admin.url)).bearer_auth(&admin.token).send().await.unwrap();
    assert_eq!(del.status(), 204);
    assert_eq!(with_key(&secret, reqwest::Method::GET, "/v1/notes").await.status(), 401);
    assert_eq!(admin.get_json("/v1/admin/api-keys").await["data"][0]["status"], "revoked");
}

#[tokio::test]
async fn keys_cannot_exceed_their_creator_nor_cross_tenants() {
    let admin = TestApp::admin().await;
    let manager = admin.colleague(&["manager"]).await;
    // A manager holds no apikey.manage at all.
    assert_eq!(
        manager.post("/v1/admin/api-keys").json(&json!({ "name": "x", "permissions": ["note.read"] })).send().await.unwrap().status(),
        403
    );

    for bad in [
        json!({ "name": "", "permissions": ["note.read"] }),
        json!({ "name": "x", "permissions": [] }),
        json!({ "name": "x", "permissions": ["root.everything"] }),
        json!({ "name": "x", "permissions": ["note.read"], "expires_at": "2001-01-01T00:00:00Z" }),
    ] {
        assert_eq!(admin.post("/v1/admin/api-keys").json(&bad).send().await.unwrap().status(), 400, "{bad}");
    }

    let other = TestApp::admin().await;
    let created: Value =
        crate::helpers::body_of(other.post("/v1/admin/api-keys").json(&json!({ "name": "theirs", "permissions": ["note.read"] }))).await;
    let id = created["data"]["id"].as_str().unwrap();
    let del = admin.http.delete(format!("{}/v1/admin/api-keys/{id}", admin.url)).bearer_auth(&admin.token).send().await.unwrap();
    assert_eq!(del.status(), 404);
    assert_eq!(admin.get_json("/v1/admin/api-keys").await["data"], json!([]));
}
