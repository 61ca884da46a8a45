//! Phone verification (`/v1/auth/phone/verify/*`) and the SMS/WhatsApp
//! second factor of a login: codes through the notifications pipeline, 5
//! attempts, 3 starts an hour, 1 resend a minute, plan gating.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{code_sent_to, eventually, fixture_store, mailbox, stack, unique_phone, TestApp};

async fn send(app: &TestApp, method: Method, path: &str, body: Value) -> (u16, Value) {
    let resp = app.request(method, path).json(&body).send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn start(app: &TestApp, phone: &str) -> (u16, Value) {
    send(app, Method::POST, "/v1/auth/phone/verify/start", json!({ "e164": phone, "channel": "sms" })).await
}

async fn confirm(app: &TestApp, phone: &str, code: &str) -> (u16, Value) {
    send(app, Method::POST, "/v1/auth/phone/verify/confirm", json!({ "e164": phone, "code": code })).await
}

fn wrong(code: &str) -> String {
    format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000)
}

async fn audit_actions(app: &TestApp) -> Vec<String> {
    let admin = app.colleague(&["admin"]).await;
    let body = admin.get_json("/v1/admin/audit-logs?limit=100").await;
    body["data"].as_array().unwrap().iter().filter_map(|e| e["action"].as_str().or(e["event_type"].as_str()).map(str::to_string)).collect()
}

#[tokio::test]
async fn a_code_by_sms_verifies_the_phone_and_only_its_hash_is_stored() {
    let app = TestApp::with_plan(&["staff"], "DevPro").await;
    let phone = unique_phone();
    let (s, body) = start(&app, &phone).await;
    assert_eq!(s, 202, "{body}");
    assert_eq!(body["data"]["verification"]["status"], "pending");
    assert_eq!(body["data"]["verification"]["attempts_left"], 5);
    assert!(!body.to_string().contains(&phone), "the number is masked in answers: {body}");

    let code = code_sent_to(&phone, "otp.verify_phone", &[]).await;
    let stored =
        fixture_store().await.get(&crm_store::keys::user_phone_verification(app.tenant, &app.user.to_string())).await.unwrap().unwrap();
    assert!(!format!("{stored:?}").contains(&format!("\"{code}\"")), "the code itself is never stored");

    let (s, body) = confirm(&app, &phone, &code).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["data"]["user"]["phone_e164"], phone.as_str());
    assert!(body["data"]["user"]["phone_verified_at"].is_string());
    // Spent: the same code again is refused.
    let (s, body) = confirm(&app, &phone, &code).await;
    assert_eq!((s, body["error"]["code"].as_str()), (422, Some("OTP_NOT_PENDING")));

    let actions = audit_actions(&app).await;
    for a in ["phone.verify.started", "phone.verify.sent", "phone.verify.succeeded"] {
        assert!(actions.iter().any(|x| x == a), "{a} audited: {actions:?}");
    }
}

#[tokio::test]
async fn five_wrong_codes_close_the_verification() {
    let app = TestApp::with_plan(&["staff"], "DevPro").await;
    let phone = unique_phone();
    assert_eq!(start(&app, &phone).await.0, 202);
    let code = code_sent_to(&phone, "otp.verify_phone", &[]).await;
    for i in 1..=4 {
        let (s, body) = confirm(&app, &phone, &wrong(&code)).await;
        assert_eq!((s, body["error"]["code"].as_str()), (422, Some("OTP_INVALID")), "attempt {i}");
    }
    let (s, body) = confirm(&app, &phone, &wrong(&code)).await;
    assert_eq!((s, body["error"]["code"].as_str()), (422, Some("OTP_ATTEMPTS_EXCEEDED")));
    // Even the right code no longer works, and the user has no phone.
    assert_eq!(confirm(&app, &phone, &code).await.0, 422);
    let me = app.colleague(&["admin"]).await.get_json(&format!("/v1/admin/users/{}", app.user)).await;
    assert!(me["data"]["phone_e164"].is_null(), "{me}");
    assert!(audit_actions(&app).await.iter().any(|a| a == "phone.verify.failed"));
}

#[tokio::test]
async fn a_code_for_another_number_does_not_verify_it() {
    let app = TestApp::with_plan(&["staff"], "DevPro").await;
    let phone = unique_phone();
    assert_eq!(start(&app, &phone).await.0, 202);
    let code = code_sent_to(&phone, "otp.verify_phone", &[]).await;
    let (s, body) = confirm(&app, &unique_phone(), &code).await;
    assert_eq!((s, body["error"]["code"].as_str()), (422, Some("OTP_INVALID")), "{body}");
}

