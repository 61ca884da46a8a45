//! The event pipeline end to end: transaction → stream → publisher →
//! EventBridge → rule → SQS → worker, idempotent, with partial batch
//! failures and dead-lettering.

use crate::helpers::{bridge_message, drained, eventually, queue, sdk, stack, TestApp};
use crm_events::{Actor, DomainEvent, Subject};
use serde_json::{json, Value};

#[tokio::test]
async fn a_created_note_reaches_the_activity_feed_through_the_bus() {
    let app = TestApp::admin().await;
    let note = app.create_note("pipeline").await;
    let id = note["id"].as_str().unwrap().to_string();
    let entry = eventually("the feed entry", crate::helpers::PIPELINE, || async {
        app.feed().await.into_iter().find(|e| e["subject"]["id"] == id.as_str())
    })
    .await;
    assert_eq!(entry["event_type"], "note.created");
    assert_eq!(entry["actor"]["user_id"], app.user.to_string());
}

#[tokio::test]
async fn a_redelivered_event_is_applied_once() {
    let app = TestApp::admin().await;
    let event = DomainEvent::new(
        app.tenant,
        crm_events::types::NOTE_CREATED,
        Actor::system(),
        Subject { kind: "note".into(), id: ulid::Ulid::new().to_string() },
        json!({}),
    );
    let sqs = aws_sdk_sqs::Client::new(&sdk().await);
    let (url, _) = queue("ActivityQueue");
    for _ in 0..3 {
        sqs.send_message().queue_url(&url).message_body(bridge_message(&event)).send().await.unwrap();
    }
    eventually("the projection", crate::helpers::PIPELINE, || async { (!app.feed().await.is_empty()).then_some(()) }).await;
    // Other tests keep the shared queue busy; a drained queue is what proves
    // the two duplicates were consumed (and ignored).
    drained(&url).await;
    let feed = app.feed().await;
    assert_eq!(feed.len(), 1, "{feed:?}");
    assert_eq!(feed[0]["event_id"], event.event_id);
}

#[tokio::test]
async fn a_poison_message_is_dead_lettered_counted_and_loses_nothing_else() {
    let app = TestApp::admin().await;
    let good: Vec<DomainEvent> = (0..2)
        .map(|_| {
            DomainEvent::new(
                app.tenant,
                crm_events::types::NOTE_CREATED,
                Actor::system(),
                Subject { kind: "note".into(), id: ulid::Ulid::new().to_string() },
                json!({}),
            )
        })
        .collect();
    let marker = format!("poison-{}", ulid::Ulid::new());
    let sqs = aws_sdk_sqs::Client::new(&sdk().await);
    let (url, _) = queue("ActivityQueue");
    let entries = vec![
        aws_sdk_sqs::types::SendMessageBatchRequestEntry::builder().id("g0").message_body(bridge_message(&good[0])).build().unwrap(),
        aws_sdk_sqs::types::SendMessageBatchRequestEntry::builder().id("p").message_body(format!("{{\"{marker}\": true")).build().unwrap(),
        aws_sdk_sqs::types::SendMessageBatchRequestEntry::builder().id("g1").message_body(bridge_message(&good[1])).build().unwrap(),
    ];
    sqs.send_message_batch().queue_url(&url).set_entries(Some(entries)).send().await.unwrap();

    // The good ones are processed even though they shared a batch with the poison.
    eventually("both good events in the feed", crate::helpers::PIPELINE, || async { (app.feed().await.len() == 2).then_some(()) }).await;

    // The poison one ends in the DLQ after maxReceiveCount receives.
    let (dlq_url, _) = queue("ActivityDLQ");
    let dead = eventually("the poison message in the DLQ", crate::helpers::PIPELINE, || {
        let sqs = sqs.clone();
        let dlq_url = dlq_url.clone();
        let marker = marker.clone();
        async move {
            let out = sqs.receive_message().queue_url(&dlq_url).max_number_of_messages(10).visibility_timeout(0).send().await.ok()?;
            out.messages().iter().find(|m| m.body().unwrap_or_default().contains(&marker)).cloned()
        }
    })
    .await;
    assert!(dead.body().unwrap().contains(&marker));

    // ...and the scheduled queue monitor counts it.
    let monitor: Value =
        crate::helpers::body_of(reqwest::Client::new().post(format!("{}/_local/schedules/QueueMonitorFunction", stack().url))).await;
    let dlq = monitor["queues"].as_array().unwrap().iter().find(|q| q["name"] == "activity_dlq").cloned().unwrap();
    assert!(dlq["visible"].as_i64().unwrap() >= 1, "{monitor}");
    assert_eq!(app.feed().await.len(), 2, "nothing else lost, nothing doubled");
}
