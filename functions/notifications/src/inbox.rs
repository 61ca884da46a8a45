//! The in-app inbox (the spec's `notifications_inbox`): one entry per
//! `inbox` message, keyed by the message id (a redelivered message writes
//! nothing twice). Listed newest first per user (`by_owner`); unread entries
//! also sit in a per-user `by_lookup` partition that reading removes, so
//! "unread" is a key condition, not a filter.

use crm_kernel::{EntityId, TenantId, Timestamp, UserId};
use crm_notify::messages::Message;
use crm_store::item::ItemExt;
use crm_store::{item, keys, Index, Item, Key, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

pub const INBOX: &str = "INBOX";

/// Inbox entries are kept 90 days (the retention the spec proposes), then expire.
pub const RETENTION_SECS: i64 = 90 * 86_400;

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct InboxEntry {
    pub id: EntityId,
    pub tenant_id: TenantId,
    pub recipient_user_id: UserId,
    pub title: String,
    pub body: String,
    /// `info`, `success`, `warning`, `error`.
    pub severity: String,
    #[serde(default)]
    pub link_url: Option<String>,
    #[serde(default)]
    pub meta: Value,
    pub is_read: bool,
    #[serde(default)]
    pub read_at: Option<Timestamp>,
    #[serde(default)]
    pub dispatch_group_id: Option<EntityId>,
    pub created_at: Timestamp,
    pub version: u64,
}

impl InboxEntry {
    pub fn from_message(m: &Message, user: UserId, auto_generated: bool) -> Self {
        Self {
            id: m.id,
            tenant_id: m.tenant_id,
            recipient_user_id: user,
            title: m.subject.clone(),
            body: m.body.clone(),
            severity: "info".into(),
            link_url: None,
            meta: json!({ "template_code": m.template_code, "source": m.source, "auto_generated": auto_generated }),
            is_read: false,
            read_at: None,
            dispatch_group_id: m.dispatch_group_id,
            created_at: m.created_at,
            version: 1,
        }
    }

    pub fn key(tenant: TenantId, id: EntityId) -> Key {
        keys::entity(tenant, INBOX, id)
    }

    pub fn sort_key(&self) -> String {
        format!("{}#{}", self.created_at, self.id)
    }

    pub fn list_pk(tenant: TenantId, user: UserId) -> String {
        keys::by_owner_pk(tenant, INBOX, &user.to_string())
    }

    pub fn unread_pk(tenant: TenantId, user: UserId) -> String {
        keys::by_lookup_pk(tenant, "INBOXUNREAD", &user.to_string())
    }

    pub fn to_item(&self) -> Result<Item, StoreError> {
        let mut it = item::to_item(&Self::key(self.tenant_id, self.id), self)?
            .with_str("kind", "inbox")
            .with_str("read_state", if self.is_read { "read" } else { "unread" })
            .with_ttl(self.created_at.unix_seconds() + RETENTION_SECS)
            .with_index(Index::ByOwner, Self::list_pk(self.tenant_id, self.recipient_user_id), self.sort_key());
        if !self.is_read {
            it = it.with_index(Index::ByLookup, Self::unread_pk(self.tenant_id, self.recipient_user_id), self.sort_key());
        }
        Ok(it)
    }
}
