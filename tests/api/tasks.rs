//! Tasks: assignment notifies the assignee (email and inbox), lists by
//! owner and due range are key conditions, overdue, completion, who may
//! change what, another tenant's ids.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{body_of, eventually, mailbox, TestApp};

#[tokio::test]
async fn an_assigned_task_notifies_its_owner_and_lists_by_due_time() {
    let manager = TestApp::with_roles(&["manager"]).await;
    let rep = manager.colleague(&["sales_rep"]).await;
    let contact = body_of(manager.post("/v1/contacts").json(&json!({"first_name": "Bob"}))).await;
    let cid = contact["data"]["id"].as_str().unwrap().to_string();
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    let yesterday = (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339();

    let bad = body_of(manager.post("/v1/tasks").json(&json!({"priority": "urgent", "due_at": "soon"}))).await;
    let fields: Vec<&str> = bad["error"]["details"].as_array().unwrap().iter().map(|d| d["field"].as_str().unwrap()).collect();
    assert_eq!(fields, vec!["priority", "due_at", "title"]);

    let task = body_of(manager.post("/v1/tasks").json(&json!({"title": "Call Bob about the renewal", "owner_user_id": rep.user.to_string(), "due_at": tomorrow, "priority": "high", "related": {"type": "contact", "id": cid}}))).await;
    let tid = task["data"]["id"].as_str().unwrap().to_string();
    let late = body_of(rep.post("/v1/tasks").json(&json!({"title": "Send the brochure", "due_at": yesterday}))).await;
    let late_id = late["data"]["id"].as_str().unwrap().to_string();

    // The rep hears about it: inbox and email.
    let entry = eventually("the assignment in the inbox", crate::helpers::PIPELINE, || async {
        rep.get_json("/v1/me/notifications").await["data"]
            .as_array()
            .and_then(|a| a.iter().find(|e| e["meta"]["template_code"] == "task.assigned").cloned())
    })
    .await;
    assert!(entry["body"].as_str().unwrap().starts_with("Call Bob about the renewal"));
    let email = format!("{}@fixture.example.com", rep.user.to_string().to_lowercase());
    eventually("the assignment email", crate::helpers::PIPELINE, || async {
        mailbox(&email).await.into_iter().find(|m| m["template_code"] == "task.assigned")
    })
    .await;

    // My tasks by due time; overdue; the contact's tasks.
    let mine: Vec<String> =
        rep.get_json("/v1/tasks").await["data"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap().to_string()).collect();
    assert_eq!(mine, vec![late_id.clone(), tid.clone()], "soonest first");
    let overdue = rep.get_json("/v1/tasks?overdue=true").await;
    assert_eq!(overdue["data"].as_array().unwrap().len(), 1);
    assert_eq!(overdue["data"][0]["id"], late_id.as_str());
    let of_bob = manager.get_json(&format!("/v1/tasks?related_type=contact&related_id={cid}")).await;
    assert_eq!(of_bob["data"][0]["id"], tid.as_str());

    let done = body_of(rep.post(&format!("/v1/tasks/{tid}/complete"))).await;
    assert_eq!((done["data"]["status"].as_str(), done["data"]["completed_at"].is_string()), (Some("done"), true));
    assert_eq!(rep.post(&format!("/v1/tasks/{tid}/complete")).send().await.unwrap().status(), 200, "again: no change");

    let other_rep = manager.colleague(&["sales_rep"]).await;
    assert_eq!(
        other_rep
            .request(Method::PATCH, &format!("/v1/tasks/{late_id}"))
            .json(&json!({"title": "mine now"}))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    let viewer = manager.colleague(&["viewer"]).await;
    assert_eq!(viewer.post("/v1/tasks").json(&json!({"title": "x"})).send().await.unwrap().status(), 403);
    let other = TestApp::admin().await;
    assert_eq!(other.get(&format!("/v1/tasks/{tid}")).send().await.unwrap().status(), 404);
    assert_eq!(other.get_json("/v1/tasks?owner=all").await["data"], json!([]));
    let resp = rep.request(Method::DELETE, &format!("/v1/tasks/{late_id}")).send().await.unwrap();
    assert_eq!(resp.status(), 204);
}

#[tokio::test]
async fn a_records_timeline_merges_its_notes_and_tasks_newest_first() {
    let app = TestApp::with_roles(&["manager"]).await;
    let contact = body_of(app.post("/v1/contacts").json(&json!({"first_name": "Dina"}))).await;
    let cid = contact["data"]["id"].as_str().unwrap().to_string();
    let subject = json!({"type": "contact", "id": cid});
    body_of(app.post("/v1/notes").json(&json!({"body": "Met at the Cairo fair", "subject": subject}))).await;
    body_of(app.post("/v1/tasks").json(&json!({"title": "Send the price list", "related": subject}))).await;
    body_of(app.post("/v1/notes").json(&json!({"body": "Asked for a discount", "subject": subject}))).await;
    body_of(app.post("/v1/notes").json(&json!({"body": "Someone else's note"}))).await;

    let timeline = app.get_json(&format!("/v1/timeline?subject_type=contact&subject_id={cid}")).await;
    let kinds: Vec<&str> = timeline["data"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, vec!["note", "task", "note"]);
    assert_eq!(timeline["data"][0]["data"]["body"], "Asked for a discount");
    assert_eq!(timeline["data"][1]["data"]["title"], "Send the price list");
    let page = app.get_json(&format!("/v1/timeline?subject_type=contact&subject_id={cid}&limit=2")).await;
    assert_eq!(page["pagination"]["hasNext"], true);
    assert_eq!(app.get(&format!("/v1/timeline?subject_type=planet&subject_id={cid}")).send().await.unwrap().status(), 400);
    let other = TestApp::admin().await;
    assert_eq!(other.get_json(&format!("/v1/timeline?subject_type=contact&subject_id={cid}")).await["data"], json!([]));
}

#[tokio::test]
async fn logged_calls_and_meetings_list_by_record_owner_type_and_date() {
    let app = TestApp::with_roles(&["sales_rep"]).await;
    let contact = body_of(app.post("/v1/contacts").json(&json!({"first_name": "Karim"}))).await;
    let cid = contact["data"]["id"].as_str().unwrap().to_string();
    let subject = json!({"type": "contact", "id": cid});
    let bad = body_of(
        app.post("/v1/activities")
            .json(&json!({"type": "fax", "title": "x", "started_at": "2026-11-20T10:00:00Z", "ended_at": "2026-11-20T09:00:00Z"})),
    )
    .await;
    let fields: Vec<&str> = bad["error"]["details"].as_array().unwrap().iter().map(|d| d["field"].as_str().unwrap()).collect();
    assert_eq!(fields, vec!["type", "ended_at"]);
    let call = body_of(app.post("/v1/activities").json(&json!({"type": "call", "title": "Discovery call", "direction": "outbound", "started_at": "2026-11-20T10:00:00Z", "ended_at": "2026-11-20T10:20:00Z", "subject": subject}))).await;
    body_of(
        app.post("/v1/activities")
            .json(&json!({"type": "meeting", "title": "Site visit", "started_at": "2026-11-21T12:00:00Z", "subject": subject})),
    )
    .await;
    body_of(app.post("/v1/activities").json(&json!({"type": "call", "title": "Cold call", "started_at": "2026-10-01T08:00:00Z"}))).await;

    let titles =
        |v: Value| -> Vec<String> { v["data"].as_array().unwrap().iter().map(|a| a["title"].as_str().unwrap().to_string()).collect() };
    assert_eq!(
        titles(app.get_json(&format!("/v1/activities?subject_type=contact&subject_id={cid}")).await),
        vec!["Site visit", "Discovery call"]
    );
    assert_eq!(titles(app.get_json("/v1/activities?type=call").await), vec!["Discovery call", "Cold call"]);
    assert_eq!(titles(app.get_json("/v1/activities?owner=me&from=2026-11-01&to=2026-11-20").await), vec!["Discovery call"]);
    let timeline = app.get_json(&format!("/v1/timeline?subject_type=contact&subject_id={cid}")).await;
    assert_eq!(timeline["data"].as_array().unwrap().iter().filter(|e| e["type"] == "activity").count(), 2);

    let id = call["data"]["id"].as_str().unwrap();
    let stale = app
        .request(Method::PATCH, &format!("/v1/activities/{id}"))
        .header("if-match", "\"9\"")
        .json(&json!({"title": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 412);
    let other = TestApp::admin().await;
    assert_eq!(other.get(&format!("/v1/activities/{id}")).send().await.unwrap().status(), 404);
    assert_eq!(app.request(Method::DELETE, &format!("/v1/activities/{id}")).send().await.unwrap().status(), 204);
}
