//! Many-to-many links (ADR 0013; the spec's acceptance criterion: "link to multiple related
//! records; show in each related entity's timeline"), kept through edits,
//! deletes and contact merges.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{body_of, eventually, TestApp};

async fn id_of(req: reqwest::RequestBuilder) -> String {
    let v = body_of(req).await;
    v["data"]["id"].as_str().unwrap_or_else(|| panic!("{v}")).to_string()
}

/// `(type, title or body, linked)` of a record's timeline, newest first.
async fn timeline(app: &TestApp, kind: &str, id: &str) -> Vec<(String, String, bool)> {
    let t = app.get_json(&format!("/v1/timeline?subject_type={kind}&subject_id={id}")).await;
    t["data"]
        .as_array()
        .unwrap_or_else(|| panic!("{t}"))
        .iter()
        .map(|e| {
            let what = e["data"]["title"].as_str().or(e["data"]["body"].as_str()).unwrap_or_default().to_string();
            (e["type"].as_str().unwrap().to_string(), what, e["linked"].as_bool().unwrap())
        })
        .collect()
}

fn entry(kind: &str, what: &str, linked: bool) -> (String, String, bool) {
    (kind.to_string(), what.to_string(), linked)
}

#[tokio::test]
async fn an_activity_or_task_shows_in_the_timeline_of_every_record_it_links() {
    let app = TestApp::admin().await;
    let bob = id_of(app.post("/v1/contacts").json(&json!({"first_name": "Bob", "last_name": "Links"}))).await;
    let jane = id_of(app.post("/v1/contacts").json(&json!({"first_name": "Jane", "last_name": "Links"}))).await;
    let acme = id_of(app.post("/v1/companies").json(&json!({"name": "Acme Links"}))).await;

    let bad =
        body_of(app.post("/v1/activities").json(&json!({"type": "call", "title": "x", "links": [{"type": "planet", "id": bob}]}))).await;
    assert_eq!(bad["error"]["details"][0]["field"], "links[0].type", "{bad}");
    let call = body_of(app.post("/v1/activities").json(&json!({
        "type": "call", "title": "Pricing call",
        "subject": {"type": "contact", "id": bob},
        "links": [{"type": "company", "id": acme}, {"type": "contact", "id": jane}, {"type": "contact", "id": bob}]
    })))
    .await;
    let call_id = call["data"]["id"].as_str().unwrap().to_string();
    assert_eq!(call["data"]["links"].as_array().unwrap().len(), 2, "the subject is not linked twice: {call}");
    let task = id_of(app.post("/v1/tasks").json(&json!({
        "title": "Send Acme the quote", "related": {"type": "contact", "id": bob}, "links": [{"type": "company", "id": acme}]
    })))
    .await;

    assert_eq!(
        timeline(&app, "contact", &bob).await,
        [entry("task", "Send Acme the quote", false), entry("activity", "Pricing call", false)]
    );
    assert_eq!(
        timeline(&app, "company", &acme).await,
        [entry("task", "Send Acme the quote", true), entry("activity", "Pricing call", true)]
    );
    assert_eq!(timeline(&app, "contact", &jane).await, [entry("activity", "Pricing call", true)]);
    let acme_calls = app.get_json(&format!("/v1/activities?subject_type=company&subject_id={acme}")).await;
    assert_eq!(acme_calls["data"][0]["id"], call_id.as_str());
    let acme_tasks = app.get_json(&format!("/v1/tasks?related_type=company&related_id={acme}&status=open")).await;
    assert_eq!(acme_tasks["data"][0]["id"], task.as_str(), "{acme_tasks}");
    let done = app.get_json(&format!("/v1/tasks?related_type=company&related_id={acme}&status=done")).await;
    assert_eq!(done["data"], json!([]));

    // Unlinking and deleting take the entries away.
    let unlinked =
        app.request(Method::PATCH, &format!("/v1/activities/{call_id}")).json(&json!({"links": [{"type": "contact", "id": jane}]}));
    assert_eq!(unlinked.send().await.unwrap().status(), 200);
    assert_eq!(app.request(Method::DELETE, &format!("/v1/tasks/{task}")).send().await.unwrap().status(), 204);
    assert_eq!(timeline(&app, "company", &acme).await, []);
    assert_eq!(timeline(&app, "contact", &jane).await, [entry("activity", "Pricing call", true)]);

    // Jane merged into Jim: the link follows her timeline to Jim.
    let jim = id_of(app.post("/v1/contacts").json(&json!({"first_name": "Jim", "last_name": "Links"}))).await;
    let merged = app.post("/v1/contacts/merge").json(&json!({"target_id": jim, "source_id": jane})).send().await.unwrap();
    assert_eq!(merged.status(), 200);
    eventually("the link to move to the merge target", crate::helpers::PIPELINE, || async {
        (timeline(&app, "contact", &jim).await == [entry("activity", "Pricing call", true)]).then_some(())
    })
    .await;
    assert_eq!(timeline(&app, "contact", &jane).await, []);
    let links = app.get_json(&format!("/v1/activities/{call_id}")).await["data"]["links"].clone();
    assert_eq!(links, json!([{"type": "contact", "id": jim}]));

    let stranger = TestApp::admin().await;
    assert_eq!(timeline(&stranger, "contact", &jim).await, [], "another tenant's timeline is empty");
}
