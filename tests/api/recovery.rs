//! Email verification and password reset: links sent through the
//! notifications pipeline (message → outbox → bus → queue → worker → dev
//! adapter), single-use tokens.

use crate::helpers::{stack, token_from_mail};
use serde_json::{json, Value};

async fn post(path: &str, body: Value) -> (u16, Value) {
    let resp = reqwest::Client::new().post(format!("{}{path}", stack().url)).json(&body).send().await.unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap_or(Value::Null))
}

fn unique() -> String {
    format!("r{}@recovery.example.com", ulid::Ulid::new().to_string().to_lowercase())
}

#[tokio::test]
async fn sign_up_sends_a_verification_link_that_works_once() {
    let email = unique();
    let (s, reg) = post(
        "/v1/auth/register-super-admin",
        json!({ "tenant_name": "V", "email": email, "password": "s3cret-pass", "full_name": "Vera" }),
    )
    .await;
    assert_eq!(s, 201);
    assert_eq!(reg["data"]["user"]["is_verified"], false);
    let token = token_from_mail(&email, "auth.verify_email").await;
    assert!(token.starts_with("vfy."));
    let (s, verified) = post("/v1/auth/verify-email", json!({ "token": token })).await;
    assert_eq!(s, 200, "{verified}");
    assert_eq!(verified["data"]["is_verified"], true);
    let (s, again) = post("/v1/auth/verify-email", json!({ "token": token })).await;
    assert_eq!((s, again["error"]["code"].as_str()), (400, Some("VALIDATION_ERROR")));
    assert_eq!(post("/v1/auth/verify-email", json!({ "token": "vfy.nonsense" })).await.0, 400);
}

#[tokio::test]
async fn password_reset_by_email_revokes_sessions_and_works_once() {
    let email = unique();
    let (_, reg) = post(
        "/v1/auth/register-super-admin",
        json!({ "tenant_name": "R", "email": email, "password": "s3cret-pass", "full_name": "Rami" }),
    )
    .await;
    let old_refresh = reg["data"]["refresh_token"].as_str().unwrap().to_string();

    // Unknown and known emails get the same answer.
    let (s1, unknown) = post("/v1/auth/forgot-password", json!({ "email": unique() })).await;
    let (s2, known) = post("/v1/auth/forgot-password", json!({ "email": email })).await;
    assert_eq!((s1, s2), (202, 202));
    assert_eq!(unknown["data"], known["data"]);

    let token = token_from_mail(&email, "auth.reset_password").await;
    assert!(token.starts_with("rst."));
    assert_eq!(post("/v1/auth/reset-password", json!({ "token": token, "password": "weak" })).await.0, 400, "policy applies");
    assert_eq!(post("/v1/auth/reset-password", json!({ "token": token, "password": "n3w-password" })).await.0, 204);
    assert_eq!(post("/v1/auth/reset-password", json!({ "token": token, "password": "an0ther-one" })).await.0, 400, "single use");

    assert_eq!(post("/v1/auth/login", json!({ "email": email, "password": "s3cret-pass" })).await.0, 401);
    assert_eq!(post("/v1/auth/login", json!({ "email": email, "password": "n3w-password" })).await.0, 200);
    assert_eq!(post("/v1/auth/refresh", json!({ "refresh_token": old_refresh })).await.0, 401, "sessions were revoked");
}

#[tokio::test]
async fn an_invitation_takes_a_seat_and_its_link_creates_a_verified_user_once() {
    let owner = unique();
    let (_, reg) = post(
        "/v1/auth/register-super-admin",
        json!({ "tenant_name": "I", "email": owner, "password": "s3cret-pass", "full_name": "Iman" }),
    )
    .await;
    let admin = reg["data"]["access_token"].as_str().unwrap().to_string();
    crate::helpers::verify_email(&owner).await;
    let invite = |email: String| {
        let admin = admin.clone();
        async move {
            let resp = reqwest::Client::new()
                .post(format!("{}/v1/admin/users/invite", stack().url))
                .bearer_auth(admin)
                .json(&json!({ "email": email, "roles": ["sales_rep"] }))
                .send()
                .await
                .unwrap();
            (resp.status().as_u16(), resp.json::<Value>().await.unwrap())
        }
    };
    let invitee = unique();
    let (s, inv) = invite(invitee.clone()).await;
    assert_eq!(s, 201, "{inv}");
    assert_eq!(invite(invitee.clone()).await.0, 409, "the address is taken");
    assert_eq!(invite(unique()).await.0, 201);
    let (s, full) = invite(unique()).await;
    assert_eq!((s, full["error"]["code"].as_str()), (422, Some("LIMIT_REACHED")), "DevFree: 3 seats, invitations count");

    let token = token_from_mail(&invitee, "auth.invitation").await;
    assert!(token.starts_with("inv."));
    assert_eq!(post("/v1/auth/login", json!({ "email": invitee, "password": "s3cret-pass" })).await.0, 401, "not a user yet");
    let (s, accepted) =
        post("/v1/admin/users/accept-invite", json!({ "token": token, "full_name": "Nour", "password": "s3cret-pass" })).await;
    assert_eq!(s, 201, "{accepted}");
    assert_eq!(accepted["data"]["user"]["roles"], json!(["sales_rep"]));
    assert_eq!(accepted["data"]["user"]["is_verified"], true);
    assert_eq!(accepted["data"]["user"]["id"], inv["data"]["user_id"]);
    assert!(accepted["data"]["tokens"]["access_token"].is_string());
    assert_eq!(
        post("/v1/admin/users/accept-invite", json!({ "token": token, "full_name": "X", "password": "s3cret-pass" })).await.0,
        400,
        "single use"
    );
    assert_eq!(post("/v1/auth/login", json!({ "email": invitee, "password": "s3cret-pass" })).await.0, 200);
}
