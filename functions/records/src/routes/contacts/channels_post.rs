//! `POST /v1/contacts/{id}/channels` `{type, value, is_primary?, locale?}`
//! adds a channel (an address the contact already has under that type is
//! that channel); `{id, value?, is_primary?, locale?}` changes one. E.164
//! for phone and WhatsApp, a valid address for email. A new address is
//! claimed tenant-wide (`409` naming the contact that holds it); a changed
//! one loses its verification and consent. `If-Match` honoured;
//! `contact.updated` with the channel.

use crm_http::{Call, Reply};
use crm_kernel::{AppError, EntityId, FieldError};
use crm_store::Tx;
use serde_json::{json, Value};

use crate::channel::{self, ChannelType, Upsert};

const FIELDS: &[&str] = &["id", "type", "value", "is_primary", "locale"];

pub async fn handle(app: &crate::App, call: Call) -> Result<Reply, AppError> {
    let body: Value = call.json()?;
    let current = super::load_for_change(app, &call).await?;
    let obj = body.as_object().ok_or_else(|| AppError::invalid("body", "must be a JSON object"))?;
    let mut errors: Vec<FieldError> =
        obj.keys().filter(|k| !FIELDS.contains(&k.as_str())).map(|k| FieldError::new(k.as_str(), "unknown field")).collect();
    let mut up = Upsert::default();
    if let Some(v) = obj.get("id") {
        up.id = Some(v.as_str().and_then(|s| EntityId::parse(s).ok()).ok_or(AppError::NotFound)?);
    }
    if let Some(v) = obj.get("type") {
        up.kind = v
            .as_str()
            .ok_or_else(|| FieldError::new("type", "must be a string"))
            .and_then(ChannelType::parse)
            .map_err(|e| errors.push(e))
            .ok();
    }
    let existing = up.id.and_then(|id| current.fields.channels.iter().find(|c| c.id == id)).map(|c| c.kind);
    if let Some(v) = obj.get("value") {
        match (up.kind.or(existing), v.as_str()) {
            (Some(kind), Some(raw)) => up.value = kind.parse_value(raw).map_err(|e| errors.push(e)).ok(),
            (_, None) => errors.push(FieldError::new("value", "must be a string")),
            (None, _) => {}
        }
    }
    match obj.get("is_primary") {
        None => {}
        Some(Value::Bool(b)) => up.is_primary = Some(*b),
        Some(_) => errors.push(FieldError::new("is_primary", "must be true or false")),
    }
    match obj.get("locale") {
        None => {}
        Some(Value::Null) => up.locale = Some(None),
        Some(Value::String(l)) if crm_notify::preferences::LOCALES.contains(&l.as_str()) => up.locale = Some(Some(l.clone())),
        Some(_) => errors.push(FieldError::new("locale", format!("must be one of {}", crm_notify::preferences::LOCALES.join(", ")))),
    }
    if !errors.is_empty() {
        return Err(AppError::invalid_fields(errors));
    }
    let adding = up.id.is_none();
    let mut fields = current.fields.clone();
    let id = channel::upsert(&mut fields, up)?;
    if fields == current.fields {
        return Ok(Reply::ok(crate::contacts::public(&current)).etag(current.version));
    }
    let ch = fields.channels.iter().find(|c| c.id == id).cloned();
    let data = json!({ "channel": ch, "action": if adding { "channel_added" } else { "channel_changed" } });
    let next = crate::contacts::save(app, &call, &current, fields, crm_events::types::CONTACT_UPDATED, data, Tx::new()).await?;
    let reply = json!({ "channel_id": id, "contact": crate::contacts::public(&next) });
    let reply = if adding { Reply::created(format!("/v1/contacts/{}", next.id), reply) } else { Reply::ok(reply) };
    Ok(reply.etag(next.version))
}
