//! TOTP second factor: setup, confirm (backup codes), login with code or
//! backup code (each once), disable.

use crate::helpers::stack;
use identity::totp::{base32_decode, code_at, STEP_SECS};
use serde_json::{json, Value};

async fn call(method: reqwest::Method, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
    let mut req = reqwest::Client::new().request(method, format!("{}{path}", stack().url)).json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap_or(Value::Null))
}

fn code(secret: &str, offset: i64) -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    code_at(&base32_decode(secret).unwrap(), now / STEP_SECS + offset)
}

#[tokio::test]
async fn totp_guards_login_and_codes_work_once() {
    let email = format!("totp{}@test.example.com", ulid::Ulid::new().to_string().to_lowercase());
    let post = reqwest::Method::POST;
    let (s, reg) = call(
        post.clone(),
        "/v1/auth/register-super-admin",
        None,
        json!({ "tenant_name": "T", "email": email, "password": "s3cret-pass", "full_name": "T" }),
    )
    .await;
    assert_eq!(s, 201);
    let token = reg["data"]["access_token"].as_str().unwrap().to_string();

    let (s, setup) = call(post.clone(), "/v1/auth/totp/setup", Some(&token), json!({})).await;
    assert_eq!(s, 200, "{setup}");
    let secret = setup["data"]["secret"].as_str().unwrap().to_string();
    assert!(setup["data"]["otpauth_uri"].as_str().unwrap().starts_with("otpauth://totp/M3CRM:"));

    assert_eq!(
        call(post.clone(), "/v1/auth/totp/confirm", Some(&token), json!({ "code": "000000" })).await.1["error"]["code"],
        "AUTH_2FA_INVALID_CODE"
    );
    let (s, confirmed) = call(post.clone(), "/v1/auth/totp/confirm", Some(&token), json!({ "code": code(&secret, 0) })).await;
    assert_eq!(s, 200, "{confirmed}");
    let backups: Vec<String> =
        confirmed["data"]["backup_codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_string()).collect();
    assert_eq!(backups.len(), 10);
    assert_eq!(call(post.clone(), "/v1/auth/totp/setup", Some(&token), json!({})).await.0, 409, "enabled: no silent reset");

    let login = |extra: Value| {
        let mut body = json!({ "email": email, "password": "s3cret-pass" });
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        call(post.clone(), "/v1/auth/login", None, body)
    };
    let (s, b) = login(json!({})).await;
    assert_eq!((s, b["error"]["code"].as_str()), (401, Some("AUTH_2FA_REQUIRED")));
    let (s, b) = login(json!({ "totp_code": "123456" })).await;
    assert_eq!((s, b["error"]["code"].as_str()), (401, Some("AUTH_2FA_INVALID_CODE")));

    let next = code(&secret, 1);
    assert_eq!(login(json!({ "totp_code": next })).await.0, 200);
    assert_eq!(login(json!({ "totp_code": next })).await.0, 401, "a code works once");

    assert_eq!(login(json!({ "backup_code": backups[0] })).await.0, 200);
    assert_eq!(login(json!({ "backup_code": backups[0] })).await.0, 401, "a backup code works once");

    let (s, _) = call(post.clone(), "/v1/auth/totp/disable", Some(&token), json!({ "code": backups[1] })).await;
    assert_eq!(s, 204);
    assert_eq!(login(json!({})).await.0, 200, "password alone again");
}
