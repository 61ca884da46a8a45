//! The envelope every domain event travels in (documented in `docs/events.md`).

use crm_kernel::{TenantId, Timestamp, UserId};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// EventBridge `source` of every event this system publishes.
pub const EVENT_SOURCE: &str = "crm";

/// Who caused the event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Actor {
    /// `user`, `api_key`, `system` or `provider`.
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
}

impl Actor {
    pub fn user(user_id: UserId) -> Self {
        Self { kind: "user".into(), user_id: Some(user_id) }
    }

    pub fn system() -> Self {
        Self { kind: "system".into(), user_id: None }
    }
}

/// What the event is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Subject {
    /// Resource type in snake_case: `note`, `contact`, `deal`, `tenant`...
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
}

/// A fact that happened in one tenant. `event_type` is `resource.verb_past`
/// (`note.created`, `message.delivered`), the EventBridge `detail-type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DomainEvent {
    pub event_id: String,
    pub event_type: String,
    pub schema_version: u32,
    pub tenant_id: TenantId,
    pub occurred_at: Timestamp,
    pub actor: Actor,
    pub subject: Subject,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    pub data: Value,
}

impl DomainEvent {
    /// A new event of a catalogued type ([`crate::types`]).
    pub fn new(tenant_id: TenantId, event_type: crate::EventType, actor: Actor, subject: Subject, data: Value) -> Self {
        Self {
            event_id: ulid::Ulid::new().to_string(),
            event_type: event_type.as_str().into(),
            schema_version: 1,
            tenant_id,
            occurred_at: Timestamp::now(),
            actor,
            subject,
            request_id: None,
            data,
        }
    }

    pub fn with_request_id(mut self, request_id: &str) -> Self {
        self.request_id = Some(request_id.into());
        self
    }

    /// Whether this is an event of type `t`.
    pub fn is(&self, t: crate::EventType) -> bool {
        self.event_type == t.as_str()
    }

    /// An event the caller of `call` causes, in their tenant, tagged with the request.
    pub fn caused_by(
        call: &crm_http::Call,
        event_type: crate::EventType,
        subject: Subject,
        data: Value,
    ) -> Result<Self, crm_kernel::AppError> {
        let p = call.principal()?;
        Ok(Self::new(p.tenant_id, event_type, Actor::user(p.user_id), subject, data).with_request_id(call.request_id()))
    }
}
