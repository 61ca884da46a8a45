//! Event sources, driven the way Lambda's event-source mappings drive them:
//! the table stream to the outbox publisher (filter criteria, partial batch
//! failures, retries, on-failure destination), SQS queues to workers
//! (batches, partial failures, visibility timeout, redrive by the queue's own
//! policy), and schedules to scheduled functions.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, MessageSystemAttributeName};
use serde_json::{json, Value};

use crate::model::{rate_seconds, FunctionSpec, Trigger};
use crate::Stack;

// ------------------------------------------------------------------ filters

/// Lambda/EventBridge filter pattern matching: arrays list accepted values;
/// `{"prefix": "..."}` and `{"exists": bool}` are supported.
pub fn matches(pattern: &Value, event: &Value) -> bool {
    match pattern {
        Value::Object(map) => map.iter().all(|(k, p)| {
            let field = event.get(k);
            match p {
                Value::Object(_) => field.is_some_and(|f| matches(p, f)),
                Value::Array(options) => options.iter().any(|o| match (o, field) {
                    (Value::Object(op), f) => {
                        if let Some(prefix) = op.get("prefix").and_then(Value::as_str) {
                            f.and_then(Value::as_str).is_some_and(|s| s.starts_with(prefix))
                        } else if let Some(exists) = op.get("exists").and_then(Value::as_bool) {
                            f.is_some() == exists
                        } else {
                            false
                        }
                    }
                    (scalar, Some(f)) => f == scalar || f.as_array().is_some_and(|a| a.contains(scalar)),
                    (_, None) => false,
                }),
                scalar => field == Some(scalar),
            }
        }),
        _ => false,
    }
}

// ------------------------------------------------------------------ streams

async fn streams_call(stack: &Stack, target: &str, body: Value) -> Result<Value, String> {
    // The local emulator's DynamoDB Streams API, called directly (JSON 1.0).
    let resp = stack
        .http
        .post(&stack.endpoint)
        .header("x-amz-target", format!("DynamoDBStreams_20120810.{target}"))
        .header("content-type", "application/x-amz-json-1.0")
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0",
        )
        .json(&body)
        .send()
        .await
        .map_err(|e| format!("{target}: {e}"))?;
    let status = resp.status();
    let value: Value = resp.json().await.map_err(|e| format!("{target}: {e}"))?;
    if !status.is_success() {
        return Err(format!("{target}: {status} {value}"));
    }
    Ok(value)
}

