//! Outgoing messages (email, SMS, WhatsApp, inbox): a message is an item
//! written in the same transaction as the change that causes it, with the
//! outbox event `message.queued` carrying only its id — message bodies (which
//! may hold one-time links) never travel in events. The notifications worker
//! loads the message and hands it to the channel's provider adapter.

use crm_kernel::{EntityId, TenantId, Timestamp};
use crm_store::{item, keys, Key, StoreError, Tx};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crm_events::outbox::EmitExt;
use crm_events::{Actor, DomainEvent, Subject};

pub const MESSAGE: &str = "MESSAGE";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Email,
    Sms,
    Whatsapp,
    Inbox,
}

impl Channel {
    /// The channel's name on the wire (`email`, `sms`, `whatsapp`, `inbox`).
    pub fn as_str(&self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
            Channel::Whatsapp => "whatsapp",
            Channel::Inbox => "inbox",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MessageStatus {
    Queued,
    Sent,
    Delivered,
    Failed,
    Bounced,
    Expired,
}

/// Transactional (always allowed, subject to legal STOP) or marketing
/// (needs opt-in, blocked by STOP and suppression, never mirrored to email
/// without email opt-in).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    #[default]
    Transactional,
    Marketing,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Message {
    pub id: EntityId,
    pub tenant_id: TenantId,
    pub channel: Channel,
    pub to: String,
    /// Template family (`auth.reset_password`, ...).
    pub template_code: String,
    pub locale: String,
    pub subject: String,
    pub body: String,
    pub status: MessageStatus,
    #[serde(default)]
    pub provider: Option<String>,
    #[serde(default)]
    pub provider_message_id: Option<String>,
    #[serde(default)]
    pub attempts: u32,
    pub created_at: Timestamp,
    #[serde(default)]
    pub sent_at: Option<Timestamp>,
    /// `type` in the API (as the spec's `messages_outbox.type`); not `kind`,
    /// which names an item's sort of record on the table.
    #[serde(default, rename = "type")]
    pub kind: MessageKind,
    /// The sends one dispatch made together (a primary and its mirrors).
    #[serde(default)]
    pub dispatch_group_id: Option<EntityId>,
    /// The message this one mirrors.
    #[serde(default)]
    pub mirror_of: Option<EntityId>,
    /// The user an `inbox` message is for (and who the recipient is, when known).
    #[serde(default)]
    pub recipient_user_id: Option<crm_kernel::UserId>,
    /// Not before this instant (delayed sends, quiet hours).
    #[serde(default)]
    pub scheduled_at: Option<Timestamp>,
    #[serde(default)]
    pub delivered_at: Option<Timestamp>,
    #[serde(default)]
    pub failed_at: Option<Timestamp>,
    /// Why it failed or bounced (`TEMPLATE_MISSING`, `PROVIDER_ERROR`, a provider's code).
    #[serde(default)]
    pub error_code: Option<String>,
    /// What caused the send (`identity.phone_verify`, `notify.dispatch`, …).
    #[serde(default)]
    pub source: Option<String>,
    /// Counted against the plan's monthly cap (SMS/WhatsApp; mirrors are not).
    #[serde(default)]
    pub billable: bool,
    /// An inbox text generated because the family has no inbox template.
    #[serde(default)]
    pub auto_generated: bool,
    /// The tenant's mailbox account (Gmail, Outlook) an email goes out
    /// from; none = the system email provider.
    #[serde(default)]
    pub sender_account_id: Option<EntityId>,
    /// The HTML part of an email, beside `body` (its text part).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
    /// Headers an email carries beyond the adapter's own (`List-Unsubscribe`,
    /// `List-Unsubscribe-Post`, …); names as written.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub headers: std::collections::BTreeMap<String, String>,
    pub version: u64,
}

/// The template variables that hold a secret: a one-time link or code.
pub const SECRET_VARIABLES: &[&str] = &["link", "code", "token"];

/// Whether messages of `family` carry a secret (a reset or invitation link,
/// a one-time code): identity's `auth.*` and `otp.*`, and a contact
/// channel's verification code. Their texts are never shown to anyone but
/// the recipient: not in the outbox list, not in an admin's view of an inbox.
pub fn carries_secret(family: &str) -> bool {
    family.starts_with("auth.") || family.starts_with("otp.") || family == "contact.verify_channel"
}

/// SMS and WhatsApp cost money and count against monthly caps.
pub fn channel_billable(c: &Channel) -> bool {
    matches!(c, Channel::Sms | Channel::Whatsapp)
}

impl Message {
    pub fn email(tenant_id: TenantId, to: &str, template_code: &str, subject: String, body: String) -> Self {
        Self::new(Channel::Email, tenant_id, to, template_code, subject, body)
    }

    /// A queued message on any channel (`to` is an email, an E.164 number or a user id for `inbox`).
    pub fn new(channel: Channel, tenant_id: TenantId, to: &str, template_code: &str, subject: String, body: String) -> Self {
        let billable = channel_billable(&channel);
        Self {
            id: EntityId::new(),
            tenant_id,
            channel,
            to: to.to_string(),
            template_code: template_code.into(),
            locale: "en".into(),
            subject,
            body,
            status: MessageStatus::Queued,
            provider: None,
            provider_message_id: None,
            attempts: 0,
            created_at: Timestamp::now(),
            sent_at: None,
            kind: MessageKind::Transactional,
            dispatch_group_id: None,
            mirror_of: None,
            recipient_user_id: None,
            scheduled_at: None,
            delivered_at: None,
            failed_at: None,
            error_code: None,
            source: None,
            billable,
            auto_generated: false,
            sender_account_id: None,
            html: None,
            headers: std::collections::BTreeMap::new(),
            version: 1,
        }
    }

    /// The item, indexed for the tenant's message list (`by_kind`) and its
    /// dispatch group (`by_parent`).
    pub fn to_item(&self) -> Result<crm_store::Item, StoreError> {
        use crm_store::item::ItemExt;
        let sk = format!("{}#{}", self.created_at, self.id);
        let mut it = item::to_item(&Self::key(self.tenant_id, self.id), self)?.with_index(
            crm_store::Index::ByKind,
            keys::by_kind_pk(self.tenant_id, MESSAGE),
            sk.clone(),
        );
        if let Some(g) = self.dispatch_group_id {
            it = it.with_index(crm_store::Index::ByParent, keys::by_parent_pk(self.tenant_id, "DISPATCH", &g.to_string()), sk);
        }
        Ok(it)
    }

    pub fn key(tenant: TenantId, id: EntityId) -> Key {
        keys::entity(tenant, MESSAGE, id)
    }
}

/// Counts the billable messages of `messages` on the tenant's month usage
/// (`sms`, `whatsapp`) in `tx`, without a cap: for sends that must not be
/// refused (one-time codes); `POST /v1/notify/dispatch` takes its cap under a condition.
pub fn count_usage(mut tx: Tx, messages: &[Message]) -> Tx {
    use crate::messages::Channel::{Sms, Whatsapp};
    for channel in [Sms, Whatsapp] {
        let n = messages.iter().filter(|m| m.billable && m.channel == channel).count();
        if let (Some(first), true) = (messages.first(), n > 0) {
            let month = &first.created_at.date()[..7];
            let always = crm_store::tx::Condition::always();
            tx = tx.add("usage", &keys::usage_month(first.tenant_id, month), &[(channel.as_str(), n as i64)], always);
        }
    }
    tx
}

/// The budgets of one-time codes by SMS or WhatsApp (identity's phone and
/// login codes, a contact channel's verification), held in the transaction
/// that queues the code, so nobody pumps premium-rate numbers through the
/// operator's provider account: at most `monthly` codes per tenant per month
/// and `per_number_hourly` to one number per hour for one purpose (across
/// tenants; purposes apart, so verifications cannot starve sign-in codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeBudget {
    pub monthly: i64,
    pub per_number_hourly: i64,
}

impl Default for CodeBudget {
    fn default() -> Self {
        Self { monthly: 1_000, per_number_hourly: 5 }
    }
}

const CODE_MONTH: &str = "otp_month";
const CODE_NUMBER: &str = "otp_number";

impl CodeBudget {
    /// Adds one code to `number` for `purpose` to `tx` (the transaction fails if a budget is spent).
    pub fn hold(&self, tx: Tx, tenant: TenantId, purpose: &str, number: &str, now: Timestamp) -> Tx {
        let secs = now.unix_seconds();
        let hour = secs - secs.rem_euclid(3600);
        let month = now.month_start();
        let month_key = keys::tenant_window(tenant, "OTPSENDS", "month", month);
        let tx = crm_store::usage::take_at(tx, CODE_MONTH, &month_key, "count", self.monthly, Some(month + 40 * 86_400));
        let number_key = keys::global_window(&format!("OTPNUMBER#{purpose}"), number, hour);
        crm_store::usage::take_at(tx, CODE_NUMBER, &number_key, "count", self.per_number_hourly, Some(hour + 7200))
    }

