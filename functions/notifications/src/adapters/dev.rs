//! `dev`: records what it would send (readable locally at
//! `GET /_local/mailbox?to=`), for deployments without provider credentials.

use crm_notify::messages::Message;
use crm_store::item::ItemExt;
use crm_store::{Item, Store};

use super::SendError;

pub struct Dev {
    pub store: Store,
}

/// Where messages to one address are recorded (local only).
pub fn mailbox_pk(to: &str) -> String {
    crm_store::keys::dev_mailbox_pk(&to.trim().to_lowercase())
}

/// Records one delivered message for `to` (also used by the local fake providers).
#[allow(clippy::too_many_arguments)] // one field per column of the recorded message
pub fn record_item(to: &str, provider: &str, subject: &str, body: &str, template_code: &str, tenant: &str, at: &str, id: &str) -> Item {
    Item::new()
        .at(&crm_store::keys::dev_mailbox_entry(&to.trim().to_lowercase(), at, id))
        .with_str("to", to)
        .with_str("provider", provider)
        .with_str("subject", subject)
        .with_str("body", body)
        .with_str("template_code", template_code)
        .with_str("tenant_id", tenant)
        .with_ttl(crm_kernel::Timestamp::now().unix_seconds() + 7 * 24 * 3600)
}

/// Adds an email's HTML part and its own headers to a recorded message.
pub fn with_parts(item: Item, html: Option<&str>, headers: &std::collections::BTreeMap<String, String>) -> Item {
    let item = match html {
        Some(h) => item.with_str("html", h),
        None => item,
    };
    if headers.is_empty() {
        return item;
    }
    item.with_str("headers", serde_json::to_string(headers).unwrap_or_default())
}

impl Dev {
    pub async fn send(&self, m: &Message) -> Result<String, SendError> {
        let id = format!("dev-{}", m.id);
        let item = with_parts(
            record_item(&m.to, "dev", &m.subject, &m.body, &m.template_code, &m.tenant_id.to_string(), &m.created_at.to_string(), &id),
            m.html.as_deref(),
            &m.headers,
        );
        self.store.put(item).await.map_err(SendError::network)?;
        tracing::info!(template = %m.template_code, "dev adapter recorded a message");
        Ok(id)
    }
}
