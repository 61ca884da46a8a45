//! Platform: is the system up, what does its API look like, how deep are
//! its queues.
//!
//! * API routes: [`ROUTES`].
//! * Scheduled `queue_monitor`: [`queues::monitor`], depth of every queue and
//!   dead-letter queue as metrics.

pub mod queues;
pub mod routes;

use std::collections::BTreeMap;

use crm_auth::rbac;
use crm_http::{route, Access, Route};
use crm_store::Store;
use lambda_http::{Body, Request, Response};

#[derive(Clone)]
pub struct App {
    pub store: Store,
    pub events: aws_sdk_eventbridge::Client,
    pub bus_name: String,
    pub sqs: aws_sdk_sqs::Client,
    /// Queue name → URL (workers' queues and their DLQs), from `QUEUE_URLS`.
    pub queues: BTreeMap<String, String>,
}

impl App {
    pub fn new(config: &aws_config::SdkConfig, env: &crm_kernel::Env) -> Result<Self, String> {
        let queues = match env.get("QUEUE_URLS") {
            Some(json) => serde_json::from_str(json).map_err(|e| format!("QUEUE_URLS: {e}"))?,
            None => BTreeMap::new(),
        };
        Ok(Self {
            store: Store::from_config(config, env).map_err(|e| e.to_string())?,
            events: aws_sdk_eventbridge::Client::new(config),
            bus_name: env.require("EVENT_BUS_NAME")?.to_string(),
            sqs: aws_sdk_sqs::Client::new(config),
            queues,
        })
    }

    /// The `queue_monitor` schedule: every queue's depth as metrics.
    pub async fn run_queue_monitor(&self, _event: serde_json::Value) -> serde_json::Value {
        queues::monitor(self).await
    }

    pub async fn handle(&self, req: Request) -> Response<Body> {
        crm_http::dispatch(ROUTES, self, req).await
    }
}

pub const ROUTES: &[Route<App>] = &[
    route!("GET /health", "Health", Access::Public, routes::health::get::handle, "Liveness (public)", reply: crate::routes::health::get::Live),
    route!(
        "GET /v1/health",
        "HealthDetailed",
        Access::Permission(rbac::SYSTEM_HEALTH),
        routes::health::get_detailed::handle,
        "Health of the table, bus and queues", reply: crate::routes::health::get_detailed::Readiness),
    route!("GET /v1/openapi.json", "OpenApi", Access::Public, routes::openapi::get::handle, "This OpenAPI document (public)"),
    route!("GET /docs", "ApiReference", Access::Public, routes::docs::get::handle, "This API's reference page (Redoc)"),
    route!("GET /docs/{file}", "ApiReferenceAsset", Access::Public, routes::docs::file_get::handle, "The reference page's pinned scripts"),
    route!(
        "$default",
        "Fallback",
        Access::Public,
        routes::fallback::handle,
        "Any route the API does not have: 404 NOT_FOUND in the envelope"
    ),
];

crm_runtime::function! {
    binary: "platform",
    app: App,
    build: App::new,
    handlers: { http "api" => App::handle, json "queue_monitor" => App::run_queue_monitor },
}
