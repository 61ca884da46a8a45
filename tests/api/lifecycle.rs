//! Suspend, deactivate, reactivate, force-logout: effective on the next
//! request; seats follow deactivation.

use crate::helpers::stack;
use serde_json::{json, Value};

async fn call(method: reqwest::Method, path: &str, token: Option<&str>, body: Option<Value>) -> (u16, Value) {
    let mut req = reqwest::Client::new().request(method, format!("{}{path}", stack().url));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap_or(Value::Null))
}

fn unique(prefix: &str) -> String {
    format!("{prefix}{}@life.example.com", ulid::Ulid::new().to_string().to_lowercase())
}

async fn login(email: &str) -> (u16, Value) {
    call(reqwest::Method::POST, "/v1/auth/login", None, Some(json!({ "email": email, "password": "s3cret-pass" }))).await
}

#[tokio::test]
async fn lifecycle_applies_at_once_and_moves_seats() {
    let post = reqwest::Method::POST;
    let owner = unique("owner");
    let (_, reg) = call(
        post.clone(),
        "/v1/auth/register-super-admin",
        None,
        Some(json!({ "tenant_name": "L", "email": owner, "password": "s3cret-pass", "full_name": "O" })),
    )
    .await;
    let admin = reg["data"]["access_token"].as_str().unwrap().to_string();
    crate::helpers::verify_email(&owner).await;
    let email = unique("rep");
    let (s, created) = call(
        post.clone(),
        "/v1/admin/users",
        Some(&admin),
        Some(json!({ "email": email, "full_name": "Rep", "password": "s3cret-pass", "roles": ["sales_rep"] })),
    )
    .await;
    assert_eq!(s, 201);
    let id = created["data"]["id"].as_str().unwrap().to_string();
    let (_, l) = login(&email).await;
    let rep_token = l["data"]["tokens"]["access_token"].as_str().unwrap().to_string();
    let rep_refresh = l["data"]["tokens"]["refresh_token"].as_str().unwrap().to_string();
    assert_eq!(call(reqwest::Method::GET, "/v1/notes", Some(&rep_token), None).await.0, 200);

    // Suspend: the rep's token, refresh token and password all stop working.
    let (s, b) = call(post.clone(), &format!("/v1/admin/users/{id}/suspend"), Some(&admin), None).await;
    assert_eq!((s, b["data"]["status"].as_str()), (200, Some("suspended")));
    assert_eq!(call(reqwest::Method::GET, "/v1/notes", Some(&rep_token), None).await.0, 401);
    assert_eq!(call(post.clone(), "/v1/auth/refresh", None, Some(json!({ "refresh_token": rep_refresh }))).await.0, 401);
    assert_eq!(login(&email).await.0, 403);
    assert_eq!(call(post.clone(), &format!("/v1/admin/users/{id}/suspend"), Some(&admin), None).await.0, 409, "already suspended");

    let (s, _) = call(post.clone(), &format!("/v1/admin/users/{id}/reactivate"), Some(&admin), None).await;
    assert_eq!(s, 200);
    assert_eq!(login(&email).await.0, 200);

    // Deactivate frees the seat; reactivating takes it back.
    let seats = |t: String| async move {
        call(reqwest::Method::GET, "/v1/admin/plan", Some(&t), None).await.1["data"]["usage"]["seats.used"].clone()
    };
    assert_eq!(seats(admin.clone()).await, 2);
    assert_eq!(call(post.clone(), &format!("/v1/admin/users/{id}/deactivate"), Some(&admin), None).await.0, 200);
    assert_eq!(seats(admin.clone()).await, 1);
    assert_eq!(call(post.clone(), &format!("/v1/admin/users/{id}/reactivate"), Some(&admin), None).await.0, 200);
    assert_eq!(seats(admin.clone()).await, 2);

    // Force logout ends every session but not the account.
    let (_, l) = login(&email).await;
    let fresh = l["data"]["tokens"]["access_token"].as_str().unwrap().to_string();
    assert_eq!(call(post.clone(), &format!("/v1/admin/users/{id}/force-logout"), Some(&admin), None).await.0, 200);
    assert_eq!(call(reqwest::Method::GET, "/v1/notes", Some(&fresh), None).await.0, 401);
    assert_eq!(login(&email).await.0, 200);

    // Not on yourself, not across tenants.
    let me = reg["data"]["user"]["id"].as_str().unwrap();
    assert_eq!(call(post.clone(), &format!("/v1/admin/users/{me}/suspend"), Some(&admin), None).await.0, 403);
    let (_, other) = call(
        post.clone(),
        "/v1/auth/register-super-admin",
        None,
        Some(json!({ "tenant_name": "M", "email": unique("other"), "password": "s3cret-pass", "full_name": "M" })),
    )
    .await;
    let stranger = other["data"]["user"]["id"].as_str().unwrap();
    assert_eq!(call(post.clone(), &format!("/v1/admin/users/{stranger}/suspend"), Some(&admin), None).await.0, 404);
}
