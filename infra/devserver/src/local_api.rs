//! `/_local/...`: what only the local stack offers, for developers and tests.
//! None of it exists in a deployment.
//!
//! * `GET  /_local/stack` — physical names of the table, queues and DLQs.
//! * `POST /_local/schedules/{FunctionLogicalId}` — fire a scheduled function now (a JSON body becomes the event's `detail`).
//! * `GET  /_local/mailbox?to=` — what the fake providers (or the dev adapter) accepted for an address
//!   (an email's `html` part and its own `headers`, a JSON object, when it had them).
//! * `POST /_local/fake/...` — the fake Brevo and Infobip (`fake_providers`), Stripe (`fake_stripe`; `POST /_local/fake/stripe/trigger`), Google/Gmail and Microsoft/Graph (`fake_mailboxes`);
//!   `POST /_local/fake/reports {to}` — report deliveries to `to` (when the stack does not report all).
//! * `GET  /_local/demo-token` — a fresh access token for the demo admin
//!   (a real login with the demo credentials).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use http::StatusCode;
use serde_json::{json, Value};

use crate::{seed, sources, Stack};

/// Records what a fake provider accepted in the local mailbox, with the
/// template of the message it carried when the provider echoes our id.
async fn record(stack: &Arc<Stack>, a: crate::fake_providers::Accepted) {
    let table = stack.provisioned.tables.values().next().cloned().unwrap_or_default();
    let mut template = a.tag.clone();
    let mut tenant = String::new();
    if let Some(cb) = &a.callback {
        let part = |k: &str| cb.split('|').find_map(|p| p.strip_prefix(&format!("{k}="))).map(str::to_string);
        if let (Some(t), Some(m)) = (part("tenant"), part("message")) {
            tenant = t.clone();
            if let (Ok(t), Ok(m)) = (crm_kernel::TenantId::parse(&t), crm_kernel::EntityId::parse(&m)) {
                let key = crm_notify::messages::Message::key(t, m);
                if let Ok(out) = stack
                    .clients
                    .ddb
                    .get_item()
                    .table_name(&table)
                    .key("pk", aws_sdk_dynamodb::types::AttributeValue::S(key.pk))
                    .key("sk", aws_sdk_dynamodb::types::AttributeValue::S(key.sk))
                    .send()
                    .await
                {
                    if let Some(code) = out.item().and_then(|i| i.get("template_code")).and_then(|v| v.as_s().ok()) {
                        template = code.clone();
                    }
                }
            }
        }
    }
    let now = crm_kernel::Timestamp::now().to_string();
    let item = notifications::adapters::dev::with_parts(
        notifications::adapters::dev::record_item(&a.to, a.provider, &a.subject, &a.body, &template, &tenant, &now, &a.id),
        a.html.as_deref(),
        &a.headers,
    );
    let mut put = stack.clients.ddb.put_item().table_name(&table);
    for (k, v) in item {
        put = put.item(k, v);
    }
    if let Err(e) = put.send().await {
        tracing::warn!(error = ?e, "fake provider could not record a message");
    }
}

fn reply(status: StatusCode, body: Value) -> Response {
    Response::builder().status(status).header("content-type", "application/json").body(Body::from(body.to_string())).expect("response")
}

