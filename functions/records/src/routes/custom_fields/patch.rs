//! `PATCH /v1/custom-fields/definitions/{id}` — `label`, `options`,
//! `required`, `active` (`If-Match` honoured). Code, entity, type and
//! uniqueness are its identity: recreate the field to change them.

use crm_events::audit::AuditExt;
use crm_events::Subject;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, FieldError, Timestamp};
use crm_store::tx::Condition;
use crm_store::{StoreError, Tx};
use serde::Deserialize;
use serde_json::json;

use crate::App;

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Body {
    label: Option<String>,
    options: Option<Vec<String>>,
    required: Option<bool>,
    active: Option<bool>,
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let current = super::load(app, &call).await?;
    let b: Body = call.json()?;
    if call.if_match()?.is_some_and(|v| v != current.version) {
        return Err(AppError::PreconditionFailed);
    }
    let mut next = current.clone();
    let mut errors = Vec::new();
    if let Some(l) = b.label {
        if l.trim().is_empty() || l.chars().count() > 100 {
            errors.push(FieldError::new("label", "must be 1-100 characters"));
        }
        next.label = l.trim().to_string();
    }
    if let Some(o) = b.options {
        super::check_options(next.field_type, &o, &mut errors);
        next.options = o;
    }
    next.required = b.required.unwrap_or(next.required);
    next.active = b.active.unwrap_or(next.active);
    if !errors.is_empty() {
        return Err(AppError::invalid_fields(errors));
    }
    next.updated_at = Timestamp::now();
    next.version += 1;
    let event = crm_events::DomainEvent::caused_by(
        &call,
        crm_events::types::CUSTOM_FIELD_UPDATED,
        Subject { kind: "custom_field".into(), id: next.id.to_string() },
        json!({ "code": next.code, "required": next.required, "active": next.active }),
    )?;
    match app
        .store
        .transact(Tx::new().put_if("definition", next.to_item()?, Condition::version_is(current.version)).emit_audited(&event))
        .await
    {
        Ok(()) => Ok(Reply::ok(&next).etag(next.version)),
        Err(StoreError::ConditionFailed { .. }) => Err(AppError::PreconditionFailed),
        Err(e) => Err(e.into()),
    }
}
