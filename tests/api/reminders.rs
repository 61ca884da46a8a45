//! Task reminders over HTTP (ADR 0010): scheduled as EventBridge
//! Scheduler one-time schedules, fired on time by the local stack, delivered
//! to the task's owner through the notifications core; cancelled ones and
//! reminders of closed tasks send nothing.

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{body_of, eventually, mailbox, TestApp};

fn at(secs: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::seconds(secs)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

async fn task(app: &TestApp, title: &str) -> String {
    let t = body_of(app.post("/v1/tasks").json(&json!({"title": title, "due_at": at(86_400)}))).await;
    t["data"]["id"].as_str().unwrap_or_else(|| panic!("{t}")).to_string()
}

async fn reminders(app: &TestApp, task: &str) -> Vec<Value> {
    app.get_json(&format!("/v1/tasks/{task}/reminders")).await["data"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn a_reminder_fires_at_its_time_by_email_and_inbox() {
    let app = TestApp::with_roles(&["sales_rep"]).await;
    let id = task(&app, "Send the Acme proposal").await;
    let made = app.post(&format!("/v1/tasks/{id}/remind")).json(&json!({"remind_at": at(2)})).send().await.unwrap();
    assert_eq!(made.status(), 201);
    let made: Value = made.json().await.unwrap();
    assert_eq!(made["data"]["reminders"][0]["status"], "pending");
    assert_eq!(made["data"]["reminders"][0]["channels"], json!(["email", "inbox"]));

    let sent = eventually("the reminder fired", crate::helpers::PIPELINE, || async {
        reminders(&app, &id).await.into_iter().find(|r| r["status"] == "sent")
    })
    .await;
    assert_eq!(sent["message_ids"].as_array().unwrap().len(), 2);
    let email = format!("{}@fixture.example.com", app.user.to_string().to_lowercase());
    let mail = eventually("the reminder email", crate::helpers::PIPELINE, || async {
        mailbox(&email).await.into_iter().find(|m| m["template_code"] == "task.reminder")
    })
    .await;
    assert!(mail["subject"].as_str().unwrap().contains("Send the Acme proposal"), "{mail}");
    let inbox = eventually("the reminder in the inbox", crate::helpers::PIPELINE, || async {
        let n = app.get_json("/v1/me/notifications").await;
        n["data"].as_array().unwrap().iter().find(|e| e["title"] == "Reminder").cloned()
    })
    .await;
    assert!(inbox["body"].as_str().unwrap().starts_with("Send the Acme proposal (due "), "{inbox}");
}

#[tokio::test]
async fn cancelled_reminders_and_closed_tasks_send_nothing() {
    let app = TestApp::with_roles(&["sales_rep"]).await;
    let id = task(&app, "Call Globex").await;
    let made = body_of(
        app.post(&format!("/v1/tasks/{id}/remind"))
            .json(&json!({"reminders": [{"remind_at": at(3600)}, {"remind_at": at(40), "channels": ["inbox"]}]})),
    )
    .await;
    // Completing the task well before the other fires: it is cancelled when its time comes.
    assert_eq!(app.post(&format!("/v1/tasks/{id}/complete")).send().await.unwrap().status(), 200);
    let later = made["data"]["reminders"][0]["id"].as_str().unwrap_or_else(|| panic!("remind answered {made}")).to_string();
    let gone = app.request(Method::DELETE, &format!("/v1/tasks/{id}/reminders/{later}")).send().await.unwrap();
    assert_eq!(gone.status(), 204);
    assert_eq!(app.request(Method::DELETE, &format!("/v1/tasks/{id}/reminders/{later}")).send().await.unwrap().status(), 409);
    let closed = eventually("the reminder of a closed task", Duration::from_secs(90), || async {
        reminders(&app, &id).await.into_iter().find(|r| r["reason"] == "task_closed")
    })
    .await;
    assert_eq!((closed["status"].as_str(), closed["message_ids"].as_array().map(Vec::len)), (Some("cancelled"), Some(0)));
    let all = reminders(&app, &id).await;
    assert_eq!(all.iter().filter(|r| r["reason"] == "cancelled_by_user").count(), 1);
    let refused = body_of(app.post(&format!("/v1/tasks/{id}/remind")).json(&json!({"remind_at": at(60)}))).await;
    assert_eq!(refused["error"]["code"], "TASK_CLOSED");
}

#[tokio::test]
async fn reminders_are_validated_gated_by_plan_and_private_to_the_tenant() {
    let app = TestApp::with_roles(&["sales_rep"]).await;
    let id = task(&app, "Visit the site").await;
    let path = format!("/v1/tasks/{id}/remind");
    let bad = body_of(app.post(&path).json(&json!({"remind_at": at(-60), "channels": ["pigeon"]}))).await;
    let fields: Vec<&str> = bad["error"]["details"].as_array().unwrap().iter().map(|d| d["field"].as_str().unwrap()).collect();
    assert_eq!(fields, vec!["remind_at", "channels"]);
    let sms = body_of(app.post(&path).json(&json!({"remind_at": at(600), "channels": ["sms"]}))).await;
    assert_eq!((sms["error"]["code"].as_str(), sms["error"]["feature"].as_str()), (Some("PLAN_REQUIRED"), Some("notifications.sms")));
    let many: Vec<Value> = (0..11).map(|i| json!({"remind_at": at(600 + i)})).collect();
    assert_eq!(app.post(&path).json(&json!({ "reminders": many })).send().await.unwrap().status(), 400);
    assert!(reminders(&app, &id).await.is_empty(), "refused requests schedule nothing");
    let stranger = TestApp::with_roles(&["admin"]).await;
    assert_eq!(stranger.post(&path).json(&json!({"remind_at": at(600)})).send().await.unwrap().status(), 404);
    assert_eq!(stranger.get(&format!("/v1/tasks/{id}/reminders")).send().await.unwrap().status(), 404);
}
