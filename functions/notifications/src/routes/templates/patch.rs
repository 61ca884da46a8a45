//! `PATCH /v1/notify/templates/{id}` — edit a template's name and texts
//! (`If-Match` honoured; channel, family and locale are its identity).
//! Editing a WhatsApp template's text withdraws its approval.

use crm_events::outbox::EmitExt;
use crm_events::Subject;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, EntityId, FieldError, Timestamp};
use crm_notify::messages::Channel;
use crm_store::tx::Condition;
use crm_store::{StoreError, Tx};
use serde::Deserialize;
use serde_json::json;

use crate::App;
use crm_notify::tenant::{variables, TenantTemplate};

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Body {
    name: Option<String>,
    subject: Option<String>,
    body: Option<String>,
    #[serde(default, deserialize_with = "crm_kernel::patch::nullable")]
    provider_template_id: Option<Option<String>>,
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let t = call.principal()?.tenant_id;
    let id = EntityId::parse(&call.path("id")?).map_err(|_| AppError::NotFound)?;
    let b: Body = call.json()?;
    let current: TenantTemplate = app.store.get_as(&TenantTemplate::key(t, id)).await?.ok_or(AppError::NotFound)?;
    if call.if_match()?.is_some_and(|v| v != current.version) {
        return Err(AppError::PreconditionFailed);
    }
    let mut next = current.clone();
    let mut errors = Vec::new();
    if let Some(n) = b.name {
        if n.trim().is_empty() || n.chars().count() > 120 {
            errors.push(FieldError::new("name", "must be 1-120 characters"));
        }
        next.name = n.trim().to_string();
    }
    let text_changed = b.subject.is_some() || b.body.is_some();
    if let Some(s) = b.subject {
        next.subject = s;
    }
    if let Some(body) = b.body {
        next.body = body;
    }
    if let Some(p) = b.provider_template_id {
        next.provider_template_id = p;
    }
    super::check_texts(&next.channel, &next.subject, &next.body, &mut errors);
    super::fail(errors)?;
    crm_notify::template::check_secret_placement(&next.channel, &next.family, &next.subject, &next.body)?;
    if text_changed && next.channel == Channel::Whatsapp {
        next.is_approved = false;
    }
    next.variables = variables(&next.subject, &next.body);
    next.updated_at = Timestamp::now();
    next.version += 1;
    let event = crm_events::DomainEvent::caused_by(
        &call,
        crm_events::types::TEMPLATE_UPDATED,
        Subject { kind: "template".into(), id: id.to_string() },
        json!({ "code": next.code, "version": next.version, "is_approved": next.is_approved }),
    )?;
    match app.store.transact(Tx::new().put_if("template", next.to_item()?, Condition::version_is(current.version)).emit(&event)).await {
        Ok(()) => Ok(Reply::ok(&next).etag(next.version)),
        Err(StoreError::ConditionFailed { .. }) => Err(AppError::PreconditionFailed),
        Err(e) => Err(e.into()),
    }
}
