//! The outbox publisher function. All logic lives in
//! [`crm_events::stream::publish_outbox`]; this crate is the entry point.

use crm_events::stream::{publish_outbox, StreamEvent};
use crm_events::{BatchResponse, EventBridgeBus};

pub struct Publisher {
    bus: EventBridgeBus,
}

impl Publisher {
    pub fn new(config: &aws_config::SdkConfig, env: &crm_kernel::Env) -> Result<Self, String> {
        Ok(Self { bus: EventBridgeBus::from_config(config, env)? })
    }

    pub async fn handle(&self, event: StreamEvent) -> BatchResponse {
        publish_outbox(&self.bus, event).await
    }
}

crm_runtime::function! {
    binary: "outbox",
    app: Publisher,
    build: Publisher::new,
    handlers: { stream "publisher" => Publisher::handle },
}
