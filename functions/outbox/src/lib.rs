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

/// This function's handlers, for its `main.rs` and the dev server.
pub const FUNCTION: crm_runtime::Registration = crm_runtime::Registration {
    binary: "outbox",
    handlers: &[crm_runtime::Handler::stream("publisher")],
    build: |config, env| Ok(Box::new(Publisher::new(config, env)?)),
};

impl crm_runtime::Function for Publisher {
    fn call<'a>(
        &'a self,
        handler: &'a str,
        input: crm_runtime::Input,
    ) -> futures::future::BoxFuture<'a, Result<crm_runtime::Output, String>> {
        use crm_runtime::{Input, Output};
        Box::pin(async move {
            match (handler, input) {
                ("publisher", Input::Stream(e)) => Ok(Output::Batch(self.handle(e).await)),
                (h, input) => Err(crm_runtime::mismatch(h, &input)),
            }
        })
    }
}
