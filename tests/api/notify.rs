//! The notifications core over HTTP: dispatch → worker → fake provider →
//! delivery webhook → `delivered`; mirrors in one dispatch group; consent,
//! plan features, monthly caps and throttles; idempotency; forged and
//! unrecognised webhooks; bounces to suppression; templates; quiet hours;
//! the inbox and preferences; another tenant's ids.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{body_of, eventually, fixture_store, mailbox, reports_for, stack, unique_phone, TestApp};

pub(crate) async fn dispatch(app: &TestApp, body: Value) -> (u16, Value) {
    let resp = app.post("/v1/notify/dispatch").json(&body).send().await.unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

async fn template(app: &TestApp, body: Value) -> Value {
    let resp = app.post("/v1/notify/templates").json(&body).send().await.unwrap();
    assert_eq!(resp.status(), 201, "template {body}");
    resp.json::<Value>().await.unwrap()["data"].clone()
}

/// The `deal.won` family on email, SMS and WhatsApp (no inbox template: its text is generated).
pub(crate) async fn deal_won_templates(app: &TestApp) {
    template(app, json!({"channel": "email", "family": "deal.won", "locale": "en", "subject": "Deal {{deal}} won", "body": "Well done {{name}}: {{deal}} is won."})).await;
    template(app, json!({"channel": "sms", "family": "deal.won", "locale": "en", "body": "{{name}}, {{deal}} is won!"})).await;
    let wa =
        template(app, json!({"channel": "whatsapp", "family": "deal.won", "locale": "en", "body": "{{name}}, {{deal}} is won!"})).await;
    assert_eq!(wa["is_approved"], false, "WhatsApp templates wait for approval");
    let resp = app.post(&format!("/v1/notify/templates/{}/approve", wa["id"].as_str().unwrap())).send().await.unwrap();
    assert_eq!(resp.status(), 200);
}

async fn message(app: &TestApp, id: &str) -> Value {
    app.get_json(&format!("/v1/notify/messages/{id}")).await["data"].clone()
}

async fn status_becomes(app: &TestApp, id: &str, status: &str) -> Value {
    eventually(&format!("message {id} {status}"), crate::helpers::PIPELINE, || async {
        let m = message(app, id).await;
        (m["status"] == status).then_some(m)
    })
    .await
}

fn unique_email() -> String {
    format!("{}@customer.example.com", ulid::Ulid::new().to_string().to_lowercase())
}

#[tokio::test]
async fn an_email_goes_out_through_brevo_and_its_delivery_report_marks_it_delivered() {
    let app = TestApp::with_plan(&["admin"], "DevPro").await;
    deal_won_templates(&app).await;
    let to = unique_email();
    reports_for(&to).await;
    let (status, body) =
        dispatch(&app, json!({"channel": "email", "to": to, "template_code": "deal.won", "payload": {"name": "Mona", "deal": "Acme"}}))
            .await;
    assert_eq!(status, 202, "{body}");
    let id = body["data"]["root_message_id"].as_str().unwrap().to_string();
    assert_eq!(body["data"]["messages"].as_array().unwrap().len(), 1, "email is not mirrored");

    // The fake Brevo got the rendered message, then reported it delivered
    // to our webhook with its bearer token.
    let m = status_becomes(&app, &id, "delivered").await;
    assert_eq!(m["provider"], "brevo");
    assert!(m["provider_message_id"].as_str().unwrap().ends_with("@smtp-relay.mailin.fr>"));
    assert!(m["delivered_at"].is_string());
    let mail = mailbox(&to).await;
    assert_eq!((mail.len(), mail[0]["subject"].as_str()), (1, Some("Deal Acme won")));
    assert_eq!(mail[0]["body"], "Well done Mona: Acme is won.");

    // The outbox lists it by status, channel and date.
    let today = crm_kernel::Timestamp::now().date();
    let listed = app.get_json(&format!("/v1/notify/messages?status=delivered&channel=email&from={today}&to={today}")).await;
    assert!(listed["data"].as_array().unwrap().iter().any(|x| x["id"] == id.as_str()), "{listed}");
    let none = app.get_json("/v1/notify/messages?status=failed").await;
    assert!(none["data"].as_array().unwrap().iter().all(|x| x["status"] == "failed"));
    let bad = app.get("/v1/notify/messages?status=lost").send().await.unwrap();
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn a_mirrored_sms_makes_email_and_inbox_in_one_group_and_the_inbox_can_be_read() {
    let admin = TestApp::with_plan(&["admin"], "DevPro").await;
    let rep = admin.colleague(&["sales_rep"]).await;
    deal_won_templates(&admin).await;
    let phone = unique_phone();
    reports_for(&phone).await;
    let (status, body) = dispatch(
        &admin,
        json!({"channel": "sms", "to": {"user_id": rep.user.to_string(), "phone": phone}, "template_code": "deal.won",
               "payload": {"name": "Rep", "deal": "Globex"}, "override_quiet_hours": true}),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    let d = &body["data"];
    let msgs = d["messages"].as_array().unwrap();
    let channels: Vec<&str> = msgs.iter().map(|m| m["channel"].as_str().unwrap()).collect();
    assert_eq!(channels, vec!["sms", "email", "inbox"]);
    assert!(msgs.iter().all(|m| m["dispatch_group_id"] == d["dispatch_group_id"]));
    assert!(msgs[1..].iter().all(|m| m["mirror_of"] == d["root_message_id"] && m["billable"] == false));
    assert_eq!(msgs[0]["billable"], true);

    // SMS through Infobip, delivered by its report to the notifyUrl.
    let sms_id = msgs[0]["id"].as_str().unwrap();
    let sms = status_becomes(&admin, sms_id, "delivered").await;
    assert_eq!(sms["provider"], "infobip");
    assert_eq!(sms["group"].as_array().unwrap().len(), 2);
    assert_eq!(mailbox(&phone).await[0]["body"], "Rep, Globex is won!");

    // The inbox entry: generated from the SMS text, unread, then read.
    let entry = eventually("the inbox entry", crate::helpers::PIPELINE, || async {
        rep.get_json("/v1/me/notifications?is_read=false").await["data"].as_array().and_then(|a| a.first().cloned())
    })
    .await;
    assert_eq!(entry["body"], "Rep, Globex is won!");
    assert_eq!(entry["meta"]["auto_generated"], true);
    assert_eq!(entry["dispatch_group_id"], d["dispatch_group_id"]);
    let admin_view = admin.get_json(&format!("/v1/admin/notifications/{}", rep.user)).await;
    assert_eq!(admin_view["data"][0]["id"], entry["id"]);
    let eid = entry["id"].as_str().unwrap();
    assert_eq!(admin.get(&format!("/v1/me/notifications/{eid}")).send().await.unwrap().status(), 404, "someone else's entry");
    let resp = rep.request(Method::PATCH, &format!("/v1/me/notifications/{eid}/read")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let read: Value = resp.json().await.unwrap();
    assert_eq!(read["data"]["is_read"], true);
    assert_eq!(rep.get_json("/v1/me/notifications?is_read=false").await["data"], json!([]));
    assert_eq!(rep.get_json("/v1/me/notifications?is_read=true").await["data"][0]["id"], entry["id"]);

    // mirror=false: the SMS alone. Then a bulk read of what is unread.
    let (status, body) = dispatch(
        &admin,
        json!({"channel": "sms", "to": {"user_id": rep.user.to_string(), "phone": phone}, "template_code": "deal.won",
               "payload": {"name": "Rep", "deal": "Initech"}, "mirror": false, "override_quiet_hours": true}),
    )
    .await;
    assert_eq!((status, body["data"]["messages"].as_array().unwrap().len()), (202, 1));
    let resp = rep.request(Method::PATCH, "/v1/me/notifications/read-bulk").json(&json!({"all": true})).send().await.unwrap();
    assert_eq!(resp.status(), 200);

    // The rep's own preferences turn the email mirror off.
    let resp = rep.request(Method::PUT, "/v1/me/notification-preferences").json(&json!({"email_on_sms": false})).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(rep.get_json("/v1/me/notification-preferences").await["data"]["email_on_sms"], false);
    let (_, body) = dispatch(
        &admin,
        json!({"channel": "sms", "to": {"user_id": rep.user.to_string(), "phone": phone}, "template_code": "deal.won",
               "payload": {"name": "Rep", "deal": "Umbrella"}, "override_quiet_hours": true}),
    )
    .await;
    let channels: Vec<&str> = body["data"]["messages"].as_array().unwrap().iter().map(|m| m["channel"].as_str().unwrap()).collect();
    assert_eq!(channels, vec!["sms", "inbox"]);
}

#[tokio::test]
async fn consent_plan_features_caps_and_throttles_are_enforced() {
    let free = TestApp::with_plan(&["admin"], "DevFree").await;
    let (status, body) = dispatch(&free, json!({"channel": "sms", "to": unique_phone(), "template_code": "deal.won"})).await;
    assert_eq!(
        (status, body["error"]["code"].as_str(), body["error"]["feature"].as_str()),
        (402, Some("PLAN_REQUIRED"), Some("notifications.sms"))
    );

    let app = TestApp::with_plan(&["admin"], "DevPro").await;
    deal_won_templates(&app).await;
    let put = app.request(Method::PUT, "/v1/admin/notification-policies").json(&json!({"quiet_hours": null})).send().await.unwrap();
    assert_eq!(put.status(), 200);
    let phone = unique_phone();
    let send = |kind: &'static str, channel: &'static str, to: String| {
        let app = &app;
        async move {
            // A fresh payload each time: the same send within a minute is a replay.
            let deal = ulid::Ulid::new().to_string();
            dispatch(
                app,
                json!({"channel": channel, "to": to, "template_code": "deal.won", "type": kind, "payload": {"name": "N", "deal": deal}}),
            )
            .await
        }
    };

    // Marketing needs an opt-in; an opt-out (STOP) then blocks even transactional SMS…
    let (status, body) = send("marketing", "sms", phone.clone()).await;
    assert_eq!((status, body["error"]["code"].as_str()), (422, Some("CONSENT_REQUIRED")));
    let (status, _) = send("marketing", "whatsapp", phone.clone()).await;
    assert_eq!(status, 422);
    let optin = app.post("/v1/notify/opt-in").json(&json!({"subject_type": "contact", "channel": "sms", "address": phone, "consent_source": "form", "consent_text": "Yes, text me offers"})).send().await.unwrap();
    assert_eq!(optin.status(), 200);
    assert_eq!(send("marketing", "sms", phone.clone()).await.0, 202);
    let optout =
        app.post("/v1/notify/opt-out").json(&json!({"subject_type": "contact", "channel": "sms", "address": phone})).send().await.unwrap();
    assert_eq!(optout.status(), 200);
    assert_eq!(send("marketing", "sms", phone.clone()).await.0, 422);
    assert_eq!(send("transactional", "sms", phone.clone()).await.0, 422, "STOP blocks transactional by default");
    // …unless the tenant allows transactional over STOP.
    let put = app
        .request(Method::PUT, "/v1/admin/notification-policies")
        .json(&json!({"quiet_hours": null, "allow_transactional_over_stop": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    assert_eq!(send("transactional", "sms", phone.clone()).await.0, 202);
    let email = unique_email();
    assert_eq!(send("marketing", "email", email.clone()).await.0, 422, "marketing email needs an opt-in");
    assert_eq!(send("transactional", "email", email).await.0, 202);

    // The monthly cap: 2 SMS counted so far; set the counter at the cap.
    let month = crm_kernel::Timestamp::now().date()[..7].to_string();
    let counters = fixture_store().await.get(&crm_store::keys::usage_month(app.tenant, &month)).await.unwrap().unwrap();
    assert_eq!(counters.get("sms").and_then(|v| v.as_n().ok()).map(String::as_str), Some("2"), "billable SMS counted, mirrors not");
    let mut full = counters.clone();
    full.insert("sms".into(), aws_sdk_dynamodb::types::AttributeValue::N("500".into()));
    fixture_store().await.put(full).await.unwrap();
    let (status, body) = send("transactional", "sms", unique_phone()).await;
    assert_eq!(
        (status, body["error"]["code"].as_str(), body["error"]["key"].as_str()),
        (402, Some("PLAN_REQUIRED"), Some("sms.monthlyCap"))
    );

    // The per-minute throttle of a channel.
    let put = app
        .request(Method::PUT, "/v1/admin/notification-policies")
        .json(&json!({"quiet_hours": null, "throttle_per_minute": {"email": 1}}))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(send("transactional", "email", unique_email()).await.0);
    }
    assert!(statuses.contains(&429), "{statuses:?}");
}

#[tokio::test]
async fn the_same_correlation_key_sends_once_even_when_raced() {
    let app = TestApp::with_plan(&["admin"], "DevPro").await;
    deal_won_templates(&app).await;
    let to = unique_email();
    let body = json!({"channel": "email", "to": to, "template_code": "deal.won", "payload": {"name": "A", "deal": "B"}, "correlation_key": "order-42-shipped"});
    let results = futures::future::join_all((0..5).map(|_| dispatch(&app, body.clone()))).await;
    let groups: std::collections::BTreeSet<String> = results
        .iter()
        .map(|(s, b)| {
            assert!(*s == 202 || *s == 200, "{b}");
            b["data"]["dispatch_group_id"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(groups.len(), 1, "one group for one key");
    assert_eq!(results.iter().filter(|(s, _)| *s == 202).count(), 1);
    let (status, again) = dispatch(&app, body).await;
    assert_eq!((status, again["data"]["replayed"].as_bool()), (200, Some(true)));
    let queued = eventually("the one message settled", crate::helpers::PIPELINE, || async {
        let mine: Vec<_> = crate::helpers::queued_messages(app.tenant).await.into_iter().filter(|m| m.to == to).collect();
        mine.iter().all(crate::helpers::settled).then_some(mine)
    })
    .await;
    assert_eq!(queued.len(), 1, "one message for one key");
    assert_eq!(mailbox(&to).await.len(), 1, "sent exactly once");
}

#[tokio::test]
async fn forged_or_unrecognised_webhooks_change_nothing_and_bounces_suppress() {
    let app = TestApp::with_plan(&["admin"], "DevPro").await;
    deal_won_templates(&app).await;
    let to = unique_email();
    reports_for(&to).await;
    let (_, body) =
        dispatch(&app, json!({"channel": "email", "to": to, "template_code": "deal.won", "payload": {"name": "A", "deal": "B"}})).await;
    let id = body["data"]["root_message_id"].as_str().unwrap().to_string();
    let m = status_becomes(&app, &id, "delivered").await;
    let provider_id = m["provider_message_id"].as_str().unwrap().to_string();
    let http = reqwest::Client::new();
    let url = |p: &str| format!("{}{p}", stack().url);
    let bounce =
        json!({"event": "hard_bounce", "email": to, "message-id": provider_id, "reason": "550 mailbox unavailable", "ts_event": 1});

    // No token, a wrong token, a wrong Infobip token: 401, nothing changes.
    assert_eq!(http.post(url("/v1/webhooks/brevo")).json(&bounce).send().await.unwrap().status(), 401);
    assert_eq!(
        http.post(url("/v1/webhooks/brevo")).bearer_auth("forged-token-forged-token-forged").json(&bounce).send().await.unwrap().status(),
        401
    );
    let dlr = json!({"results": [{"messageId": "x", "status": {"groupName": "UNDELIVERABLE"}, "callbackData": format!("tenant={}|message={id}", app.tenant)}]});
    assert_eq!(http.post(url("/v1/webhooks/infobip")).basic_auth("infobip", Some("nope")).json(&dlr).send().await.unwrap().status(), 401);
    let token = devserver::fake_providers::INFOBIP_WEBHOOK_TOKEN;
    assert_eq!(
        http.post(url(&format!("/v1/webhooks/infobip?token={token}"))).json(&dlr).send().await.unwrap().status(),
        401,
        "no token in URLs"
    );
    assert_eq!(message(&app, &id).await["status"], "delivered");

    // An event Brevo may add later is recorded and acknowledged, changing
    // nothing; a body that is no report at all is DLR_INVALID.
    let token = devserver::fake_providers::BREVO_WEBHOOK_TOKEN;
    let brevo = |body: Value| http.post(url("/v1/webhooks/brevo")).bearer_auth(token).json(&body).send();
    let resp = brevo(json!({"event": "teleported", "message-id": provider_id})).await.unwrap();
    assert_eq!(resp.status(), 200);
    let later: Value = resp.json().await.unwrap();
    assert_eq!(later["data"]["items"][0]["outcome"], "unknown", "{later}");
    assert_eq!(message(&app, &id).await["status"], "delivered");
    let resp = brevo(json!({"hello": 1})).await.unwrap();
    assert_eq!(resp.status(), 422);
    assert_eq!(resp.json::<Value>().await.unwrap()["error"]["code"], "DLR_INVALID");
    // A batch with a documented event Brevo's privacy proxy sends
    // (`unique_proxy_open`) and a malformed item: answered item by item,
    // the bad one never failing the rest.
    let resp = brevo(json!([
        {"event": "unique_proxy_open", "email": to, "message-id": provider_id, "ts_event": 2},
        {"email": to},
        {"event": "proxy_open", "email": to, "message-id": provider_id, "ts_event": 3},
    ]))
    .await
    .unwrap();
    assert_eq!(resp.status(), 200);
    let batch: Value = resp.json().await.unwrap();
    let outcomes: Vec<&str> = batch["data"]["items"].as_array().unwrap().iter().map(|i| i["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, ["applied", "invalid", "applied"], "{batch}");
    assert_eq!(message(&app, &id).await["status"], "delivered", "opens note, never change the status");

    // A hard bounce: bounced, suppressed; the same payload again is a no-op.
    let resp = http.post(url("/v1/webhooks/brevo")).bearer_auth(token).json(&bounce).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let m = message(&app, &id).await;
    assert_eq!((m["status"].as_str(), m["error_code"].as_str()), (Some("bounced"), Some("HARD_BOUNCE: 550 mailbox unavailable")));
    let again: Value = http.post(url("/v1/webhooks/brevo")).bearer_auth(token).json(&bounce).send().await.unwrap().json().await.unwrap();
    assert_eq!(again["data"]["duplicate"], true);
    let listed = app.get_json("/v1/notify/suppression").await;
    assert_eq!((listed["data"][0]["address"].as_str(), listed["data"][0]["reason"].as_str()), (Some(to.as_str()), Some("bounce")));
    let (status, body) =
        dispatch(&app, json!({"channel": "email", "to": to, "template_code": "deal.won", "payload": {"name": "A", "deal": "C"}})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (422, Some("RECIPIENT_SUPPRESSED")));
    let resp = app.request(Method::DELETE, &format!("/v1/notify/suppression?channel=email&address={to}")).send().await.unwrap();
    assert_eq!(resp.status(), 204);
    assert_eq!(
        dispatch(&app, json!({"channel": "email", "to": to, "template_code": "deal.won", "payload": {"name": "A", "deal": "D"}})).await.0,
        202
    );

    // Another tenant sees none of it.
    let other = TestApp::with_plan(&["admin"], "DevPro").await;
    assert_eq!(other.get(&format!("/v1/notify/messages/{id}")).send().await.unwrap().status(), 404);
    assert_eq!(other.get(&format!("/v1/admin/notifications/{}", app.user)).send().await.unwrap().status(), 404);
    let (status, _) = dispatch(&other, json!({"channel": "inbox", "to": app.user.to_string(), "template_code": "deal.won"})).await;
    assert_eq!(status, 404, "a foreign user is no recipient");
    assert_eq!(other.get_json("/v1/notify/suppression").await["data"], json!([]));
}

#[tokio::test]
async fn templates_resolve_by_locale_refuse_missing_variables_and_preview() {
    let app = TestApp::with_plan(&["admin"], "DevPro").await;
    deal_won_templates(&app).await;
    template(&app, json!({"channel": "email", "family": "deal.won", "locale": "ar", "subject": "تم الفوز بالصفقة {{deal}}", "body": "أحسنت يا {{name}}"})).await;
    let dup = app
        .post("/v1/notify/templates")
        .json(&json!({"channel": "email", "family": "deal.won", "locale": "ar", "subject": "x", "body": "y"}))
        .send()
        .await
        .unwrap();
    assert_eq!(dup.status(), 409);

    // The recipient's locale picks the Arabic template; missing ones fall back to English.
    let rep = app.colleague(&["sales_rep"]).await;
    let resp = rep.request(Method::PUT, "/v1/me/notification-preferences").json(&json!({"locale": "ar"})).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let (status, body) = dispatch(&app, json!({"channel": "email", "to": {"user_id": rep.user.to_string()}, "template_code": "deal.won", "payload": {"name": "منى", "deal": "أكمي"}})).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(
        (body["data"]["messages"][0]["locale"].as_str(), body["data"]["messages"][0]["subject"].as_str()),
        (Some("ar"), Some("تم الفوز بالصفقة أكمي"))
    );

    let (status, body) =
        dispatch(&app, json!({"channel": "email", "to": unique_email(), "template_code": "deal.won", "payload": {"name": "x"}})).await;
    assert_eq!(
        (status, body["error"]["code"].as_str(), body["error"]["details"][0]["field"].as_str()),
        (400, Some("VALIDATION_ERROR"), Some("payload.deal"))
    );
    let (status, body) = dispatch(&app, json!({"channel": "email", "to": unique_email(), "template_code": "no.such.family"})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (422, Some("TEMPLATE_MISSING")));

    let preview: Value = crate::helpers::body_of(
        app.post("/v1/notify/templates/preview")
            .json(&json!({"channel": "sms", "template_code": "deal.won", "locale": "ar", "payload": {"name": "N", "deal": "D"}})),
    )
    .await;
    assert_eq!(
        (preview["data"]["locale"].as_str(), preview["data"]["body"].as_str()),
        (Some("en"), Some("N, D is won!")),
        "no Arabic SMS: English"
    );
    let listed = app.get_json("/v1/notify/templates?family=deal.won&channel=email").await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 2);
    assert_eq!(listed["data"][0]["code"], "deal.email.won");
    // A tenant's own wording reaches identity's emails too.
    // (The secret link is never the tenant's to place: the system adds it below their text, ADR 0016.)
    template(&app, json!({"channel": "email", "family": "auth.invitation", "locale": "en", "subject": "Join us at {{tenant_name}}", "body": "Accept the invitation below."})).await;
    let invitee = unique_email();
    let resp = app.post("/v1/admin/users/invite").json(&json!({"email": invitee, "roles": ["sales_rep"]})).send().await.unwrap();
    assert_eq!(resp.status(), 201);
    let mail = eventually("the invitation", crate::helpers::PIPELINE, || async {
        mailbox(&invitee).await.into_iter().find(|m| m["template_code"] == "auth.invitation")
    })
    .await;
    assert_eq!(mail["subject"], "Join us at Test tenant");
    let body = mail["body"].as_str().unwrap();
    assert!(body.starts_with("Accept the invitation below.") && body.contains("/accept-invite?token=inv."), "{body}");

    let rep_cannot = rep.post("/v1/notify/templates/preview").json(&json!({"channel": "sms", "body": "x"})).send().await.unwrap();
    assert_eq!(rep_cannot.status(), 403);
}

#[tokio::test]
async fn quiet_hours_hold_an_sms_until_the_window_ends_unless_overridden() {
    let app = TestApp::with_plan(&["admin"], "DevPro").await;
    deal_won_templates(&app).await;
    let now = chrono::Utc::now();
    let start = (now - chrono::Duration::hours(1)).format("%H:%M").to_string();
    let end = (now + chrono::Duration::hours(1)).format("%H:%M").to_string();
    let put = app
        .request(Method::PUT, "/v1/admin/notification-policies")
        .json(&json!({"timezone": "UTC", "quiet_hours": {"start": start, "end": end, "channels": ["sms"]}}))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    let phone = unique_phone();
    let (status, body) =
        dispatch(&app, json!({"channel": "sms", "to": phone, "template_code": "deal.won", "payload": {"name": "N", "deal": "D"}})).await;
    assert_eq!(status, 202, "{body}");
    let held = &body["data"]["messages"][0];
    let at = crm_kernel::Timestamp::parse(held["scheduled_at"].as_str().expect("held")).unwrap();
    let wait = at.unix_seconds() - crm_kernel::Timestamp::now().unix_seconds();
    assert!((3300..=3660).contains(&wait), "held until the window ends, {wait}s");
    let (_, body) = dispatch(&app, json!({"channel": "sms", "to": phone, "template_code": "deal.won", "payload": {"name": "N", "deal": "E"}, "override_quiet_hours": true})).await;
    assert!(body["data"]["messages"][0]["scheduled_at"].is_null());
    eventually("the overriding sms", crate::helpers::PIPELINE, || async { (mailbox(&phone).await.len() == 1).then_some(()) }).await;
    assert_eq!(message(&app, held["id"].as_str().unwrap()).await["status"], "queued");
}

#[tokio::test]
async fn the_daily_digest_sums_up_the_day_once_per_user_in_their_hour() {
    use chrono::Timelike;
    let app = TestApp::with_plan(&["admin"], "DevPro").await;
    let opted_out = app.colleague(&["sales_rep"]).await;
    let resp =
        opted_out.request(Method::PUT, "/v1/me/notification-preferences").json(&json!({"daily_digest": false})).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    app.create_note("called Acme").await;
    app.create_note("called Globex").await;
    let yesterday = (chrono::Utc::now() - chrono::Duration::hours(20)).to_rfc3339();
    for (title, done) in [("Chase the Initech invoice", false), ("Book the demo room", true)] {
        let t = body_of(app.post("/v1/tasks").json(&json!({"title": title, "due_at": yesterday}))).await;
        if done {
            app.post(&format!("/v1/tasks/{}/complete", t["data"]["id"].as_str().unwrap())).send().await.unwrap();
        }
    }
    eventually("the notes in the feed", crate::helpers::PIPELINE, || async {
        (app.feed().await.iter().filter(|e| e["event_type"] == "note.created").count() == 2).then_some(())
    })
    .await;
    let at = chrono::Utc::now();
    let put = app
        .request(Method::PUT, "/v1/admin/notification-policies")
        .json(&json!({"timezone": "UTC", "quiet_hours": null, "digest_time": format!("{:02}:00", at.hour())}))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);

    let fire = || async {
        let resp = reqwest::Client::new()
            .post(format!("{}/_local/schedules/DailyDigestFunction", stack().url))
            .json(&json!({"tenant_id": app.tenant.to_string(), "at": at.to_rfc3339()}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        resp.json::<Value>().await.unwrap()
    };
    let out = fire().await;
    assert_eq!(out["sent"], 1, "the admin only: the rep turned digests off; {out}");
    let email = format!("{}@fixture.example.com", app.user.to_string().to_lowercase());
    let mail = eventually("the digest email", crate::helpers::PIPELINE, || async {
        mailbox(&email).await.into_iter().find(|m| m["template_code"] == "digest.daily")
    })
    .await;
    let body = mail["body"].as_str().unwrap();
    assert!(body.contains("• note.created × 2"), "{mail}");
    assert!(body.contains("Overdue tasks (1):\n• Chase the Initech invoice (due "), "open overdue tasks only: {body}");
    let entry = eventually("the digest in the inbox", crate::helpers::PIPELINE, || async {
        app.get_json("/v1/me/notifications").await["data"]
            .as_array()
            .and_then(|a| a.iter().find(|e| e["meta"]["template_code"] == "digest.daily").cloned())
    })
    .await;
    assert_eq!(entry["title"], format!("Daily digest: {}", at.date_naive()));
    assert_eq!(fire().await["sent"], 0, "one digest a day");
}

#[tokio::test]
async fn email_goes_out_from_the_tenants_own_gmail_or_outlook_with_sealed_refreshed_tokens() {
    let app = TestApp::with_plan(&["admin"], "DevPro").await;
    deal_won_templates(&app).await;
    // Tokens the fake Google never issued: the first send must refresh them.
    let resp = app
        .post("/v1/email/provider-accounts")
        .json(&json!({"provider": "gmail", "email": "Rep@Acme-Sales.com", "access_token": "ya29.stale-access-token", "refresh_token": "1//local-refresh-token", "expires_in": 3600}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let gmail: Value = resp.json::<Value>().await.unwrap()["data"].clone();
    assert_eq!(
        (gmail["email"].as_str(), gmail["is_default"].as_bool()),
        (Some("rep@acme-sales.com"), Some(true)),
        "the first account is the default"
    );
    assert!(gmail.get("access_token").is_none() && gmail.get("refresh_token").is_none(), "tokens are never shown");
    let gid = gmail["id"].as_str().unwrap().to_string();
    let stored = fixture_store()
        .await
        .get(&notifications::accounts::EmailAccount::key(app.tenant, crm_kernel::EntityId::parse(&gid).unwrap()))
        .await
        .unwrap()
        .unwrap();
    let sealed = stored["access_token"].as_s().unwrap();
    assert!(sealed.starts_with("v1.") && !sealed.contains("stale"), "sealed at rest");

    let customer = unique_email();
    let (status, body) = dispatch(
        &app,
        json!({"channel": "email", "to": customer, "template_code": "deal.won", "payload": {"name": "Omar", "deal": "Acme"}}),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    let id = body["data"]["root_message_id"].as_str().unwrap().to_string();
    let sent = eventually("sent from Gmail", crate::helpers::PIPELINE, || async {
        let m = message(&app, &id).await;
        (m["status"] == "sent").then_some(m)
    })
    .await;
    assert_eq!(sent["provider"], "gmail");
    let mail = mailbox(&customer).await;
    assert_eq!((mail[0]["provider"].as_str(), mail[0]["subject"].as_str()), (Some("gmail"), Some("Deal Acme won")));
    assert_eq!(mail[0]["template_code"], "deal.won");
    // The raw MIME message carried our own Message-ID, on the sender's domain.
    let headers: Value = serde_json::from_str(mail[0]["headers"].as_str().unwrap_or("{}")).unwrap();
    assert_eq!(headers["Message-ID"], format!("<{id}@acme-sales.com>"), "{mail:?}");
    let listed = app.get_json("/v1/email/provider-accounts").await;
    assert_eq!(listed["data"][0]["version"], 2, "the refreshed token was sealed back: {listed}");

    // An Outlook mailbox, named by the dispatch.
    let outlook: Value = crate::helpers::body_of(app
        .post("/v1/email/provider-accounts")
        .json(&json!({"provider": "outlook", "email": "manager@acme-sales.com", "access_token": "EwB.stale-access", "refresh_token": "M.R3_local-refresh"}))).await;
    assert_eq!(outlook["data"]["is_default"], false);
    let oid = outlook["data"]["id"].as_str().unwrap().to_string();
    let to = unique_email();
    let (status, _) = dispatch(&app, json!({"channel": "email", "to": to, "template_code": "deal.won", "payload": {"name": "Omar", "deal": "Globex"}, "from_account_id": oid})).await;
    assert_eq!(status, 202);
    let mail = eventually("sent from Outlook", crate::helpers::PIPELINE, || async { mailbox(&to).await.into_iter().next() }).await;
    assert_eq!((mail["provider"].as_str(), mail["body"].as_str()), (Some("outlook"), Some("Well done Omar: Globex is won.")));
    // Graph was sent the MIME message itself (so non-`X-` headers survive).
    let headers: Value = serde_json::from_str(mail["headers"].as_str().unwrap_or("{}")).unwrap();
    assert!(headers["Message-ID"].as_str().is_some_and(|m| m.ends_with("@acme-sales.com>")), "{mail}");

    // A revoked Gmail: the account needs re-authorisation and the email
    // goes out through the system provider instead.
    let resp = app
        .request(Method::PATCH, &format!("/v1/email/provider-accounts/{gid}"))
        .json(&json!({"access_token": "ya29.stale-again", "refresh_token": "revoked-by-the-user", "expires_in": 0}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let to = unique_email();
    dispatch(&app, json!({"channel": "email", "to": to, "template_code": "deal.won", "payload": {"name": "Omar", "deal": "Initech"}}))
        .await;
    let mail = eventually("sent through the fallback", crate::helpers::PIPELINE, || async { mailbox(&to).await.into_iter().next() }).await;
    assert_eq!(mail["provider"], "brevo");
    let listed = app.get_json("/v1/email/provider-accounts").await;
    let g = listed["data"].as_array().unwrap().iter().find(|a| a["id"] == gid.as_str()).unwrap().clone();
    assert_eq!(g["status"], "reauth_required");

    // Another tenant cannot touch or use them.
    let other = TestApp::with_plan(&["admin"], "DevPro").await;
    assert_eq!(other.request(Method::DELETE, &format!("/v1/email/provider-accounts/{oid}")).send().await.unwrap().status(), 404);
    let (status, _) = dispatch(&other, json!({"channel": "email", "to": unique_email(), "template_code": "auth.invitation", "payload": {"tenant_name": "x", "link": "y"}, "from_account_id": oid})).await;
    assert_eq!(status, 404);
    let sales_rep = app.colleague(&["sales_rep"]).await;
    assert_eq!(sales_rep.get("/v1/email/provider-accounts").send().await.unwrap().status(), 403);
    assert_eq!(app.request(Method::DELETE, &format!("/v1/email/provider-accounts/{oid}")).send().await.unwrap().status(), 204);
}
