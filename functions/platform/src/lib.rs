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

    pub async fn handle(&self, req: Request) -> Response<Body> {
        crm_http::dispatch(ROUTES, self, req).await
    }
}

pub const ROUTES: &[Route<App>] = &[
    route!("GET /health", Access::Public, routes::health::get::handle),
    route!("GET /v1/health", Access::Permission(rbac::SYSTEM_HEALTH), routes::health::get_detailed::handle),
    route!("GET /v1/openapi.json", Access::Public, routes::openapi::get::handle),
    route!("ANY /{proxy+}", Access::Public, routes::fallback::handle),
];

/// This function's handlers, for its `main.rs` and the dev server.
pub const FUNCTION: crm_runtime::Registration = crm_runtime::Registration {
    binary: "platform",
    handlers: &[crm_runtime::Handler::http("api"), crm_runtime::Handler::json("queue_monitor")],
    build: |config, env| Ok(Box::new(App::new(config, env)?)),
};

impl crm_runtime::Function for App {
    fn call<'a>(
        &'a self,
        handler: &'a str,
        input: crm_runtime::Input,
    ) -> futures::future::BoxFuture<'a, Result<crm_runtime::Output, String>> {
        use crm_runtime::{Input, Output};
        Box::pin(async move {
            match (handler, input) {
                ("api", Input::Http(req)) => Ok(Output::Http(self.handle(req).await)),
                ("queue_monitor", Input::Json(_)) => Ok(Output::Json(queues::monitor(self).await)),
                (h, input) => Err(crm_runtime::mismatch(h, &input)),
            }
        })
    }
}
