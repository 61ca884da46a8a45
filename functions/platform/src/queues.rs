//! Queue depth: visible, in flight and dead-lettered messages of every queue.

use aws_sdk_sqs::types::QueueAttributeName;
use serde::Serialize;
use serde_json::{json, Value};

use crate::App;

#[derive(Debug, Clone, Serialize)]
pub struct QueueDepth {
    pub name: String,
    pub visible: i64,
    pub in_flight: i64,
    pub dead_letter: bool,
}

/// Reads the depth of one queue.
pub async fn depth(app: &App, name: &str, url: &str) -> Result<QueueDepth, String> {
    let out = app
        .sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
        .send()
        .await
        .map_err(|e| format!("{e:?}"))?;
    let attrs = out.attributes().cloned().unwrap_or_default();
    let num = |k: QueueAttributeName| attrs.get(&k).and_then(|v| v.parse().ok()).unwrap_or(0);
    Ok(QueueDepth {
        name: name.to_string(),
        visible: num(QueueAttributeName::ApproximateNumberOfMessages),
        in_flight: num(QueueAttributeName::ApproximateNumberOfMessagesNotVisible),
        dead_letter: name.ends_with("_dlq"),
    })
}

/// All configured queues, in name order.
pub async fn all(app: &App) -> Vec<Result<QueueDepth, (String, String)>> {
    futures::future::join_all(
        app.queues.iter().map(|(name, url)| async move { depth(app, name, url).await.map_err(|e| (name.clone(), e)) }),
    )
    .await
}

/// The scheduled `queue_monitor`: emits `QueueDepth` / `DeadLetters` metrics
/// (EMF) for every queue and returns the snapshot.
pub async fn monitor(app: &App) -> Value {
    let mut report = Vec::new();
    for result in all(app).await {
        match result {
            Ok(q) => {
                let metric = if q.dead_letter { "DeadLetters" } else { "QueueDepth" };
                crm_events::metrics::emit(&[("Queue", q.name.as_str())], &[(metric, q.visible as f64), ("InFlight", q.in_flight as f64)]);
                report.push(json!(q));
            }
            Err((name, error)) => {
                tracing::error!(queue = %name, %error, "queue unreachable");
                report.push(json!({ "name": name, "error": "unreachable" }));
            }
        }
    }
    json!({ "queues": report })
}