    /// What a transaction that failed under `label` means, if it was a budget:
    /// `422 OTP_BUDGET_EXHAUSTED` (the month) or `429` (the number, until the hour ends).
    pub fn refusal(label: &str, now: Timestamp) -> Option<crm_kernel::AppError> {
        let secs = now.unix_seconds();
        match label {
            CODE_MONTH => Some(crm_kernel::AppError::Rule {
                code: "OTP_BUDGET_EXHAUSTED",
                message: "the organisation's one-time codes for this month are used up; contact support".into(),
            }),
            CODE_NUMBER => Some(crm_kernel::AppError::RateLimited { retry_after_secs: (3600 - secs.rem_euclid(3600)).max(1) as u64 }),
            _ => None,
        }
    }
}

/// Adds a message and its `message.queued` event to a transaction.
pub trait QueueExt {
    fn queue_message(self, message: &Message) -> Result<Self, StoreError>
    where
        Self: Sized;
}

impl QueueExt for Tx {
    fn queue_message(self, message: &Message) -> Result<Self, StoreError> {
        let event = DomainEvent::new(
            message.tenant_id,
            crm_events::types::MESSAGE_QUEUED,
            Actor::system(),
            Subject { kind: "message".into(), id: message.id.to_string() },
            json!({
                "channel": message.channel, "template_code": message.template_code,
                "dispatch_group_id": message.dispatch_group_id, "scheduled_at": message.scheduled_at,
            }),
        );
        Ok(self.put_new("message", message.to_item()?).emit(&event))
    }
}
