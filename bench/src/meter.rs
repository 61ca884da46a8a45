//! `make bench-meter` — the billing metering worker on the local stack:
//! events per second and DynamoDB calls per event. It starts the stack
//! against the emulator, then hands the worker (`BillingMeterWorkerFunction`,
//! in process, as Lambda would) batches of 10 SQS messages of `message.sent`
//! events for the demo tenant, counting the store calls each batch makes;
//! then the same batches again (a redelivery: nothing may be counted twice)
//! and checks the counter. Prints a Markdown table for the README.

use std::time::{Duration, Instant};

use crm_events::consumer::{SqsEvent, SqsMessage};
use crm_events::{types, Actor, DomainEvent, Subject};
use crm_kernel::TenantId;
use serde_json::json;

const EVENTS: usize = 2_000;

fn message(e: &DomainEvent) -> SqsMessage {
    let body = json!({ "version": "0", "id": ulid::Ulid::new().to_string(), "detail-type": e.event_type, "source": "crm",
                       "account": "123456789012", "time": e.occurred_at.to_string(), "region": "us-east-1", "resources": [], "detail": e });
    SqsMessage { message_id: ulid::Ulid::new().to_string(), body: body.to_string(), ..Default::default() }
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let prefix = format!("crm-bench-meter-{}", chrono::Utc::now().timestamp());
    let mut opts = devserver::Options::new(&prefix);
    opts.bind = "127.0.0.1:0".parse().expect("addr");
    opts.poll_interval = Duration::from_millis(200);
    let running = devserver::start(opts).await?;
    let token = devserver::seed::demo_token(&running.url).await?;
    let claims = token.split('.').nth(1).and_then(|p| base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, p).ok());
    let tenant =
        claims.and_then(|c| serde_json::from_slice::<serde_json::Value>(&c).ok()).and_then(|c| c["tid"].as_str().map(str::to_string));
    let tenant = TenantId::parse(&tenant.ok_or("no tenant in the demo token")?).map_err(|e| e.to_string())?;
    let stack = &running.stack;
    let spec = stack.specs.iter().find(|s| s.logical_id == "BillingMeterWorkerFunction").ok_or("no BillingMeterWorkerFunction")?;
    let counter = || async {
        let usage: serde_json::Value = reqwest::Client::new()
            .get(format!("{}/v1/billing/usage?metric=sms.sent", running.url))
            .bearer_auth(&token)
            .send()
            .await
            .map_err(|e| e.to_string())?
            .json()
            .await
            .map_err(|e| e.to_string())?;
        Ok::<i64, String>(usage["data"]["counters"][0]["value"].as_i64().unwrap_or(0))
    };
    let before = counter().await?;
    let events: Vec<DomainEvent> = (0..EVENTS)
        .map(|_| {
            DomainEvent::new(
                tenant,
                types::MESSAGE_SENT,
                Actor::system(),
                Subject { kind: "message".into(), id: ulid::Ulid::new().to_string() },
                json!({ "channel": "sms", "provider": "infobip" }),
            )
        })
        .collect();
    let batches: Vec<Vec<SqsMessage>> = events.chunks(10).map(|c| c.iter().map(message).collect()).collect();
    let mut rows = Vec::new();
    for pass in ["first delivery", "redelivery (all duplicates)"] {
        let mut calls = crm_store::calls::Calls::new();
        let started = Instant::now();
        for batch in &batches {
            let (out, c) = crm_store::calls::counting(stack.functions.sqs(spec, SqsEvent { records: batch.clone() })).await;
            let failed = out?.batch_item_failures.len();
            if failed > 0 {
                return Err(format!("{failed} messages failed"));
            }
            for (k, v) in c {
                *calls.entry(k).or_default() += v;
            }
        }
        let secs = started.elapsed().as_secs_f64();
        let per_event: Vec<String> = calls.iter().map(|(k, v)| format!("{k}={:.2}", *v as f64 / EVENTS as f64)).collect();
        rows.push((pass, EVENTS as f64 / secs, per_event.join(" "), calls.values().sum::<u32>() as f64 / EVENTS as f64));
    }
    let after = counter().await?;
    println!("| pass | events/s | DynamoDB calls per event | total per event |");
    println!("|---|---|---|---|");
    for (pass, rate, per, total) in &rows {
        println!("| {pass} | {rate:.0} | {per} | {total:.2} |");
    }
    println!();
    println!("`sms.sent` counter: {before} → {after} (+{}, {EVENTS} distinct events delivered twice)", after - before);
    if after - before != EVENTS as i64 {
        return Err(format!("the counter moved by {}, not {EVENTS}", after - before));
    }
    Ok(())
}
