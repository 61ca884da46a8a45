//! The approvals engine over HTTP (ADR 0011): a policy blocks an action
//! (here: completing a high-priority task) until its steps approve; flat and
//! sequential steps; rejection, cancellation; policies switched on and off
//! without code; approvers told through the notifications core; every
//! decision audited; another tenant sees nothing.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{body_of, eventually, mailbox, TestApp};

async fn policy(app: &TestApp, steps: Value) -> String {
    let p = body_of(app.post("/v1/approvals/policies").json(&json!({
        "name": "High-priority completions", "action_code": "task.complete", "object_type": "task",
        "conditions": [{"field": "priority", "op": "eq", "value": "high"}], "steps": steps,
    })))
    .await;
    p["data"]["id"].as_str().unwrap_or_else(|| panic!("{p}")).to_string()
}

async fn task(app: &TestApp, priority: &str) -> String {
    let t = body_of(app.post("/v1/tasks").json(&json!({"title": format!("Close the {priority} deal"), "priority": priority}))).await;
    t["data"]["id"].as_str().unwrap().to_string()
}

async fn complete(app: &TestApp, id: &str) -> (u16, Value) {
    let r = app.post(&format!("/v1/tasks/{id}/complete")).send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

fn email_of(app: &TestApp) -> String {
    format!("{}@fixture.example.com", app.user.to_string().to_lowercase())
}

#[tokio::test]
async fn a_flat_policy_blocks_the_action_until_a_manager_approves() {
    let admin = TestApp::admin().await;
    let rep = admin.colleague(&["sales_rep"]).await;
    let manager = admin.colleague(&["manager"]).await;
    policy(&admin, json!([{"approver_mode": "role", "approver_ref": "manager"}])).await;

    let id = task(&rep, "high").await;
    let (status, body) = complete(&rep, &id).await;
    assert_eq!(status, 202, "{body}");
    let request = body["data"]["approval_request"].clone();
    let rid = request["id"].as_str().unwrap().to_string();
    assert_eq!((request["state"].as_str(), request["approvers"].clone()), (Some("pending"), json!([manager.user.to_string()])));
    assert_eq!(rep.get_json(&format!("/v1/tasks/{id}")).await["data"]["status"], "open", "blocked until approved");
    let (status, again) = complete(&rep, &id).await;
    assert_eq!((status, again["data"]["approval_request"]["id"].as_str()), (202, Some(rid.as_str())), "one request per action and object");

    // The manager is told and finds it in their queue.
    eventually("the approver's email", crate::helpers::PIPELINE, || async {
        mailbox(&email_of(&manager)).await.into_iter().find(|m| m["template_code"] == "approval.step_opened")
    })
    .await;
    let queue = manager.get_json("/v1/approvals/requests?for=me").await;
    assert_eq!(queue["data"][0]["id"], rid.as_str());

    // Only an approver of the open step decides; never the requester.
    let approve = |who: &TestApp| who.post(&format!("/v1/approvals/requests/{rid}/approve")).json(&json!({"comment": "fine"}));
    assert_eq!(approve(&rep).send().await.unwrap().status(), 403);
    assert_eq!(approve(&admin).send().await.unwrap().status(), 403, "admins decide only when they are the step's approvers");
    let approved = body_of(approve(&manager)).await;
    assert_eq!(approved["data"]["state"], "approved");
    assert_eq!(approved["data"]["actions"][0]["comment"], "fine");
    assert!(manager.get_json("/v1/approvals/requests?for=me").await["data"].as_array().unwrap().is_empty(), "out of the queue");

    // Trying again goes through, once; the requester was told; all of it audited.
    let (status, done) = complete(&rep, &id).await;
    assert_eq!((status, done["data"]["status"].as_str()), (200, Some("done")));
    eventually("the requester's email", crate::helpers::PIPELINE, || async {
        mailbox(&email_of(&rep)).await.into_iter().find(|m| m["template_code"] == "approval.decided")
    })
    .await;
    for action in ["approval.requested", "approval.step.opened", "approval.approved"] {
        let audit = admin.get_json(&format!("/v1/admin/audit-logs?action={action}&subject_id={rid}")).await;
        assert_eq!(audit["data"].as_array().map(Vec::len), Some(1), "{action}: {audit}");
    }
    assert_eq!(complete(&rep, &task(&rep, "low").await).await.0, 200, "a low-priority task needs no approval");

    let stranger = TestApp::admin().await;
    assert_eq!(stranger.get(&format!("/v1/approvals/requests/{rid}")).send().await.unwrap().status(), 404);
    assert_eq!(stranger.post(&format!("/v1/approvals/requests/{rid}/reject")).send().await.unwrap().status(), 404);
}

#[tokio::test]
async fn sequential_steps_rejections_cancellations_and_switching_policies_off() {
    let admin = TestApp::with_plan(&["admin"], "DevPro").await;
    let rep = admin.colleague(&["sales_rep"]).await;
    let manager = admin.colleague(&["manager"]).await;
    let pid = policy(&admin, json!([{"approver_mode": "role", "approver_ref": "manager"}, {"approver_mode": "user", "approver_ref": admin.user.to_string(), "sla_hours": 24}])).await;

    let id = task(&rep, "high").await;
    let rid = complete(&rep, &id).await.1["data"]["approval_request"]["id"].as_str().unwrap().to_string();
    let step1 = body_of(manager.post(&format!("/v1/approvals/requests/{rid}/approve"))).await;
    assert_eq!((step1["data"]["state"].as_str(), step1["data"]["current_step"].as_u64()), (Some("pending"), Some(2)));
    assert_eq!(step1["data"]["approvers"], json!([admin.user.to_string()]));
    assert!(step1["data"]["step_due_at"].is_string(), "the step's SLA");
    let rejected = body_of(admin.post(&format!("/v1/approvals/requests/{rid}/reject")).json(&json!({"comment": "not yet"}))).await;
    assert_eq!(rejected["data"]["state"], "rejected");
    assert_eq!(complete(&rep, &id).await.0, 202, "a rejection does not let the action through");

    // A new request; the requester withdraws it.
    let mine = rep.get_json("/v1/approvals/requests?requested_by=me&state=pending").await;
    let rid2 = mine["data"][0]["id"].as_str().unwrap().to_string();
    assert_ne!(rid2, rid);
    assert_eq!(manager.post(&format!("/v1/approvals/requests/{rid2}/cancel")).send().await.unwrap().status(), 403);
    assert_eq!(body_of(rep.post(&format!("/v1/approvals/requests/{rid2}/cancel"))).await["data"]["state"], "cancelled");

    // Switched off, the policy blocks nothing.
    let off = admin.request(Method::PATCH, &format!("/v1/approvals/policies/{pid}")).json(&json!({"active": false})).send().await.unwrap();
    assert_eq!(off.status(), 200);
    let read = admin.get(&format!("/v1/approvals/policies/{pid}")).send().await.unwrap();
    assert_eq!(read.headers()["etag"], "\"2\"", "the version PATCH and DELETE take in If-Match");
    let read: Value = read.json().await.unwrap();
    assert_eq!((read["data"]["id"].as_str(), read["data"]["active"].as_bool()), (Some(pid.as_str()), Some(false)));
    assert_eq!(complete(&rep, &id).await.0, 200);
}

#[tokio::test]
async fn policies_are_validated_and_limited_by_plan() {
    let admin = TestApp::admin().await;
    let bad = body_of(admin.post("/v1/approvals/policies").json(&json!({"name": "x", "action_code": "Task Complete", "object_type": "task", "steps": [{"kind": "parallel", "approver_mode": "role", "approver_ref": "manager"}]}))).await;
    let fields: Vec<&str> = bad["error"]["details"].as_array().unwrap().iter().map(|d| d["field"].as_str().unwrap()).collect();
    assert_eq!(fields, vec!["action_code", "steps[0].kind"]);
    policy(&admin, json!([{"approver_mode": "role", "approver_ref": "manager"}])).await;
    let second = policy(&admin, json!([{"approver_mode": "role", "approver_ref": "admin"}])).await;
    let third = body_of(admin.post("/v1/approvals/policies").json(&json!({"name": "3", "action_code": "deal.discount", "object_type": "deal", "steps": [{"approver_mode": "role", "approver_ref": "manager"}]}))).await;
    assert_eq!(
        (third["error"]["code"].as_str(), third["error"]["limit"].as_i64()),
        (Some("LIMIT_REACHED"), Some(2)),
        "DevFree: 2 active policies"
    );
    let inactive = admin.post("/v1/approvals/policies").json(&json!({"name": "3", "action_code": "deal.discount", "object_type": "deal", "active": false, "steps": [{"approver_mode": "role", "approver_ref": "manager"}]})).send().await.unwrap();
    assert_eq!(inactive.status(), 201, "inactive policies do not count");
    assert_eq!(admin.request(Method::DELETE, &format!("/v1/approvals/policies/{second}")).send().await.unwrap().status(), 204);
    let listed = admin.get_json("/v1/approvals/policies?action_code=task.complete").await;
    assert_eq!(listed["data"].as_array().map(Vec::len), Some(1));
    let rep = admin.colleague(&["sales_rep"]).await;
    assert_eq!(rep.post("/v1/approvals/policies").json(&json!({})).send().await.unwrap().status(), 403);
}