#[tokio::test]
async fn resend_waits_a_minute_and_replaces_the_code() {
    let app = TestApp::with_plan(&["staff"], "DevPro").await;
    let phone = unique_phone();
    assert_eq!(start(&app, &phone).await.0, 202);
    let first = code_sent_to(&phone, "otp.verify_phone", &[]).await;
    let resp = app.post("/v1/auth/phone/verify/resend").send().await.unwrap();
    assert_eq!(resp.status(), 429);
    let wait: u64 = resp.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");

    // A minute later (moved back in the record rather than waited for).
    let store = fixture_store().await;
    let key = crm_store::keys::user_phone_verification(app.tenant, &app.user.to_string());
    let mut otp: identity::otp::Otp = store.get_as(&key).await.unwrap().unwrap();
    otp.last_sent_at = otp.last_sent_at.plus_seconds(-61);
    store.put(otp.to_item(identity::otp::Purpose::PhoneVerify).unwrap()).await.unwrap();

    let (s, body) = send(&app, Method::POST, "/v1/auth/phone/verify/resend", json!({})).await;
    assert_eq!(s, 202, "{body}");
    eventually("a second message", crate::helpers::PIPELINE, || async {
        let codes = mailbox(&phone).await.len();
        (codes >= 2).then_some(())
    })
    .await;
    let second = code_sent_to(&phone, "otp.verify_phone", std::slice::from_ref(&first)).await;
    if first != second {
        assert_eq!(confirm(&app, &phone, &first).await.0, 422, "the first code stopped working");
    }
    assert_eq!(confirm(&app, &phone, &second).await.0, 200);
}

#[tokio::test]
async fn start_is_limited_to_three_an_hour_per_user() {
    let app = TestApp::with_plan(&["staff"], "DevPro").await;
    for i in 0..3 {
        assert_eq!(start(&app, &unique_phone()).await.0, 202, "start {i}");
    }
    let resp = app.post("/v1/auth/phone/verify/start").json(&json!({ "e164": unique_phone() })).send().await.unwrap();
    assert_eq!(resp.status(), 429);
    assert!(resp.headers().contains_key("retry-after"));
    // Another user of the same tenant is not affected.
    let colleague = app.colleague(&["staff"]).await;
    assert_eq!(start(&colleague, &unique_phone()).await.0, 202);
}

#[tokio::test]
async fn bad_numbers_channels_and_plans_are_refused_before_anything_is_sent() {
    let app = TestApp::with_plan(&["staff"], "DevPro").await;
    for (body, field) in [
        (json!({ "e164": "01001234567" }), "e164"),
        (json!({ "e164": "+20 100 123 4567" }), "e164"),
        (json!({ "e164": "+201001234567", "channel": "pigeon" }), "channel"),
    ] {
        let (s, b) = send(&app, Method::POST, "/v1/auth/phone/verify/start", body).await;
        assert_eq!((s, b["error"]["code"].as_str()), (400, Some("VALIDATION_ERROR")), "{b}");
        assert_eq!(b["error"]["details"][0]["field"], field);
    }
    // DevFree has no SMS: 402 with the feature.
    let free = TestApp::with_plan(&["staff"], "DevFree").await;
    let phone = unique_phone();
    let (s, b) = start(&free, &phone).await;
    assert_eq!((s, b["error"]["code"].as_str()), (402, Some("PLAN_REQUIRED")), "{b}");
    assert_eq!(b["error"]["details"][0]["field"].as_str().or(b["error"]["feature"].as_str()), Some("twofa.sms"));
    // Refused before anything was queued: nothing to deliver, ever.
    assert!(crate::helpers::queued_messages(free.tenant).await.iter().all(|m| m.to != phone));
    assert!(mailbox(&phone).await.is_empty());
    // Confirm without a start.
    let (s, b) = confirm(&free, &phone, "123456").await;
    assert_eq!((s, b["error"]["code"].as_str()), (422, Some("OTP_NOT_PENDING")));
}

#[tokio::test]
async fn cancel_revokes_the_code() {
    let app = TestApp::with_plan(&["staff"], "DevPro").await;
    let phone = unique_phone();
    assert_eq!(start(&app, &phone).await.0, 202);
    let code = code_sent_to(&phone, "otp.verify_phone", &[]).await;
    let (s, b) = send(&app, Method::DELETE, "/v1/auth/phone/verify/cancel", json!({})).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["data"]["verification"]["status"], "revoked");
    assert_eq!(confirm(&app, &phone, &code).await.0, 422);
}

