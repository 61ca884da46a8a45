//! Sign-up, login, lockout, refresh rotation with reuse detection, logout and
//! sessions — over HTTP, against the real store.

use crate::helpers::{eventually, sdk, stack};
use serde_json::{json, Value};

fn unique_email() -> String {
    format!("u{}@test.example.com", ulid::Ulid::new().to_string().to_lowercase())
}

fn client() -> reqwest::Client {
    reqwest::Client::new()
}

async fn post(path: &str, body: Value) -> (u16, reqwest::header::HeaderMap, Value) {
    let resp = client().post(format!("{}{path}", stack().url)).json(&body).send().await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.json().await.unwrap_or(Value::Null);
    (status, headers, body)
}

async fn register(email: &str) -> Value {
    let (status, _, body) = post(
        "/v1/auth/register-super-admin",
        json!({ "tenant_name": "Acme Realty", "email": email, "password": "s3cret-pass", "full_name": "Sara Ahmed" }),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    body["data"].clone()
}

async fn login(email: &str, password: &str) -> (u16, reqwest::header::HeaderMap, Value) {
    post("/v1/auth/login", json!({ "email": email, "password": password })).await
}

async fn refresh(token: &str) -> (u16, Value) {
    let (s, _, b) = post("/v1/auth/refresh", json!({ "refresh_token": token })).await;
    (s, b)
}

#[tokio::test]
async fn sign_up_creates_tenant_and_super_admin_and_the_tokens_work() {
    let email = unique_email();
    let resp = client()
        .post(format!("{}/v1/auth/register-super-admin", stack().url))
        .json(&json!({ "tenant_name": "Acme Realty", "email": email.to_uppercase(), "password": "s3cret-pass", "full_name": "Sara Ahmed" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let cookie = resp.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.starts_with("crm_refresh=")
            && cookie.contains("HttpOnly")
            && cookie.contains("Secure")
            && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let data: Value = resp.json::<Value>().await.unwrap()["data"].clone();
    assert_eq!(data["user"]["email"], email, "normalised");
    assert_eq!(data["user"]["roles"], json!(["super_admin"]));
    assert!(data["user"].get("password_hash").is_none());
    assert_eq!(data["tenant"]["status"], "active");

    let token = data["access_token"].as_str().unwrap();
    let notes = client().get(format!("{}/v1/notes", stack().url)).bearer_auth(token).send().await.unwrap();
    assert_eq!(notes.status(), 200);

    // tenant.created went through the pipeline into the new tenant's feed.
    eventually("tenant.created in the feed", crate::helpers::PIPELINE, || async {
        let feed: Value = client().get(format!("{}/v1/activity", stack().url)).bearer_auth(token).send().await.ok()?.json().await.ok()?;
        feed["data"].as_array()?.iter().any(|e| e["event_type"] == "tenant.created").then_some(())
    })
    .await;

    // The email is unique across the whole system.
    let (status, _, body) = post(
        "/v1/auth/register-super-admin",
        json!({ "tenant_name": "Other", "email": email, "password": "s3cret-pass", "full_name": "X" }),
    )
    .await;
    assert_eq!(status, 409);
    assert_eq!(body["error"]["code"], "CONFLICT");
}

#[tokio::test]
async fn sign_up_validates_every_field_and_writes_nothing_on_error() {
    let email = unique_email();
    let (status, _, body) =
        post("/v1/auth/register-super-admin", json!({ "tenant_name": "", "email": email, "password": "short", "full_name": "  " })).await;
    assert_eq!(status, 400);
    let fields: Vec<&str> = body["error"]["details"].as_array().unwrap().iter().map(|d| d["field"].as_str().unwrap()).collect();
    assert_eq!(fields, vec!["tenant_name", "full_name", "password"]);
    let (status, _, _) = login(&email, "short").await;
    assert_eq!(status, 401, "no account was created");
    let (status, _, _) = post(
        "/v1/auth/register-super-admin",
        json!({ "tenant_name": "A", "email": "not-an-email", "password": "s3cret-pass", "full_name": "A" }),
    )
    .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn unknown_email_and_wrong_password_look_the_same() {
    let email = unique_email();
    register(&email).await;
    let (s1, _, wrong) = login(&email, "wrong-pass-1").await;
    let (s2, _, unknown) = login(&unique_email(), "wrong-pass-1").await;
    assert_eq!((s1, s2), (401, 401));
    assert_eq!(wrong["error"], unknown["error"]);
    assert_eq!(wrong["error"]["code"], "AUTH_INVALID_CREDENTIALS");

    let (ok, _, body) = login(&email, "s3cret-pass").await;
    assert_eq!(ok, 200);
    assert!(body["data"]["tokens"]["access_token"].is_string());
    assert!(body["data"]["user"]["last_login_at"].is_string());
}

#[tokio::test]
async fn five_failures_lock_the_email_for_ten_minutes_known_or_not() {
    for known in [true, false] {
        let email = unique_email();
        if known {
            register(&email).await;
        }
        for _ in 0..5 {
            assert_eq!(login(&email, "wrong-pass-1").await.0, 401);
        }
        let (status, headers, body) = login(&email, "s3cret-pass").await;
        assert_eq!(status, 429, "locked even with the right password (known = {known})");
        assert_eq!(body["error"]["code"], "RATE_LIMIT_EXCEEDED");
        let retry: i64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((590..=600).contains(&retry), "{retry}");
    }
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_whole_family() {
    let email = unique_email();
    let first = register(&email).await["refresh_token"].as_str().unwrap().to_string();

    let (s, b) = refresh(&first).await;
    assert_eq!(s, 200, "{b}");
    let second = b["data"]["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(first, second);
    let (s, b) = refresh(&second).await;
    assert_eq!(s, 200);
    let third = b["data"]["refresh_token"].as_str().unwrap().to_string();

    // The stolen first token comes back: the family dies.
    let (s, b) = refresh(&first).await;
    assert_eq!(s, 401);
    assert_eq!(b["error"]["code"], "AUTH_TOKEN_REUSED");
    let (s, _) = refresh(&third).await;
    assert_eq!(s, 401, "the legitimate latest token is revoked too");

    // Garbage and forged tokens are plain 401s.
    for bad in ["", "x.y.z", &third.replace('a', "b")] {
        assert_eq!(refresh(bad).await.0, 401, "{bad}");
    }
}

#[tokio::test]
async fn refresh_works_from_the_cookie_alone() {
    let email = unique_email();
    let token = register(&email).await["refresh_token"].as_str().unwrap().to_string();
    let resp = client()
        .post(format!("{}/v1/auth/refresh", stack().url))
        .header("cookie", format!("theme=dark; crm_refresh={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["set-cookie"].to_str().unwrap().starts_with("crm_refresh="));
}

#[tokio::test]
async fn logout_revokes_the_session_and_sessions_can_be_listed_and_revoked() {
    let email = unique_email();
    let signup = register(&email).await;
    let (_, _, second) = login(&email, "s3cret-pass").await;
    let token = second["data"]["tokens"]["access_token"].as_str().unwrap().to_string();
    let current = second["data"]["tokens"]["session_id"].as_str().unwrap().to_string();

    let list: Value =
        client().get(format!("{}/v1/auth/sessions", stack().url)).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    let sessions = list["data"].as_array().unwrap();
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions.iter().filter(|s| s["current"] == true).count(), 1);
    assert!(sessions.iter().any(|s| s["id"] == current.as_str() && s["current"] == true));

    // Revoke the sign-up session from the second one: its refresh token stops working.
    let other = signup["session_id"].as_str().unwrap();
    let del = client().delete(format!("{}/v1/auth/sessions/{other}", stack().url)).bearer_auth(&token).send().await.unwrap();
    assert_eq!(del.status(), 204);
    assert_eq!(refresh(signup["refresh_token"].as_str().unwrap()).await.0, 401);

    // Someone else's session is not found.
    let stranger = register(&unique_email()).await;
    let resp = client()
        .delete(format!("{}/v1/auth/sessions/{}", stack().url, stranger["session_id"].as_str().unwrap()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);

    // Logout ends the current session.
    let out = client().post(format!("{}/v1/auth/logout", stack().url)).bearer_auth(&token).send().await.unwrap();
    assert_eq!(out.status(), 204);
    assert!(out.headers()["set-cookie"].to_str().unwrap().contains("Max-Age=0"));
    assert_eq!(refresh(second["data"]["tokens"]["refresh_token"].as_str().unwrap()).await.0, 401);
    // ...and its access token stops working at once, not in 15 minutes.
    let after = client().get(format!("{}/v1/auth/sessions", stack().url)).bearer_auth(&token).send().await.unwrap();
    assert_eq!(after.status(), 401);
}

#[tokio::test]
async fn every_login_attempt_on_an_account_is_audited() {
    let email = unique_email();
    let data = register(&email).await;
    let tenant = crm_kernel::TenantId::parse(data["tenant"]["id"].as_str().unwrap()).unwrap();
    login(&email, "wrong-pass-1").await;
    login(&email, "s3cret-pass").await;
    let date = chrono_today();
    let ddb = aws_sdk_dynamodb::Client::new(&sdk().await);
    let out = ddb
        .query()
        .table_name(&stack().table)
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(":pk", aws_sdk_dynamodb::types::AttributeValue::S(crm_store::keys::audit_pk(tenant, &date)))
        .send()
        .await
        .unwrap();
    let actions: Vec<&str> = out.items().iter().map(|i| i["action"].as_s().unwrap().as_str()).collect();
    for expected in ["tenant.created", "user.created", "auth.login_failed", "auth.login"] {
        assert!(actions.contains(&expected), "{expected} missing from {actions:?}");
    }
}

fn chrono_today() -> String {
    crm_kernel::Timestamp::now().date()
}
