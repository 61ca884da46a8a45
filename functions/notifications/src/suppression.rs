//! The suppression list (the spec's `suppression_list`): addresses no
//! message goes to — hard bounces and spam complaints (from the Brevo
//! webhook), SMS STOP, or an admin's `manual` entry. The worker checks it
//! before every provider send; the dispatch refuses a suppressed primary
//! address up front. Listed per tenant newest first (`by_kind`).

use crm_kernel::{TenantId, Timestamp};
use crm_notify::messages::Channel;
use crm_store::item::ItemExt;
use crm_store::{item, keys, Index, Item, Key, StoreError};
use serde::{Deserialize, Serialize};

pub const SUPPRESSION: &str = "SUPPRESSION";

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Suppression {
    pub tenant_id: TenantId,
    pub channel: Channel,
    pub address: String,
    /// `bounce`, `complaint`, `manual`, `stop`.
    pub reason: String,
    pub occurred_at: Timestamp,
    /// The message whose report caused it, if any.
    #[serde(default)]
    pub message_id: Option<String>,
}

pub const REASONS: &[&str] = &["bounce", "complaint", "manual", "stop"];

impl Suppression {
    pub fn key(tenant: TenantId, channel: &Channel, address: &str) -> Key {
        keys::unique(tenant, "SUPPRESS", &format!("{}#{}", channel.as_str(), address.trim().to_lowercase()))
    }

    pub fn to_item(&self) -> Result<Item, StoreError> {
        Ok(item::to_item(&Self::key(self.tenant_id, &self.channel, &self.address), self)?.with_index(
            Index::ByKind,
            keys::by_kind_pk(self.tenant_id, SUPPRESSION),
            format!("{}#{}#{}", self.occurred_at, self.channel.as_str(), self.address),
        ))
    }
}
