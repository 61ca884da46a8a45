//! The outbox publisher function. All logic lives in
//! [`crm_events::stream::publish_outbox`]; this crate is the entry point.

use crm_events::stream::{publish_outbox, StreamEvent};
use crm_events::{BatchResponse, EventBridgeBus};

pub struct Publisher {
    bus: EventBridgeBus,
}

impl Publisher {
    pub async fn from_env() -> Result<Self, String> {
        let config = aws_config::load_from_env().await;
        Ok(Self { bus: EventBridgeBus::from_config(&config)? })
    }

    pub async fn handle(&self, event: StreamEvent) -> BatchResponse {
        publish_outbox(&self.bus, event).await
    }
}
