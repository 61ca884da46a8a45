//! `POST /v1/notify/templates` — a tenant template for one
//! `(channel, family, locale)`; a second one for the same triple is `409`.
//! Email, SMS and inbox templates are approved on save; WhatsApp ones wait
//! for `…/approve` (the provider's approval).

use crm_events::outbox::EmitExt;
use crm_events::Subject;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, EntityId, FieldError, Timestamp};
use crm_notify::messages::Channel;
use crm_notify::template::{self, LOCALES};
use crm_store::{item, StoreError, Tx};
use serde::Deserialize;
use serde_json::json;

use crate::App;
use crm_notify::tenant::{code, variables, TenantTemplate};

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Body {
    channel: Channel,
    family: String,
    locale: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    subject: String,
    body: String,
    #[serde(default)]
    provider_template_id: Option<String>,
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let t = call.principal()?.tenant_id;
    let b: Body = call.json()?;
    let mut errors = Vec::new();
    let family = b.family.trim().to_string();
    if family.is_empty()
        || family.len() > 100
        || !family.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.')
    {
        errors.push(FieldError::new("family", "must be 1-100 characters of a-z, 0-9, `_` and `.`"));
    }
    if !LOCALES.contains(&b.locale.as_str()) {
        errors.push(FieldError::new("locale", format!("must be one of {}", LOCALES.join(", "))));
    }
    let name = b.name.unwrap_or_else(|| family.clone());
    if name.trim().is_empty() || name.chars().count() > 120 {
        errors.push(FieldError::new("name", "must be 1-120 characters"));
    }
    super::check_texts(&b.channel, &b.subject, &b.body, &mut errors);
    super::fail(errors)?;
    template::check_secret_placement(&b.channel, &family, &b.subject, &b.body)?;
    let now = Timestamp::now();
    let tpl = TenantTemplate {
        id: EntityId::new(),
        tenant_id: t,
        code: code(&b.channel, &family),
        is_approved: b.channel != Channel::Whatsapp,
        channel: b.channel,
        name: name.trim().to_string(),
        family,
        locale: b.locale,
        variables: variables(&b.subject, &b.body),
        subject: b.subject,
        body: b.body,
        provider_template_id: b.provider_template_id,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let event = crm_events::DomainEvent::caused_by(
        &call,
        crm_events::types::TEMPLATE_CREATED,
        Subject { kind: "template".into(), id: tpl.id.to_string() },
        json!({ "code": tpl.code, "family": tpl.family, "channel": tpl.channel, "locale": tpl.locale }),
    )?;
    let marker = item::to_item(&tpl.unique_key(), &json!({ "template_id": tpl.id }))?;
    let tx = Tx::new().put_new("template_unique", marker).put_new("template", tpl.to_item()?).emit(&event);
    match app.store.transact(tx).await {
        Ok(()) => Ok(Reply::created(format!("/v1/notify/templates/{}", tpl.id), &tpl).etag(tpl.version)),
        Err(StoreError::ConditionFailed { .. }) => Err(AppError::Conflict(format!(
            "a {} template for `{}` in `{}` exists; edit it instead",
            tpl.channel.as_str(),
            tpl.family,
            tpl.locale
        ))),
        Err(e) => Err(e.into()),
    }
}
