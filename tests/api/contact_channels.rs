//! A contact's channels over HTTP: several emails and
//! numbers, E.164 and email checks, one primary per type, tenant-wide
//! uniqueness, verification by a code sent through the notifications core,
//! and per-channel consent that marketing sends obey.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{body_of, code_sent_to, unique_phone, TestApp};
use crate::notify::{deal_won_templates, dispatch};

fn email() -> String {
    format!("{}@channels.example.com", ulid::Ulid::new().to_string().to_lowercase())
}

async fn contact(app: &TestApp, body: Value) -> String {
    let c = body_of(app.post("/v1/contacts").json(&body)).await;
    c["data"]["id"].as_str().unwrap_or_else(|| panic!("{c}")).to_string()
}

fn channel<'a>(c: &'a Value, value: &str) -> &'a Value {
    c["channels"].as_array().unwrap().iter().find(|ch| ch["value"] == value).unwrap_or_else(|| panic!("no {value} in {c}"))
}

#[tokio::test]
async fn channels_are_validated_unique_and_keep_one_primary_per_type() {
    let app = TestApp::with_roles(&["manager"]).await;
    let (home, work, phone) = (email(), email(), unique_phone());
    let id = contact(&app, json!({"first_name": "Layla", "email": home})).await;
    let path = format!("/v1/contacts/{id}/channels");

    let bad = body_of(app.post(&path).json(&json!({"type": "whatsapp", "value": "0100 123"}))).await;
    assert_eq!((bad["error"]["code"].as_str(), bad["error"]["details"][0]["field"].as_str()), (Some("VALIDATION_ERROR"), Some("value")));
    let bad = body_of(app.post(&path).json(&json!({"type": "email", "value": "nope"}))).await;
    assert_eq!(bad["error"]["details"][0]["field"], "value");
    let bad = body_of(app.post(&path).json(&json!({"type": "fax", "value": "1"}))).await;
    assert_eq!(bad["error"]["details"][0]["field"], "type");

    let added = app.post(&path).json(&json!({"type": "email", "value": work.to_uppercase()})).send().await.unwrap();
    assert_eq!(added.status(), 201);
    let added: Value = added.json().await.unwrap();
    let c = &added["data"]["contact"];
    assert_eq!((c["email"].as_str(), channel(c, &work)["is_primary"].as_bool()), (Some(home.as_str()), Some(false)));
    let work_id = added["data"]["channel_id"].as_str().unwrap().to_string();
    let wa = body_of(app.post(&path).json(&json!({"type": "whatsapp", "value": phone, "locale": "ar"}))).await;
    assert_eq!(channel(&wa["data"]["contact"], &phone)["is_primary"], true, "the first of its type is primary");

    // Making the work address primary moves the contact's email; search finds every address.
    let primary = body_of(app.post(&path).json(&json!({"id": work_id, "is_primary": true}))).await;
    assert_eq!(primary["data"]["contact"]["email"], work.as_str());
    assert_eq!(channel(&primary["data"]["contact"], &home)["is_primary"], false);
    let found = app.get_json(&format!("/v1/contacts?search={home}")).await;
    assert_eq!(found["data"][0]["id"], id.as_str());

    // Every address is the tenant's only one: another contact cannot take it, under any type.
    let other = contact(&app, json!({"first_name": "Omar"})).await;
    let taken = body_of(app.post(&format!("/v1/contacts/{other}/channels")).json(&json!({"type": "phone", "value": phone}))).await;
    assert_eq!(taken["error"]["code"], "CONFLICT");
    assert!(taken["error"]["message"].as_str().unwrap().contains(&id), "{taken}");
    assert_eq!(app.post("/v1/contacts").json(&json!({"first_name": "X", "email": home})).send().await.unwrap().status(), 409);

    // Removing the primary promotes the next; the freed address is anyone's again.
    let gone = app.request(Method::DELETE, &format!("{path}/{work_id}")).send().await.unwrap();
    assert_eq!(gone.status(), 200);
    let after: Value = gone.json().await.unwrap();
    assert_eq!(after["data"]["email"], home.as_str());
    let freed = app.post(&format!("/v1/contacts/{other}/channels")).json(&json!({"type": "email", "value": work})).send().await.unwrap();
    assert_eq!(freed.status(), 201);

    // A stale If-Match is refused; a rep cannot change a manager's contact; foreign ids are 404.
    let stale = app.post(&path).header("if-match", "\"1\"").json(&json!({"type": "email", "value": email()})).send().await.unwrap();
    assert_eq!(stale.status(), 412);
    let rep = app.colleague(&["sales_rep"]).await;
    assert_eq!(rep.post(&path).json(&json!({"type": "email", "value": email()})).send().await.unwrap().status(), 403);
    let stranger = TestApp::with_roles(&["admin"]).await;
    assert_eq!(stranger.post(&path).json(&json!({"type": "email", "value": email()})).send().await.unwrap().status(), 404);
    assert_eq!(app.request(Method::DELETE, &format!("{path}/{}", ulid::Ulid::new())).send().await.unwrap().status(), 404);
}

