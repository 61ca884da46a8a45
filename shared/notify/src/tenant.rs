//! A tenant's own templates (the spec's `message_templates`): each overrides
//! the built-in template of the same `(channel, family, locale)` (one per
//! combination: a uniqueness marker). `code` is derived — family
//! `otp.verify_phone` on SMS is `otp.sms.verify_phone`. WhatsApp templates
//! need approval (`is_approved`) before they are used; others are approved
//! on save. Listed by family (`by_parent`) for resolution and per tenant
//! (`by_kind`) for the admin list.

use crate::messages::Channel;
use crate::template::{self, Template};
use crm_kernel::{EntityId, TenantId, Timestamp};
use crm_store::item::ItemExt;
use crm_store::{item, keys, Index, Item, Key, Query, Store, StoreError};
use serde::{Deserialize, Serialize};

pub const TEMPLATE: &str = "TEMPLATE";

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TenantTemplate {
    pub id: EntityId,
    pub tenant_id: TenantId,
    pub channel: Channel,
    pub code: String,
    pub name: String,
    pub family: String,
    pub locale: String,
    pub subject: String,
    pub body: String,
    /// The placeholders the body and subject use (the payload must carry them).
    pub variables: Vec<String>,
    pub is_approved: bool,
    #[serde(default)]
    pub provider_template_id: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: u64,
}

/// `family` with the channel after its first segment.
pub fn code(channel: &Channel, family: &str) -> String {
    match family.split_once('.') {
        Some((head, tail)) => format!("{head}.{}.{tail}", channel.as_str()),
        None => format!("{family}.{}", channel.as_str()),
    }
}

/// The placeholders of a subject and body together.
pub fn variables(subject: &str, body: &str) -> Vec<String> {
    let mut v = template::placeholders(subject);
    for p in template::placeholders(body) {
        if !v.contains(&p) {
            v.push(p);
        }
    }
    v
}

impl TenantTemplate {
    pub fn key(tenant: TenantId, id: EntityId) -> Key {
        keys::entity(tenant, TEMPLATE, id)
    }

    /// The marker that keeps one template per `(channel, family, locale)`.
    pub fn unique_key(&self) -> Key {
        keys::unique(self.tenant_id, TEMPLATE, &format!("{}#{}#{}", self.channel.as_str(), self.family, self.locale))
    }

    pub fn family_pk(tenant: TenantId, family: &str) -> String {
        keys::by_parent_pk(tenant, "TEMPLATEFAMILY", family)
    }

    pub fn to_item(&self) -> Result<Item, StoreError> {
        let sk = format!("{}#{}#{}", self.family, self.channel.as_str(), self.locale);
        Ok(item::to_item(&Self::key(self.tenant_id, self.id), self)?
            .with_index(Index::ByKind, keys::by_kind_pk(self.tenant_id, TEMPLATE), sk.clone())
            .with_index(Index::ByParent, Self::family_pk(self.tenant_id, &self.family), sk))
    }

    pub fn as_template(&self) -> Template {
        Template {
            channel: self.channel.clone(),
            family: self.family.clone(),
            locale: self.locale.clone(),
            subject: self.subject.clone(),
            body: self.body.clone(),
        }
    }
}

/// The tenant's approved templates of `family` (the overrides resolution
/// tries before the built-in ones).
pub async fn overrides(store: &Store, tenant: TenantId, family: &str) -> Result<Vec<Template>, StoreError> {
    let q = Query::index(tenant, Index::ByParent, TenantTemplate::family_pk(tenant, family)).limit(crm_kernel::Limit::max());
    let page = store.query(q).await?;
    Ok(page
        .items
        .into_iter()
        .map(item::from_item::<TenantTemplate>)
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .filter(|t| t.is_approved)
        .map(|t| t.as_template())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_put_the_channel_after_the_first_segment() {
        assert_eq!(code(&Channel::Sms, "otp.verify_phone"), "otp.sms.verify_phone");
        assert_eq!(code(&Channel::Inbox, "welcome"), "welcome.inbox");
        assert_eq!(variables("Hi {{name}}", "{{name}}, code {{code}}"), vec!["name", "code"]);
    }
}
