//! `Idempotency-Key` on creates: a retried create answers the first
//! response and creates nothing more; the key's marker commits in the
//! create's own transaction, so concurrent retries create one resource.

use serde_json::{json, Value};

use crate::helpers::TestApp;

async fn contacts_named(app: &TestApp, last: &str) -> Vec<Value> {
    let list = app.get_json(&format!("/v1/contacts?search={last}")).await;
    list["data"].as_array().unwrap().iter().filter(|c| c["last_name"] == last).cloned().collect()
}

#[tokio::test]
async fn a_retried_create_answers_the_first_response_and_creates_once() {
    let app = TestApp::admin().await;
    let body = json!({"first_name": "Ida", "last_name": "Retried", "email": "ida@retry.example"});
    let first = app.post("/v1/contacts").header("idempotency-key", "k-1").json(&body).send().await.unwrap();
    assert_eq!(first.status(), 201);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let location = first.headers().get("location").map(|v| v.to_str().unwrap().to_string());
    let first: Value = first.json().await.unwrap();

    let again = app.post("/v1/contacts").header("idempotency-key", "k-1").json(&body).send().await.unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.headers().get("location").map(|v| v.to_str().unwrap().to_string()), location);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["data"], first["data"], "the stored answer, byte for byte");
    assert_eq!(contacts_named(&app, "Retried").await.len(), 1);

    // The same key for another request is refused, and creates nothing.
    let other = app
        .post("/v1/contacts")
        .header("idempotency-key", "k-1")
        .json(&json!({"first_name": "Other", "last_name": "Retried"}))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 422);
    let other: Value = other.json().await.unwrap();
    assert_eq!(other["error"]["code"], "IDEMPOTENCY_KEY_REUSED");
    assert_eq!(contacts_named(&app, "Retried").await.len(), 1);

    // Without a key, or with a new one, a create is a create.
    let fresh = app
        .post("/v1/contacts")
        .header("idempotency-key", "k-2")
        .json(&json!({"first_name": "Ida", "last_name": "Retried"}))
        .send()
        .await
        .unwrap();
    assert_eq!(fresh.status(), 201);
    assert_eq!(contacts_named(&app, "Retried").await.len(), 2);
}

#[tokio::test]
async fn concurrent_retries_create_one_resource() {
    let app = TestApp::admin().await;
    // Notes have no natural key of their own: only the Idempotency-Key's marker stops a second one.
    let body = json!({"body": "raced"});
    let sends = (0..6).map(|_| app.post("/v1/notes").header("idempotency-key", "race-1").json(&body).send());
    let answers = futures::future::join_all(sends).await;
    let mut ids = std::collections::BTreeSet::new();
    for resp in answers {
        let resp = resp.unwrap();
        let status = resp.status().as_u16();
        let body: Value = resp.json().await.unwrap();
        match status {
            201 => {
                ids.insert(body["data"]["id"].as_str().unwrap().to_string());
            }
            // A retry that arrives while the first is still running.
            409 => assert_eq!(body["error"]["code"], "CONFLICT", "{body}"),
            other => panic!("{other}: {body}"),
        }
    }
    assert_eq!(ids.len(), 1, "every 201 is the same note");
    let list = app.get_json("/v1/notes").await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1, "one note: {list}");
}

#[tokio::test]
async fn keys_are_the_callers_own_and_a_refused_request_leaves_the_key_free() {
    let app = TestApp::admin().await;
    let colleague = app.colleague(&["admin"]).await;
    // A request refused before it wrote anything does not hold the key.
    let bad = app.post("/v1/contacts").header("idempotency-key", "shared").json(&json!({"first_name": ""})).send().await.unwrap();
    assert_eq!(bad.status(), 400);
    let body = json!({"first_name": "Una", "last_name": "Keyed"});
    let mine = app.post("/v1/contacts").header("idempotency-key", "shared").json(&body).send().await.unwrap();
    assert_eq!(mine.status(), 201, "the corrected request takes the key");
    // Another user's same key is another key: it creates, and sees nothing of mine.
    let theirs = colleague.post("/v1/contacts").header("idempotency-key", "shared").json(&body).send().await.unwrap();
    assert_eq!(theirs.status(), 201);
    assert!(theirs.headers().get("idempotent-replayed").is_none());
    assert_eq!(contacts_named(&app, "Keyed").await.len(), 2);

    for key in ["", "has space", &"k".repeat(256)] {
        let resp = app.post("/v1/contacts").header("idempotency-key", key).json(&body).send().await.unwrap();
        assert_eq!(resp.status(), 400, "{key:?}");
    }
    assert_eq!(contacts_named(&app, "Keyed").await.len(), 2);
}
