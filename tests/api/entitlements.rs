//! Plans, entitlements and seats: `users.max` holds under concurrency.

use crate::helpers::stack;
use serde_json::{json, Value};

async fn sign_up() -> (String, Value) {
    let email = format!("owner{}@seats.example.com", ulid::Ulid::new().to_string().to_lowercase());
    let resp = reqwest::Client::new()
        .post(format!("{}/v1/auth/register-super-admin", stack().url))
        .json(&json!({ "tenant_name": "Seat Co", "email": email, "password": "s3cret-pass", "full_name": "Owner" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let body: Value = resp.json().await.unwrap();
    crate::helpers::verify_email(&email).await;
    (body["data"]["access_token"].as_str().unwrap().to_string(), body["data"].clone())
}

async fn create_user(token: &str, roles: Value) -> reqwest::Response {
    let email = format!("u{}@seats.example.com", ulid::Ulid::new().to_string().to_lowercase());
    reqwest::Client::new()
        .post(format!("{}/v1/admin/users", stack().url))
        .bearer_auth(token)
        .json(&json!({ "email": email, "full_name": "New User", "password": "s3cret-pass", "roles": roles }))
        .send()
        .await
        .unwrap()
}

async fn plan(token: &str) -> Value {
    reqwest::Client::new().get(format!("{}/v1/admin/plan", stack().url)).bearer_auth(token).send().await.unwrap().json().await.unwrap()
}

#[tokio::test]
async fn the_plan_shows_features_limits_and_usage() {
    let (token, _) = sign_up().await;
    let p = plan(&token).await;
    assert_eq!(p["data"]["plan"], "DevFree");
    assert_eq!(p["data"]["limits"]["users.max"], 3);
    assert_eq!(p["data"]["features"], json!(["twofa.totp", "plan.view"]));
    assert_eq!(p["data"]["usage"]["seats.used"], 1, "the super admin holds the first seat");
}

#[tokio::test]
async fn users_max_is_enforced_and_concurrent_creates_cannot_overshoot() {
    let (token, _) = sign_up().await;
    // DevFree: 3 seats, 1 taken. Five creates at once: exactly two win.
    let attempts = futures::future::join_all((0..5).map(|_| create_user(&token, json!(["sales_rep"])))).await;
    let mut statuses: Vec<u16> = attempts.iter().map(|r| r.status().as_u16()).collect();
    statuses.sort();
    assert_eq!(statuses, vec![201, 201, 422, 422, 422]);
    let refused = attempts.into_iter().find(|r| r.status() == 422).unwrap();
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "LIMIT_REACHED");
    assert_eq!(body["error"]["key"], "users.max");
    assert_eq!(body["error"]["limit"], 3);
    assert_eq!(plan(&token).await["data"]["usage"]["seats.used"], 3);
}

#[tokio::test]
async fn created_users_can_log_in_and_cannot_be_super_admins_by_admins() {
    let (token, _) = sign_up().await;
    let resp = create_user(&token, json!(["admin"])).await;
    assert_eq!(resp.status(), 201);
    let user: Value = resp.json().await.unwrap();
    let login = reqwest::Client::new()
        .post(format!("{}/v1/auth/login", stack().url))
        .json(&json!({ "email": user["data"]["email"], "password": "s3cret-pass" }))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let admin_token = login.json::<Value>().await.unwrap()["data"]["tokens"]["access_token"].as_str().unwrap().to_string();
    let unverified = create_user(&admin_token, json!(["viewer"])).await;
    assert_eq!(unverified.status(), 403);
    assert_eq!(unverified.json::<Value>().await.unwrap()["error"]["code"], "AUTH_EMAIL_UNVERIFIED", "administration waits for the email");
    crate::helpers::verify_email(user["data"]["email"].as_str().unwrap()).await;
    assert_eq!(create_user(&admin_token, json!(["super_admin"])).await.status(), 403);
    assert_eq!(create_user(&admin_token, json!(["galactic_emperor"])).await.status(), 400);
}
