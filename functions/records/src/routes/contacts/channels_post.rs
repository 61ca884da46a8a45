//! `POST /v1/contacts/{id}/channels` `{type, value, is_primary?, locale?}`
//! adds a channel (an address the contact already has under that type is
//! that channel); `{id, value?, is_primary?, locale?}` changes one. E.164
//! for phone and WhatsApp, a valid address for email. A new address is
//! claimed tenant-wide (`409` naming the contact that holds it); a changed
//! one loses its verification and consent. `If-Match` honoured;
//! `contact.updated` with the channel.

use crm_http::{Call, Reply};
use crm_kernel::fields::Input;
use crm_kernel::{AppError, EntityId, FieldError};
use crm_store::Tx;
use serde_json::json;

use crate::channel::{self, ChannelType, Upsert};

/// The body of `POST /v1/contacts/{id}/channels`: a new channel
/// (`{type, value, …}`) or a change to one (`{id, …}`).
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ChannelRequest {
    /// The channel to change (absent: add one).
    pub id: Input<EntityId>,
    /// `email`, `phone` or `whatsapp` (a new channel's).
    #[serde(rename = "type")]
    pub kind: Input<ChannelType>,
    /// An email address, or E.164 for phone and WhatsApp.
    #[schemars(length(max = 254))]
    pub value: Input<String>,
    pub is_primary: Input<bool>,
    /// The language messages on it use.
    #[schemars(schema_with = "locale_schema")]
    pub locale: Input<String>,
}

crm_kernel::one_of_schema!(locale_schema, crm_notify::preferences::LOCALES);

pub async fn handle(app: &crate::App, call: Call) -> Result<Reply, AppError> {
    let current = super::load_for_change(app, &call).await?;
    let body: ChannelRequest = call.json()?;
    let mut errors: Vec<FieldError> = Vec::new();
    let mut up = Upsert::default();
    match body.id {
        Input::Absent => {}
        Input::Given(id) => up.id = Some(id),
        _ => return Err(AppError::NotFound),
    }
    match body.kind {
        Input::Absent => {}
        Input::Given(kind) => up.kind = Some(kind),
        _ => errors.push(FieldError::new("type", "must be one of email, phone, whatsapp")),
    }
    let existing = up.id.and_then(|id| current.fields.channels.iter().find(|c| c.id == id)).map(|c| c.kind);
    match body.value {
        Input::Absent => {}
        Input::Given(raw) => {
            if let Some(kind) = up.kind.or(existing) {
                up.value = kind.parse_value(&raw).map_err(|e| errors.push(e)).ok();
            }
        }
        _ => errors.push(FieldError::new("value", "must be a string")),
    }
    match body.is_primary {
        Input::Absent => {}
        Input::Given(b) => up.is_primary = Some(b),
        _ => errors.push(FieldError::new("is_primary", "must be true or false")),
    }
    match body.locale {
        Input::Absent => {}
        Input::Null => up.locale = Some(None),
        Input::Given(l) if crm_notify::preferences::LOCALES.contains(&l.as_str()) => up.locale = Some(Some(l)),
        _ => errors.push(FieldError::new("locale", format!("must be one of {}", crm_notify::preferences::LOCALES.join(", ")))),
    }
    if !errors.is_empty() {
        return Err(AppError::invalid_fields(errors));
    }
    let adding = up.id.is_none();
    let mut fields = current.fields.clone();
    let id = channel::upsert(&mut fields, up)?;
    if fields == current.fields {
        return Ok(
            Reply::ok(Upserted { channel_id: id, contact: crate::contacts::public(&current, call.principal()?) }).etag(current.version)
        );
    }
    let ch = fields.channels.iter().find(|c| c.id == id).cloned();
    let data = json!({ "channel": ch, "action": if adding { "channel_added" } else { "channel_changed" } });
    let next = crate::contacts::save(app, &call, &current, fields, crm_events::types::CONTACT_UPDATED, data, Tx::new()).await?;
    let reply = Upserted { channel_id: id, contact: crate::contacts::public(&next, call.principal()?) };
    let reply = if adding { Reply::created(format!("/v1/contacts/{}", next.id), reply) } else { Reply::ok(reply) };
    Ok(reply.etag(next.version))
}

/// The channel added or changed, and the contact with it.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Upserted {
    pub channel_id: EntityId,
    pub contact: crate::contacts::ContactReply,
}