/// Polls the table stream and feeds one stream-triggered function.
pub async fn run_stream(stack: Arc<Stack>, function: usize) {
    let spec = stack.specs[function].clone();
    let Some(Trigger::Stream { filters, batch_size, max_retries, on_failure }) =
        spec.triggers.iter().find(|t| matches!(t, Trigger::Stream { .. })).cloned()
    else {
        return;
    };
    let Some(stream_arn) = stack.provisioned.resolver.attrs.iter().find(|(k, _)| k.ends_with(".StreamArn")).map(|(_, v)| v.clone()) else {
        tracing::error!("no table stream to poll");
        return;
    };
    let dlq_url = on_failure
        .and_then(|d| stack.provisioned.resolver.string(&d).ok())
        .and_then(|arn| stack.provisioned.queue_by_arn(&arn).map(|(_, q)| q.url.clone()));
    let mut checkpoints = crate::state::load_checkpoints(stack.state_dir.as_deref(), &stack.provisioned.prefix);
    loop {
        let mut delivered_any = false;
        match streams_call(&stack, "DescribeStream", json!({ "StreamArn": stream_arn })).await {
            Err(e) => tracing::warn!(error = %e, "stream unavailable"),
            Ok(desc) => {
                let shards: Vec<String> = desc["StreamDescription"]["Shards"]
                    .as_array()
                    .map(|a| a.iter().filter_map(|s| s["ShardId"].as_str().map(str::to_string)).collect())
                    .unwrap_or_default();
                for shard in shards {
                    // A fresh iterator every poll, from the checkpoint: the
                    // emulator replaces a table's shard object when it rolls a
                    // failed transaction back, and an older iterator would then
                    // never see new records.
                    let mut req = json!({ "StreamArn": stream_arn, "ShardId": shard, "ShardIteratorType": "TRIM_HORIZON" });
                    if let Some(seq) = checkpoints.get(&format!("{stream_arn}|{shard}")) {
                        req["ShardIteratorType"] = json!("AFTER_SEQUENCE_NUMBER");
                        req["SequenceNumber"] = json!(seq);
                    }
                    let iterator = match streams_call(&stack, "GetShardIterator", req).await {
                        Ok(v) => match v["ShardIterator"].as_str() {
                            Some(it) => it.to_string(),
                            None => continue,
                        },
                        Err(e) => {
                            tracing::warn!(error = %e, "GetShardIterator");
                            continue;
                        }
                    };
                    // Read up to 1 000 records (as Lambda's poller does), deliver the matching ones in batches.
                    let out = match streams_call(&stack, "GetRecords", json!({ "ShardIterator": iterator, "Limit": 1000 })).await {
                        Ok(v) => v,
                        Err(e) => {
                            tracing::warn!(error = %e, "GetRecords");
                            continue;
                        }
                    };
                    let records: Vec<Value> = out["Records"].as_array().cloned().unwrap_or_default();
                    let Some(last_seq) = records.last().and_then(|r| r["dynamodb"]["SequenceNumber"].as_str()).map(str::to_string) else {
                        continue;
                    };
                    // Records were read: look again at once, without the idle pause.
                    delivered_any = true;
                    let matching: Vec<Value> = records
                        .into_iter()
                        .filter(|r| filters.is_empty() || filters.iter().any(|f| matches(f, r)))
                        .map(|mut r| {
                            r["eventSourceARN"] = json!(stream_arn);
                            r
                        })
                        .collect();
                    for chunk in matching.chunks(batch_size.max(1) as usize) {
                        let mut batch = chunk.to_vec();
                        deliver_stream_batch(&stack, &spec, &mut batch, max_retries, dlq_url.as_deref()).await;
                    }
                    checkpoints.insert(format!("{stream_arn}|{shard}"), last_seq);
                    crate::state::save_checkpoints(stack.state_dir.as_deref(), &stack.provisioned.prefix, &checkpoints);
                }
            }
        }
        if !delivered_any {
            tokio::time::sleep(stack.poll_interval).await;
        }
    }
}

async fn deliver_stream_batch(stack: &Stack, spec: &FunctionSpec, batch: &mut Vec<Value>, max_retries: u32, dlq_url: Option<&str>) {
    let mut attempts = 0u32;
    while !batch.is_empty() {
        let event = match serde_json::from_value(json!({ "Records": batch })) {
            Ok(e) => e,
            Err(e) => {
                tracing::error!(error = %e, "unreadable stream batch");
                return;
            }
        };
        let failed_seq = match stack.functions.stream(spec, event).await {
            Ok(resp) => match resp.batch_item_failures.first() {
                None => return,
                Some(f) => Some(f.item_identifier.clone()),
            },
            Err(e) => {
                tracing::error!(error = %e, function = %spec.logical_id, "stream invocation failed");
                None
            }
        };
        // Retry from the first failed record (or the whole batch).
        let from = failed_seq
            .and_then(|seq| batch.iter().position(|r| r["dynamodb"]["SequenceNumber"].as_str() == Some(seq.as_str())))
            .unwrap_or(0);
        batch.drain(..from);
        attempts += 1;
        if attempts > max_retries {
            let record = batch.remove(0);
            tracing::error!(function = %spec.logical_id, "stream record failed {attempts} times; sent to the on-failure destination");
            if let Some(url) = dlq_url {
                let body = json!({ "source": spec.logical_id, "record": record }).to_string();
                if let Err(e) = stack.clients.sqs.send_message().queue_url(url).message_body(body).send().await {
                    tracing::error!(error = ?e, "cannot reach the on-failure destination");
                }
            }
            attempts = 0;
        } else {
            tokio::time::sleep(Duration::from_millis(200 * u64::from(attempts))).await;
        }
    }
}

// ------------------------------------------------------------------ queues

