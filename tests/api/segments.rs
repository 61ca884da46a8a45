//! Segments: saved filters that return exactly the rows of the equivalent list.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{body_of, TestApp};

fn ids(v: &Value) -> Vec<String> {
    let mut i: Vec<String> = v["data"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_string()).collect();
    i.sort();
    i
}

#[tokio::test]
async fn a_segment_runs_the_same_rows_as_its_filter() {
    let app = TestApp::with_roles(&["manager"]).await;
    let rep = app.colleague(&["sales_rep"]).await;
    for (who, name, stage) in [(&app, "Amr", "customer"), (&app, "Dina", "customer"), (&app, "Hany", "lead"), (&rep, "Reem", "customer")] {
        let resp = who.post("/v1/contacts").json(&json!({"first_name": name, "lifecycle_stage": stage})).send().await.unwrap();
        assert_eq!(resp.status(), 201);
    }
    let seg = body_of(
        app.post("/v1/segments")
            .json(&json!({"entity": "contact", "name": "My customers", "filter": {"lifecycle": "customer", "owner": "me"}})),
    )
    .await;
    let id = seg["data"]["id"].as_str().unwrap().to_string();
    let ran = app.get_json(&format!("/v1/segments/{id}/run")).await;
    assert_eq!(ids(&ran), ids(&app.get_json("/v1/contacts?lifecycle=customer&owner=me").await));
    assert_eq!(ran["data"].as_array().unwrap().len(), 2);
    // "me" is whoever runs it.
    assert_eq!(
        ids(&rep.get_json(&format!("/v1/segments/{id}/run")).await),
        ids(&rep.get_json("/v1/contacts?lifecycle=customer&owner=me").await)
    );

    let bad =
        app.post("/v1/segments").json(&json!({"entity": "contact", "name": "x", "filter": {"lifecycle": "won"}})).send().await.unwrap();
    assert_eq!(bad.status(), 400);
    let bad = app.post("/v1/segments").json(&json!({"entity": "contact", "name": "x", "filter": {"colour": "red"}})).send().await.unwrap();
    assert_eq!(bad.status(), 400);

    let edited =
        app.request(Method::PATCH, &format!("/v1/segments/{id}")).json(&json!({"filter": {"lifecycle": "lead"}})).send().await.unwrap();
    assert_eq!(edited.status(), 200);
    assert_eq!(ids(&app.get_json(&format!("/v1/segments/{id}/run")).await), ids(&app.get_json("/v1/contacts?lifecycle=lead").await));
    assert_eq!(app.get_json("/v1/segments?entity=contact").await["data"][0]["name"], "My customers");

    let other = TestApp::with_roles(&["manager"]).await;
    assert_eq!(other.get(&format!("/v1/segments/{id}/run")).send().await.unwrap().status(), 404);
    assert_eq!(app.request(Method::DELETE, &format!("/v1/segments/{id}")).send().await.unwrap().status(), 204);
    assert_eq!(app.get(&format!("/v1/segments/{id}/run")).send().await.unwrap().status(), 404);
}
