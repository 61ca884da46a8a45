//! The notifications worker against the local fake providers over real HTTP:
//! SMS through Infobip with its email (Brevo) and inbox mirrors in one
//! dispatch group; retries with backoff on 500, dead-lettering when they run
//! out, no retry on a 400.

use crm_notify::messages::{Channel, Message, MessageStatus};
use serde_json::{json, Value};

use crate::helpers::{code_sent_to, eventually, fixture_store, mailbox, reports_for, stack, unique_phone, TestApp};

async fn messages_of(app: &TestApp) -> Vec<Message> {
    crate::helpers::queued_messages(app.tenant).await
}

async fn start(app: &TestApp, phone: &str) {
    let resp = app.post("/v1/auth/phone/verify/start").json(&json!({ "e164": phone })).send().await.unwrap();
    assert_eq!(resp.status(), 202);
}

async fn inject(to: &str, status: u16, times: u32) {
    let resp = reqwest::Client::new()
        .post(format!("{}/_local/fake/failures", stack().url))
        .json(&json!({ "to": to, "status": status, "times": times }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

async fn sms_of(app: &TestApp) -> Message {
    messages_of(app).await.into_iter().find(|m| m.channel == Channel::Sms).expect("an sms message")
}

#[tokio::test]
async fn an_sms_goes_through_infobip_with_its_email_and_inbox_mirrors() {
    let app = TestApp::with_plan(&["staff"], "DevPro").await;
    let phone = unique_phone();
    reports_for(&phone).await;
    reports_for(&format!("{}@fixture.example.com", app.user.to_string().to_lowercase())).await;
    start(&app, &phone).await;
    let code = code_sent_to(&phone, "otp.verify_phone", &[]).await;
    let sms = mailbox(&phone).await;
    assert_eq!(sms[0]["provider"], "infobip", "{sms:?}");

    // Sent, then delivered by each provider's report to our webhooks.
    let all = eventually("the group delivered", crate::helpers::PIPELINE, || async {
        let all = messages_of(&app).await;
        (all.len() == 3 && all.iter().all(|m| m.status == MessageStatus::Delivered)).then_some(all)
    })
    .await;
    let group = all[0].dispatch_group_id.expect("a dispatch group");
    assert!(all.iter().all(|m| m.dispatch_group_id == Some(group)));
    let by = |c: Channel| all.iter().find(|m| m.channel == c).unwrap().clone();
    let (sms, email, inbox) = (by(Channel::Sms), by(Channel::Email), by(Channel::Inbox));
    assert_eq!((sms.status, sms.provider.as_deref(), sms.billable), (MessageStatus::Delivered, Some("infobip"), true));
    assert!(sms.provider_message_id.is_some());
    assert_eq!((email.status, email.provider.as_deref(), email.billable), (MessageStatus::Delivered, Some("brevo"), false));
    assert_eq!(email.mirror_of, Some(sms.id));
    assert_eq!(inbox.status, MessageStatus::Delivered);

    // The code counts on the month's SMS usage (its mirrors do not).
    let month = crm_kernel::Timestamp::now().date()[..7].to_string();
    let usage = fixture_store().await.get(&crm_store::keys::usage_month(app.tenant, &month)).await.unwrap().expect("usage");
    assert_eq!(usage.get("sms").and_then(|v| v.as_n().ok()).map(String::as_str), Some("1"));

    // The mirrors say a code was sent, never the code.
    let mail = mailbox(&email.to).await;
    assert_eq!(mail[0]["provider"], "brevo");
    assert!(!mail[0]["body"].as_str().unwrap().contains(&code));
    let entry =
        fixture_store().await.get(&notifications::inbox::InboxEntry::key(app.tenant, inbox.id)).await.unwrap().expect("an inbox entry");
    let entry: Value = serde_json::to_value(crm_store::item::from_item::<notifications::inbox::InboxEntry>(entry).unwrap()).unwrap();
    assert_eq!(entry["recipient_user_id"], app.user.to_string());
    assert_eq!(entry["is_read"], false);
    assert!(!entry["body"].as_str().unwrap().contains(&code));
}

#[tokio::test]
async fn a_provider_500_is_retried_with_backoff_then_sent_once() {
    let app = TestApp::with_plan(&["staff"], "DevPro").await;
    let phone = unique_phone();
    inject(&phone, 500, 2).await;
    start(&app, &phone).await;
    code_sent_to(&phone, "otp.verify_phone", &[]).await;
    let sms = eventually("the sms sent", crate::helpers::PIPELINE, || async {
        Some(sms_of(&app).await).filter(|m| matches!(m.status, MessageStatus::Sent | MessageStatus::Delivered))
    })
    .await;
    assert_eq!(sms.attempts, 3, "two failures, then the send");
    // Settled as sent: the worker is done with it, and the provider saw it once.
    assert_eq!(mailbox(&phone).await.len(), 1, "sent exactly once");
}

#[tokio::test]
async fn when_retries_run_out_the_message_fails_and_is_dead_lettered() {
    let app = TestApp::with_plan(&["staff"], "DevPro").await;
    let phone = unique_phone();
    inject(&phone, 503, 10).await;
    start(&app, &phone).await;
    let sms = eventually("the sms failed", crate::helpers::PIPELINE, || async {
        Some(sms_of(&app).await).filter(|m| m.status == MessageStatus::Failed)
    })
    .await;
    assert_eq!(sms.attempts, 4, "the first try and three retries");
    assert_eq!(sms.error_code.as_deref(), Some("TEMPORARY_FAILURE"));
    assert!(mailbox(&phone).await.is_empty());

    // The event waits in the notifications DLQ for a requeue.
    let stack_info: Value = reqwest::get(format!("{}/_local/stack", stack().url)).await.unwrap().json().await.unwrap();
    let dlq = stack_info["queues"]["NotificationsDLQ"]["url"].as_str().unwrap().to_string();
    let sqs = aws_sdk_sqs::Client::new(&crate::helpers::sdk().await);
    let id = sms.id.to_string();
    eventually("the event in the DLQ", crate::helpers::PIPELINE, || async {
        let out = sqs.receive_message().queue_url(&dlq).max_number_of_messages(10).visibility_timeout(0).send().await.ok()?;
        out.messages().iter().any(|m| m.body().unwrap_or_default().contains(&id)).then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_provider_400_is_not_retried() {
    let app = TestApp::with_plan(&["staff"], "DevPro").await;
    let phone = unique_phone();
    inject(&phone, 400, 1).await;
    start(&app, &phone).await;
    let sms = eventually("the sms failed", crate::helpers::PIPELINE, || async {
        Some(sms_of(&app).await).filter(|m| m.status == MessageStatus::Failed)
    })
    .await;
    assert_eq!((sms.attempts, sms.error_code.as_deref()), (1, Some("INVALID_REQUEST")));
}
