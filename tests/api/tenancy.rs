//! A tenant never sees another tenant's data: foreign ids are 404.

use crate::helpers::TestApp;
use serde_json::{json, Value};

#[tokio::test]
async fn another_tenants_note_is_not_found_and_not_listed() {
    let a = TestApp::admin().await;
    let b = TestApp::admin().await;
    let note = a.create_note("tenant A's secret").await;
    let id = note["id"].as_str().unwrap();

    let resp = b.get(&format!("/v1/notes/{id}")).send().await.unwrap();
    assert_eq!(resp.status(), 404);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "NOT_FOUND");

    let listed = b.get_json("/v1/notes").await;
    assert_eq!(listed["data"], json!([]));
    assert_eq!(a.get(&format!("/v1/notes/{id}")).send().await.unwrap().status(), 200);

    // A's activity never shows up in B's feed, even after A's event is projected.
    crate::helpers::eventually("A's feed entry", crate::helpers::PIPELINE, || async {
        a.feed().await.iter().any(|e| e["subject"]["id"] == id).then_some(())
    })
    .await;
    assert!(b.feed().await.is_empty());
}
