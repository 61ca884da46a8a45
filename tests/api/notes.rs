//! `/v1/notes`: create, read, list, pagination, audit.

use crate::helpers::{sdk, stack, TestApp};
use crm_store::keys;
use serde_json::{json, Value};

#[tokio::test]
async fn create_returns_201_location_etag_and_reads_back() {
    let app = TestApp::admin().await;
    let contact = ulid::Ulid::new().to_string();
    let resp = app
        .post("/v1/notes")
        .json(&json!({ "body": "  First call with Mr. Ahmed  ", "subject": { "type": "contact", "id": contact } }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(resp.headers()["etag"], "\"1\"");
    let created: Value = resp.json().await.unwrap();
    let note = &created["data"];
    assert_eq!(note["body"], "First call with Mr. Ahmed");
    assert_eq!(note["author_user_id"], app.user.to_string());
    assert_eq!(location, format!("/v1/notes/{}", note["id"].as_str().unwrap()));

    let fetched = app.get_json(&location).await;
    assert_eq!(&fetched["data"], note);

    let by_subject: Value =
        app.get(&format!("/v1/notes?subject_type=contact&subject_id={contact}")).send().await.unwrap().json().await.unwrap();
    assert_eq!(by_subject["data"].as_array().unwrap().len(), 1);
    let other_subject: Value =
        app.get(&format!("/v1/notes?subject_type=contact&subject_id={}", ulid::Ulid::new())).send().await.unwrap().json().await.unwrap();
    assert_eq!(other_subject["data"], json!([]));
}

#[tokio::test]
async fn the_same_transaction_writes_the_audit_entry_and_the_outbox_event() {
    let app = TestApp::admin().await;
    let note = app.create_note("audited").await;
    let date = &note["created_at"].as_str().unwrap()[..10];
    let ddb = aws_sdk_dynamodb::Client::new(&sdk().await);
    let audit = ddb
        .query()
        .table_name(&stack().table)
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(":pk", aws_sdk_dynamodb::types::AttributeValue::S(keys::audit_pk(app.tenant, date)))
        .send()
        .await
        .unwrap();
    let items = audit.items();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["action"].as_s().unwrap(), "note.created");
    assert_eq!(items[0]["subject_id"].as_s().unwrap(), note["id"].as_str().unwrap());
}

#[tokio::test]
async fn lists_newest_first_with_signed_cursors() {
    let app = TestApp::admin().await;
    for i in 0..5 {
        app.create_note(&format!("note {i}")).await;
    }
    let first = app.get_json("/v1/notes?limit=2").await;
    assert_eq!(first["pagination"]["limit"], 2);
    assert_eq!(first["pagination"]["hasNext"], true);
    let bodies = |v: &Value| v["data"].as_array().unwrap().iter().map(|n| n["body"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    assert_eq!(bodies(&first), vec!["note 4", "note 3"]);

    let mut seen = bodies(&first);
    let mut cursor = first["pagination"]["nextCursor"].as_str().unwrap().to_string();
    loop {
        let page = app.get_json(&format!("/v1/notes?limit=2&cursor={cursor}")).await;
        seen.extend(bodies(&page));
        match page["pagination"]["nextCursor"].as_str() {
            Some(c) => cursor = c.to_string(),
            None => break,
        }
    }
    assert_eq!(seen, vec!["note 4", "note 3", "note 2", "note 1", "note 0"]);

    // The cursor is bound to the tenant: another tenant cannot use it.
    let other = TestApp::admin().await;
    let first_cursor = first["pagination"]["nextCursor"].as_str().unwrap();
    let resp = other.get(&format!("/v1/notes?limit=2&cursor={first_cursor}")).send().await.unwrap();
    assert_eq!(resp.status(), 400);
}
