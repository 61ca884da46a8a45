//! The billing schedules and their fan-out. Neither schedule loops over
//! every tenant: the hourly `billing_close` reads one page of the
//! subscriptions whose period has closed (the `by_kind` partition
//! [`keys::BILLING_CLOSES`], sorted by close time) and sends **one SQS
//! message per tenant** to the invoicing queue, plus one message to carry on
//! from the next page. The daily `billing_recount` walks every live
//! subscription the same way. So one invocation does a bounded amount of work whatever
//! the number of tenants (pages of 100: 100 000 tenants are 1 000 pages, each
//! its own message).
//!
//! The invoicing worker (`billing_invoicing`) takes the messages: a tenant's
//! close ([`crate::invoices::close_due`]), a tenant's recount
//! ([`crate::recount::recount`]), or the next page.
//!
//! A schedule's input may carry `now` (RFC 3339): the instant it acts at.
//! Only the scheduler and the operator can invoke these functions; the
//! local stack uses it to play a month in seconds.

use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use crm_events::consumer::SqsEvent;
use crm_events::BatchResponse;
use crm_kernel::{Limit, TenantId, Timestamp};
use crm_store::{keys, Index, Query};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::App;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Work {
    Close,
    Recount,
}

/// One message of the invoicing queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Message {
    /// Do `work` for one tenant.
    Tenant { work: Work, tenant_id: TenantId, now: Timestamp },
    /// Fan out the page after `cursor`.
    Page { work: Work, cursor: Option<String>, now: Timestamp },
}

/// A schedule's tick: the first page.
pub async fn tick(app: &App, work: Work, input: &Value) -> Result<Value, String> {
    let now = match input.get("detail").and_then(|d| d.get("now")).or_else(|| input.get("now")).and_then(Value::as_str) {
        Some(n) => Timestamp::parse(n).map_err(|e| e.to_string())?,
        None => Timestamp::now(),
    };
    let sent = fan_out(app, work, None, now).await?;
    Ok(json!({ "work": work, "now": now, "tenants": sent }))
}

/// Sends one message per tenant of the page after `cursor`, and one for the
/// next page if there is one. Returns the tenants sent.
pub async fn fan_out(app: &App, work: Work, cursor: Option<String>, now: Timestamp) -> Result<usize, String> {
    let q = match work {
        Work::Close => Query::system(Index::ByKind, keys::BILLING_CLOSES).sk_between("0", crate::subscription::due_prefix(now)),
        Work::Recount => Query::system(Index::ByKind, keys::BILLING_CLOSES),
    };
    let page = app.store.query(q.limit(Limit::max()).after(cursor)).await.map_err(|e| e.to_string())?;
    let mut messages: Vec<Message> = page
        .items
        .iter()
        .filter_map(|it| {
            let t = it.get("tenant_id").and_then(|v| v.as_s().ok())?;
            TenantId::parse(t).ok()
        })
        .map(|tenant_id| Message::Tenant { work, tenant_id, now })
        .collect();
    let tenants = messages.len();
    if page.next_cursor.is_some() {
        messages.push(Message::Page { work, cursor: page.next_cursor, now });
    }
    send(app, &messages).await?;
    Ok(tenants)
}

async fn send(app: &App, messages: &[Message]) -> Result<(), String> {
    let Some(url) = &app.queue_url else { return Err("BILLING_QUEUE_URL is not set".into()) };
    for chunk in messages.chunks(10) {
        let entries = chunk
            .iter()
            .enumerate()
            .map(|(i, m)| {
                SendMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .message_body(serde_json::to_string(m).expect("a message"))
                    .build()
                    .map_err(|e| e.to_string())
            })
            .collect::<Result<Vec<_>, _>>()?;
        let out = app
            .sqs
            .send_message_batch()
            .queue_url(url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| format!("SendMessageBatch: {e:?}"))?;
        if !out.failed.is_empty() {
            return Err(format!("SendMessageBatch: {} messages refused", out.failed.len()));
        }
    }
    Ok(())
}

/// The invoicing worker: each message on its own; a failure retries only it.
pub async fn handle_batch(app: &App, event: SqsEvent) -> BatchResponse {
    let outcomes = futures::future::join_all(event.records.iter().map(|m| async move {
        let message: Message = serde_json::from_str(&m.body).map_err(|e| format!("unreadable message: {e}"))?;
        match message {
            Message::Page { work, cursor, now } => fan_out(app, work, cursor, now).await.map(|_| ()),
            Message::Tenant { work: Work::Close, tenant_id, now } => {
                let drafted = crate::invoices::close_due(&app.store, tenant_id, now).await.map_err(|e| e.to_string())?;
                // A Stripe tenant's drafts go to Stripe (retried with the message until they do).
                crate::provider::finalize_drafts(app, tenant_id, &drafted).await.map(|_| ()).map_err(|e| e.to_string())
            }
            Message::Tenant { work: Work::Recount, tenant_id, now } => {
                crate::recount::recount(&app.store, tenant_id, now).await.map(|_| ()).map_err(|e| e.to_string())
            }
        }
    }))
    .await;
    let mut response = BatchResponse::default();
    for (m, outcome) in event.records.iter().zip(outcomes) {
        if let Err(e) = outcome {
            tracing::warn!(message_id = %m.message_id, error = %e, "billing message failed; it will be retried");
            response.fail(m.message_id.clone());
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip() {
        let m = Message::Tenant { work: Work::Close, tenant_id: TenantId::new(), now: Timestamp::parse("2026-12-01T00:05:00Z").unwrap() };
        let text = serde_json::to_string(&m).unwrap();
        assert!(text.contains(r#""kind":"tenant""#) && text.contains(r#""work":"close""#));
        assert_eq!(serde_json::from_str::<Message>(&text).unwrap(), m);
    }
}