pub async fn serve(stack: &Arc<Stack>, req: Request) -> Response {
    let path = req.uri().path().to_string();
    let method = req.method().as_str().to_string();
    if path == "/_local/fake/reports" && method == "POST" {
        let bytes = axum::body::to_bytes(req.into_body(), 1 << 16).await.unwrap_or_default();
        return match serde_json::from_slice::<Value>(&bytes).ok().and_then(|v| v["to"].as_str().map(str::to_string)) {
            Some(to) => {
                stack.fake_reports.add(&to);
                reply(StatusCode::OK, json!({ "ok": true }))
            }
            None => reply(StatusCode::BAD_REQUEST, json!({ "error": "need {to}" })),
        };
    }
    if path.starts_with("/_local/fake/") {
        let headers = req.headers().clone();
        let bytes = axum::body::to_bytes(req.into_body(), 1 << 20).await.unwrap_or_default();
        if crate::fake_stripe::FakeStripe::serves(&path) {
            let (response, events) = stack.fake_stripe.serve(&method, &path, &headers, &bytes);
            if !events.is_empty() {
                let (http, webhook) = (stack.http.clone(), format!("{}/v1/webhooks/stripe", stack.url));
                tokio::spawn(async move {
                    // After the caller has its answer, in order, as Stripe delivers.
                    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
                    for e in events {
                        crate::fake_stripe::deliver(&http, &webhook, e).await;
                    }
                });
            }
            return response;
        }
        let (response, accepted) = if crate::fake_mailboxes::serves(&path) {
            crate::fake_mailboxes::serve(&stack.fake_tokens, &method, &path, &headers, &bytes)
        } else {
            crate::fake_providers::serve(&stack.fake_failures, &stack.url, &method, &path, &headers, &bytes)
        };
        for mut a in accepted {
            if let Some(report) = a.report.take().filter(|_| stack.fake_reports.wanted(&a.to)) {
                let http = stack.http.clone();
                tokio::spawn(async move {
                    // After the worker has recorded the send, as a real report comes.
                    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
                    let mut req = http.post(&report.url).json(&report.body);
                    if let Some(auth) = &report.authorization {
                        req = req.header("authorization", auth);
                    }
                    if let Err(e) = req.send().await {
                        tracing::warn!(error = %e, url = %report.url, "fake provider could not post its delivery report");
                    }
                });
            }
            record(stack, a).await;
        }
        return response;
    }
    match (method.as_str(), path.trim_end_matches('/')) {
        ("GET", "/_local/stack") => {
            let queues: serde_json::Map<String, Value> =
                stack.provisioned.queues.iter().map(|(k, q)| (k.clone(), json!({ "url": q.url, "arn": q.arn }))).collect();
            reply(StatusCode::OK, json!({ "prefix": stack.provisioned.prefix, "tables": stack.provisioned.tables, "queues": queues }))
        }
        ("GET", "/_local/demo-token") => match seed::demo_token(&stack.url).await {
            Ok(token) => reply(StatusCode::OK, json!({ "access_token": token, "email": seed::DEMO_EMAIL })),
            Err(e) => reply(StatusCode::INTERNAL_SERVER_ERROR, json!({ "error": e })),
        },
        ("GET", "/_local/mailbox") => {
            let to = req
                .uri()
                .query()
                .and_then(|q| form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == "to").map(|(_, v)| v.into_owned()))
                .unwrap_or_default();
            let table = stack.provisioned.tables.values().next().cloned().unwrap_or_default();
            let out = stack
                .clients
                .ddb
                .query()
                .table_name(table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(
                    ":pk",
                    aws_sdk_dynamodb::types::AttributeValue::S(notifications::adapters::dev::mailbox_pk(&to)),
                )
                .scan_index_forward(false)
                .send()
                .await;
            match out {
                Ok(o) => {
                    let s = |i: &std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>, k: &str| {
                        i.get(k).and_then(|v| v.as_s().ok()).cloned().unwrap_or_default()
                    };
                    let messages: Vec<Value> = o
                        .items()
                        .iter()
                        .map(|i| {
                            json!({
                                "to": s(i, "to"), "provider": s(i, "provider"), "subject": s(i, "subject"),
                                "body": s(i, "body"), "template_code": s(i, "template_code"),
                                "html": i.get("html").and_then(|v| v.as_s().ok()), "headers": i.get("headers").and_then(|v| v.as_s().ok()),
                            })
                        })
                        .collect();
                    reply(StatusCode::OK, json!({ "messages": messages }))
                }
                Err(e) => reply(StatusCode::INTERNAL_SERVER_ERROR, json!({ "error": format!("{e:?}") })),
            }
        }
        ("POST", p) if p.starts_with("/_local/schedules/") => {
            let id = p.trim_start_matches("/_local/schedules/").to_string();
            let bytes = axum::body::to_bytes(req.into_body(), 1 << 16).await.unwrap_or_default();
            let detail = serde_json::from_slice::<Value>(&bytes).ok();
            match stack.function_index(&id) {
                None => reply(StatusCode::NOT_FOUND, json!({ "error": format!("no function {id}") })),
                Some(i) => match sources::fire(stack, i, detail).await {
                    Ok(out) => reply(StatusCode::OK, out),
                    Err(e) => reply(StatusCode::BAD_REQUEST, json!({ "error": e })),
                },
            }
        }
        _ => reply(StatusCode::NOT_FOUND, json!({ "error": "unknown local endpoint" })),
    }
}