/// Registers a real account (with a password), moves its tenant to DevPro.
async fn registered_on_devpro() -> (String, Value) {
    let email = format!("p{}@phone.example.com", ulid::Ulid::new().to_string().to_lowercase());
    let client = reqwest::Client::new();
    let reg: Value = crate::helpers::body_of(
        client
            .post(format!("{}/v1/auth/register-super-admin", stack().url))
            .json(&json!({ "tenant_name": "P", "email": email, "password": "s3cret-pass", "full_name": "Pat" })),
    )
    .await;
    let tenant = crm_kernel::TenantId::parse(reg["data"]["tenant"]["id"].as_str().unwrap()).unwrap();
    let store = fixture_store().await;
    let mut t: identity::model::Tenant = store.get_as(&identity::model::Tenant::key(tenant)).await.unwrap().unwrap();
    t.plan = "DevPro".into();
    store.put(crm_store::item::to_item(&identity::model::Tenant::key(tenant), &t).unwrap()).await.unwrap();
    (email, reg)
}

async fn login(body: Value) -> (u16, Value) {
    let resp = reqwest::Client::new().post(format!("{}/v1/auth/login", stack().url)).json(&body).send().await.unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

#[tokio::test]
async fn sms_second_factor_needs_a_verified_phone_then_guards_the_login() {
    let (email, reg) = registered_on_devpro().await;
    let token = reg["data"]["access_token"].as_str().unwrap().to_string();
    let s = stack();
    let http = reqwest::Client::new();
    let call = |method: Method, path: &str, body: Value| {
        let req = http.request(method, format!("{}{path}", s.url)).bearer_auth(&token).json(&body);
        async move {
            let r = req.send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };

    let (st, b) = call(Method::POST, "/v1/auth/twofa/sms/enable", json!({})).await;
    assert_eq!((st, b["error"]["code"].as_str()), (422, Some("PHONE_NOT_VERIFIED")), "{b}");
    assert_eq!(call(Method::POST, "/v1/auth/twofa/pigeon/enable", json!({})).await.0, 404);

    let phone = unique_phone();
    assert_eq!(call(Method::POST, "/v1/auth/phone/verify/start", json!({ "e164": phone })).await.0, 202);
    let code = code_sent_to(&phone, "otp.verify_phone", &[]).await;
    assert_eq!(call(Method::POST, "/v1/auth/phone/verify/confirm", json!({ "e164": phone, "code": code })).await.0, 200);
    let (st, b) = call(Method::POST, "/v1/auth/twofa/sms/enable", json!({})).await;
    assert_eq!(st, 200, "{b}");
    assert_eq!(b["data"]["user"]["otp_factors"], json!(["sms"]));

    // The password alone now sends a code and asks for it.
    let (st, b) = login(json!({ "email": email, "password": "s3cret-pass" })).await;
    assert_eq!((st, b["error"]["code"].as_str()), (401, Some("AUTH_2FA_REQUIRED")), "{b}");
    let login_code = code_sent_to(&phone, "otp.login", &[]).await;
    let (st, b) = login(json!({ "email": email, "password": "s3cret-pass", "otp_code": wrong(&login_code) })).await;
    assert_eq!((st, b["error"]["code"].as_str()), (401, Some("AUTH_2FA_INVALID_CODE")));
    let (st, b) = login(json!({ "email": email, "password": "s3cret-pass", "otp_code": login_code })).await;
    assert_eq!(st, 200, "{b}");
    // The code is spent.
    let (st, _) = login(json!({ "email": email, "password": "s3cret-pass", "otp_code": login_code })).await;
    assert_eq!(st, 401);

    let (st, b) = call(Method::POST, "/v1/auth/twofa/sms/disable", json!({})).await;
    assert_eq!(st, 400, "removing a factor needs the password: {b}");
    let (st, b) = call(Method::POST, "/v1/auth/twofa/sms/disable", json!({"password": "not-it-at-all"})).await;
    assert_eq!(st, 401, "{b}");
    let (st, b) = call(Method::POST, "/v1/auth/twofa/sms/disable", json!({"password": "s3cret-pass"})).await;
    assert_eq!(st, 200, "{b}");
    assert_eq!(login(json!({ "email": email, "password": "s3cret-pass" })).await.0, 200);
}
