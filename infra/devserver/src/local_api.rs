//! `/_local/...`: what only the local stack offers, for developers and tests.
//! None of it exists in a deployment.
//!
//! * `GET  /_local/stack` — physical names of the table, queues and DLQs.
//! * `POST /_local/schedules/{FunctionLogicalId}` — fire a scheduled function now.
//! * `GET  /_local/mailbox?to=` — what the dev email adapter "sent" to an address.
//! * `GET  /_local/demo-token` — a fresh access token for the demo admin
//!   (a real login with the demo credentials).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use http::StatusCode;
use serde_json::{json, Value};

use crate::{seed, sources, Stack};

fn reply(status: StatusCode, body: Value) -> Response {
    Response::builder().status(status).header("content-type", "application/json").body(Body::from(body.to_string())).expect("response")
}

pub async fn serve(stack: &Arc<Stack>, req: Request) -> Response {
    let path = req.uri().path().to_string();
    let method = req.method().as_str().to_string();
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
                .expression_attribute_values(":pk", aws_sdk_dynamodb::types::AttributeValue::S(notifications::adapter::dev_mailbox_pk(&to)))
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
                        .map(|i| json!({ "to": s(i, "to"), "subject": s(i, "subject"), "body": s(i, "body"), "template_code": s(i, "template_code") }))
                        .collect();
                    reply(StatusCode::OK, json!({ "messages": messages }))
                }
                Err(e) => reply(StatusCode::INTERNAL_SERVER_ERROR, json!({ "error": format!("{e:?}") })),
            }
        }
        ("POST", p) if p.starts_with("/_local/schedules/") => {
            let id = p.trim_start_matches("/_local/schedules/");
            match stack.function_index(id) {
                None => reply(StatusCode::NOT_FOUND, json!({ "error": format!("no function {id}") })),
                Some(i) => match sources::fire(stack, i).await {
                    Ok(out) => reply(StatusCode::OK, out),
                    Err(e) => reply(StatusCode::BAD_REQUEST, json!({ "error": e })),
                },
            }
        }
        _ => reply(StatusCode::NOT_FOUND, json!({ "error": "unknown local endpoint" })),
    }
}