/// Polls one SQS queue for one function, like an SQS event-source mapping
/// with `ReportBatchItemFailures`.
pub async fn run_queue(stack: Arc<Stack>, function: usize, queue_url: String, queue_arn: String, batch_size: i32) {
    let spec = stack.specs[function].clone();
    loop {
        let received = stack
            .clients
            .sqs
            .receive_message()
            .queue_url(&queue_url)
            .max_number_of_messages(batch_size.clamp(1, 10))
            .wait_time_seconds(0)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await;
        let messages = match received {
            Ok(out) => out.messages.unwrap_or_default(),
            Err(e) => {
                tracing::warn!(error = ?e, queue = %queue_url, "ReceiveMessage");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if messages.is_empty() {
            tokio::time::sleep(stack.poll_interval).await;
            continue;
        }
        let records: Vec<Value> = messages
            .iter()
            .map(|m| {
                let attributes: serde_json::Map<String, Value> = m
                    .attributes()
                    .map(|a| a.iter().map(|(k, v)| (k.as_str().to_string(), Value::String(v.clone()))).collect())
                    .unwrap_or_default();
                json!({
                    "messageId": m.message_id(),
                    "receiptHandle": m.receipt_handle(),
                    "body": m.body().unwrap_or_default(),
                    "attributes": attributes,
                    "messageAttributes": {},
                    "md5OfBody": m.md5_of_body(),
                    "eventSource": "aws:sqs",
                    "eventSourceARN": queue_arn,
                    "awsRegion": "us-east-1",
                })
            })
            .collect();
        let event = match serde_json::from_value(json!({ "Records": records })) {
            Ok(e) => e,
            Err(e) => {
                tracing::error!(error = %e, "cannot build the SQS event");
                continue;
            }
        };
        let failed: Vec<String> = match stack.functions.sqs(&spec, event).await {
            Ok(resp) => resp.batch_item_failures.into_iter().map(|f| f.item_identifier).collect(),
            Err(e) => {
                tracing::error!(error = %e, function = %spec.logical_id, "invocation failed; the batch will be retried");
                continue;
            }
        };
        let done: Vec<DeleteMessageBatchRequestEntry> = messages
            .iter()
            .filter(|m| !failed.iter().any(|f| Some(f.as_str()) == m.message_id()))
            .enumerate()
            .filter_map(|(i, m)| {
                DeleteMessageBatchRequestEntry::builder().id(i.to_string()).set_receipt_handle(m.receipt_handle.clone()).build().ok()
            })
            .collect();
        if !done.is_empty() {
            if let Err(e) = stack.clients.sqs.delete_message_batch().queue_url(&queue_url).set_entries(Some(done)).send().await {
                tracing::warn!(error = ?e, "DeleteMessageBatch");
            }
        }
    }
}

// ------------------------------------------------------------------ schedules

/// The event a scheduled rule delivers.
pub fn scheduled_event(spec: &FunctionSpec) -> Value {
    json!({
        "version": "0",
        "id": ulid::Ulid::new().to_string(),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "region": "us-east-1",
        "resources": [format!("arn:aws:events:us-east-1:123456789012:rule/{}", spec.logical_id)],
        "detail": {},
    })
}

/// Runs a scheduled function now (also what `POST /_local/schedules/{id}`
/// does, with the request body as the event's `detail`, like a rule's input).
pub async fn fire(stack: &Stack, function: usize, detail: Option<Value>) -> Result<Value, String> {
    let spec = &stack.specs[function];
    let mut event = scheduled_event(spec);
    if let Some(d) = detail {
        event["detail"] = d;
    }
    stack.functions.schedule(spec, event).await
}

/// Fires a `rate(...)` schedule for ever; `cron(...)` ones only on demand.
pub async fn run_schedule(stack: Arc<Stack>, function: usize, expression: String) {
    let Some(period) = rate_seconds(&expression) else {
        tracing::info!(function = %stack.specs[function].logical_id, %expression, "cron schedule: fire it with POST /_local/schedules/{{id}}");
        return;
    };
    let mut interval = tokio::time::interval(Duration::from_secs(period));
    interval.tick().await;
    loop {
        interval.tick().await;
        if let Err(e) = fire(&stack, function, None).await {
            tracing::error!(error = %e, "scheduled function failed");
        }
    }
}

/// EventBridge Scheduler, locally: every second, the group's one-time
/// schedules (`at(…)`, UTC) whose time has come are invoked on their target
/// function with their input, then deleted (`ActionAfterCompletion: DELETE`).
/// A failed invocation is retried on the next tick, up to three times.
pub async fn run_scheduler(stack: Arc<Stack>, group: String) {
    let mut failures: HashMap<String, u32> = HashMap::new();
    let mut times: HashMap<String, Option<chrono::DateTime<chrono::Utc>>> = HashMap::new();
    let mut interval = tokio::time::interval(Duration::from_secs(1));
    loop {
        interval.tick().await;
        let listed = match stack.clients.scheduler.list_schedules().group_name(&group).send().await {
            Ok(out) => out.schedules,
            Err(e) => {
                tracing::warn!(error = ?e, %group, "ListSchedules");
                continue;
            }
        };
        let names: std::collections::HashSet<String> = listed.iter().filter_map(|s| s.name.clone()).collect();
        times.retain(|n, _| names.contains(n));
        for name in names {
            // The time of a schedule is read once; only due ones are fetched again.
            if !times.contains_key(&name) {
                let Ok(s) = stack.clients.scheduler.get_schedule().group_name(&group).name(&name).send().await else { continue };
                times.insert(name.clone(), s.schedule_expression.as_deref().and_then(one_time));
            }
            if times.get(&name).copied().flatten().is_none_or(|at| at > chrono::Utc::now()) {
                continue;
            }
            let Ok(s) = stack.clients.scheduler.get_schedule().group_name(&group).name(&name).send().await else { continue };
            let Some(target) = s.target else { continue };
            let function = stack.specs.iter().find(|f| arn_of(&stack, &f.logical_id).as_deref() == Some(target.arn.as_str()));
            let outcome = match function {
                Some(f) => stack.functions.invoke(f, target.input.as_deref().unwrap_or("{}")).await,
                None => Err(format!("no local function has the ARN {}", target.arn)),
            };
            let tries = failures.entry(name.clone()).or_default();
            match outcome {
                Ok(v) => tracing::info!(schedule = %name, result = %v, "schedule fired"),
                Err(e) => {
                    *tries += 1;
                    tracing::error!(schedule = %name, error = %e, attempt = *tries, "scheduled invocation failed");
                    if *tries < 3 {
                        continue;
                    }
                }
            }
            failures.remove(&name);
            if let Err(e) = stack.clients.scheduler.delete_schedule().group_name(&group).name(&name).send().await {
                tracing::warn!(error = ?e, schedule = %name, "DeleteSchedule");
            }
        }
    }
}

/// The time of a one-time expression `at(yyyy-mm-ddThh:mm:ss)` (UTC).
fn one_time(expression: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let inner = expression.strip_prefix("at(")?.strip_suffix(')')?;
    chrono::NaiveDateTime::parse_from_str(inner, "%Y-%m-%dT%H:%M:%S").ok().map(|t| t.and_utc())
}

fn arn_of(stack: &Stack, logical: &str) -> Option<String> {
    stack.provisioned.resolver.attrs.get(&format!("{logical}.Arn")).cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_time_expressions_parse_as_utc() {
        assert_eq!(one_time("at(2026-11-23T10:15:30)").unwrap().to_rfc3339(), "2026-11-23T10:15:30+00:00");
        assert!(one_time("rate(1 minute)").is_none());
    }

    #[test]
    fn outbox_filter_pattern() {
        let pattern: Value = serde_json::from_str(r#"{"eventName":["INSERT"],"dynamodb":{"NewImage":{"kind":{"S":["outbox"]}}}}"#).unwrap();
        let insert = json!({"eventName": "INSERT", "dynamodb": {"NewImage": {"kind": {"S": "outbox"}}}});
        let modify = json!({"eventName": "MODIFY", "dynamodb": {"NewImage": {"kind": {"S": "outbox"}}}});
        let other = json!({"eventName": "INSERT", "dynamodb": {"NewImage": {"kind": {"S": "note"}}}});
        let none = json!({"eventName": "INSERT", "dynamodb": {"NewImage": {}}});
        assert!(matches(&pattern, &insert));
        assert!(!matches(&pattern, &modify));
        assert!(!matches(&pattern, &other));
        assert!(!matches(&pattern, &none));
    }

    #[test]
    fn prefix_and_exists() {
        let p = json!({"detail-type": [{"prefix": "note."}], "detail": {"x": [{"exists": false}]}});
        assert!(matches(&p, &json!({"detail-type": "note.created", "detail": {}})));
        assert!(!matches(&p, &json!({"detail-type": "deal.created", "detail": {}})));
        assert!(!matches(&p, &json!({"detail-type": "note.created", "detail": {"x": 1}})));
    }
}
