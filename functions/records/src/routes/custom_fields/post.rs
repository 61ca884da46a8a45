//! `POST /v1/custom-fields/definitions` — `{entity, code, label, type,
//! options?, required?, unique?}`; a code is unique per entity (`409`), at
//! most `MAX_PER_ENTITY` definitions per entity (`422 LIMIT_REACHED`), plan
//! feature `contacts.customFields` (`deals.customFields` for deals; `402`).

use crm_events::audit::AuditExt;
use crm_events::Subject;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, EntityId, FieldError, Limit, Timestamp};
use crm_store::{item, Index, Query, StoreError, Tx};
use serde::Deserialize;
use serde_json::json;

use crate::custom_fields::{Definition, FieldType, ENTITIES, MAX_PER_ENTITY};
use crate::App;

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Body {
    entity: String,
    code: String,
    label: String,
    #[serde(rename = "type")]
    field_type: FieldType,
    #[serde(default)]
    options: Vec<String>,
    #[serde(default)]
    required: bool,
    #[serde(default)]
    unique: bool,
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let t = p.tenant_id;
    let b: Body = call.json()?;
    let mut errors = Vec::new();
    if !ENTITIES.contains(&b.entity.as_str()) {
        errors.push(FieldError::new("entity", format!("must be one of {}", ENTITIES.join(", "))));
    }
    let code_ok = b.code.len() <= 40
        && b.code.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && b.code.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !code_ok {
        errors.push(FieldError::new("code", "must be 1-40 characters of a-z, 0-9 and `_`, starting with a letter"));
    }
    if b.label.trim().is_empty() || b.label.chars().count() > 100 {
        errors.push(FieldError::new("label", "must be 1-100 characters"));
    }
    super::check_options(b.field_type, &b.options, &mut errors);
    if b.unique && matches!(b.field_type, FieldType::Bool | FieldType::Multiselect) {
        errors.push(FieldError::new("unique", "a yes/no or multiselect field cannot be unique"));
    }
    if !errors.is_empty() {
        return Err(AppError::invalid_fields(errors));
    }
    call.principal()?.entitlements.require_feature(crm_records::write::custom_fields_feature(&b.entity))?;
    let existing = app.store.query(Query::index(t, Index::ByParent, Definition::entity_pk(t, &b.entity)).limit(Limit::max())).await?;
    if existing.items.len() >= MAX_PER_ENTITY {
        return Err(AppError::LimitReached { key: "customFields.max".into(), limit: MAX_PER_ENTITY as i64 });
    }
    let now = Timestamp::now();
    let d = Definition {
        id: EntityId::new(),
        tenant_id: t,
        entity: b.entity,
        code: b.code,
        label: b.label.trim().to_string(),
        field_type: b.field_type,
        options: b.options,
        required: b.required,
        unique: b.unique,
        active: true,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let event = crm_events::DomainEvent::caused_by(
        &call,
        crm_events::types::CUSTOM_FIELD_CREATED,
        Subject { kind: "custom_field".into(), id: d.id.to_string() },
        json!({ "entity": d.entity, "code": d.code, "type": d.field_type }),
    )?;
    let marker = item::to_item(&Definition::code_key(t, &d.entity, &d.code), &json!({ "definition_id": d.id }))?;
    let tx = Tx::new().put_new("code", marker).put_new("definition", d.to_item()?).emit_audited(&event);
    match app.store.transact(tx).await {
        Ok(()) => Ok(Reply::created(format!("/v1/custom-fields/definitions/{}", d.id), &d).etag(d.version)),
        Err(StoreError::ConditionFailed { .. }) => Err(AppError::Conflict(format!("{} already has a field `{}`", d.entity, d.code))),
        Err(e) => Err(e.into()),
    }
}