#[tokio::test]
async fn a_channel_is_verified_by_the_code_sent_to_it() {
    let app = TestApp::with_plan(&["admin"], "DevPro").await;
    let (mail, phone) = (email(), unique_phone());
    let id = contact(&app, json!({"first_name": "Karim", "email": mail, "phone": phone})).await;
    let c = app.get_json(&format!("/v1/contacts/{id}")).await;
    let (mail_ch, phone_ch) =
        (channel(&c["data"], &mail)["id"].as_str().unwrap().to_string(), channel(&c["data"], &phone)["id"].as_str().unwrap().to_string());

    let start = app.post(&format!("/v1/contacts/{id}/channels/{phone_ch}/verify/start")).send().await.unwrap();
    assert_eq!(start.status(), 202);
    let again = app.post(&format!("/v1/contacts/{id}/channels/{phone_ch}/verify/start")).send().await.unwrap();
    assert_eq!(again.status(), 429, "a new code waits a minute");
    let code = code_sent_to(&phone, "contact.verify_channel", &[]).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let confirm =
        |ch: &str, code: &str| app.post(&format!("/v1/contacts/{id}/channels/{ch}/verify/confirm")).json(&json!({ "code": code }));
    let bad = body_of(confirm(&phone_ch, wrong)).await;
    assert_eq!(bad["error"]["code"], "OTP_INVALID");
    let ok = body_of(confirm(&phone_ch, &code)).await;
    assert!(channel(&ok["data"], &phone)["verified_at"].is_string(), "{ok}");
    assert_eq!(body_of(confirm(&phone_ch, &code)).await["error"]["code"], "OTP_NOT_PENDING", "a code works once");

    // Email channels verify the same way; a plan without SMS cannot send SMS codes.
    assert_eq!(app.post(&format!("/v1/contacts/{id}/channels/{mail_ch}/verify/start")).send().await.unwrap().status(), 202);
    let code = code_sent_to(&mail, "contact.verify_channel", &[]).await;
    let ok = body_of(confirm(&mail_ch, &code)).await;
    assert!(channel(&ok["data"], &mail)["verified_at"].is_string());
    let free = TestApp::with_plan(&["admin"], "DevFree").await;
    let fid = contact(&free, json!({"first_name": "Free", "phone": unique_phone()})).await;
    let fc = free.get_json(&format!("/v1/contacts/{fid}")).await;
    let fch = fc["data"]["channels"][0]["id"].as_str().unwrap().to_string();
    let refused = body_of(free.post(&format!("/v1/contacts/{fid}/channels/{fch}/verify/start"))).await;
    assert_eq!(
        (refused["error"]["code"].as_str(), refused["error"]["feature"].as_str()),
        (Some("PLAN_REQUIRED"), Some("notifications.sms"))
    );
}

#[tokio::test]
async fn per_channel_consent_is_what_marketing_sends_obey() {
    let app = TestApp::with_plan(&["admin"], "DevPro").await;
    deal_won_templates(&app).await;
    let phone = unique_phone();
    let id = contact(&app, json!({"first_name": "Nour", "phone": phone})).await;
    let c = app.get_json(&format!("/v1/contacts/{id}")).await;
    let ch = c["data"]["channels"][0]["id"].as_str().unwrap().to_string();
    let market = || async {
        let deal = ulid::Ulid::new().to_string();
        dispatch(&app, json!({"channel": "sms", "to": phone, "template_code": "deal.won", "type": "marketing", "payload": {"name": "N", "deal": deal}})).await
    };
    assert_eq!(market().await.1["error"]["code"], "CONSENT_REQUIRED");

    let optin = body_of(app.post(&format!("/v1/contacts/{id}/opt-in")).json(&json!({"channel_id": ch, "consent_source": "form"}))).await;
    let stored = &optin["data"]["channels"][0];
    assert_eq!((stored["opt_in"].as_bool(), stored["opt_in_source"].as_str()), (Some(true), Some("form")));
    assert_eq!(market().await.0, 202);

    let optout = body_of(app.post(&format!("/v1/contacts/{id}/opt-out")).json(&json!({"channel_id": ch}))).await;
    assert_eq!(optout["data"]["channels"][0]["opt_in"], false);
    assert!(optout["data"]["channels"][0]["opt_out_at"].is_string());
    assert_eq!(market().await.1["error"]["code"], "CONSENT_REQUIRED");

    let bad = body_of(app.post(&format!("/v1/contacts/{id}/opt-in")).json(&json!({"channel_id": ulid::Ulid::new().to_string()}))).await;
    assert_eq!(bad["error"]["details"][0]["field"], "channel_id");
    let viewer = app.colleague(&["viewer"]).await;
    assert_eq!(viewer.post(&format!("/v1/contacts/{id}/opt-in")).json(&json!({"channel_id": ch})).send().await.unwrap().status(), 403);
}
