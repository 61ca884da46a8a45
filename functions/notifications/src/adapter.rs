//! Provider adapters, one enum so the worker needs no dynamic dispatch.

use crm_events::messages::Message;
use crm_store::item::ItemExt;
use crm_store::{Item, Store};

pub enum Adapter {
    /// Records what it would send, for local use and tests.
    Dev { store: Store },
}

/// Where the dev adapter records messages for one address (local only).
pub fn dev_mailbox_pk(to: &str) -> String {
    format!("G#DEVMAIL#{}", to.trim().to_lowercase())
}

impl Adapter {
    pub fn name(&self) -> &'static str {
        match self {
            Adapter::Dev { .. } => "dev",
        }
    }

    /// Sends; answers the provider's message id.
    pub async fn send(&self, message: &Message) -> Result<String, String> {
        match self {
            Adapter::Dev { store } => {
                let id = format!("dev-{}", message.id);
                let item = Item::new()
                    .with_str(crm_store::keys::PK, dev_mailbox_pk(&message.to))
                    .with_str(crm_store::keys::SK, format!("{}#{}", message.created_at, message.id))
                    .with_str("to", &message.to)
                    .with_str("subject", &message.subject)
                    .with_str("body", &message.body)
                    .with_str("template_code", &message.template_code)
                    .with_str("tenant_id", message.tenant_id.to_string())
                    .with_ttl(message.created_at.unix_seconds() + 7 * 24 * 3600);
                store.put(item).await.map_err(|e| e.to_string())?;
                tracing::info!(to = %message.to, template = %message.template_code, "dev adapter recorded a message");
                Ok(id)
            }
        }
    }
}
