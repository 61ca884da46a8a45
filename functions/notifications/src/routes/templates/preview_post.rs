//! `POST /v1/notify/templates/preview` — renders what a send would say,
//! without sending: `{channel, template_code, locale?, payload}` resolves
//! like a dispatch (tenant template, then built-in; locale, then `en`), or
//! `{channel, subject?, body, payload}` renders a draft. Missing variables
//! are named (`400`), a missing template is `422 TEMPLATE_MISSING`.

use crm_http::{Call, Reply};
use crm_kernel::{AppError, FieldError};
use crm_notify::messages::Channel;
use crm_notify::template::{self, Template};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::policy::Policy;
use crate::App;
use crm_notify::tenant as templates;

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Body {
    channel: Channel,
    #[serde(default)]
    template_code: Option<String>,
    #[serde(default)]
    locale: Option<String>,
    #[serde(default)]
    subject: Option<String>,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    payload: Map<String, Value>,
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let t = call.principal()?.tenant_id;
    let b: Body = call.json()?;
    let tpl = match (&b.template_code, &b.body) {
        (Some(family), None) => {
            let policy = Policy::load(&app.store, t).await?;
            let overrides = templates::overrides(&app.store, t, family.trim()).await?;
            let chain = template::locale_chain(b.locale.as_deref(), policy.locale.as_deref());
            template::resolve(&overrides, &b.channel, family.trim(), &chain).ok_or_else(|| template::missing(&b.channel, family))?
        }
        (None, Some(body)) => {
            let subject = b.subject.clone().unwrap_or_default();
            let mut errors: Vec<FieldError> = Vec::new();
            super::check_texts(&b.channel, &subject, body, &mut errors);
            super::fail(errors)?;
            Template {
                channel: b.channel.clone(),
                family: "preview".into(),
                locale: b.locale.clone().unwrap_or_else(|| "en".into()),
                subject,
                body: body.clone(),
            }
        }
        _ => return Err(AppError::invalid("template_code", "give either template_code or a draft body, not both")),
    };
    let rendered = template::render(&tpl, &b.payload)?;
    Ok(Reply::ok(Preview {
        channel: b.channel,
        family: tpl.family.clone(),
        locale: rendered.locale,
        subject: rendered.subject,
        body: rendered.body,
        variables: templates::variables(&tpl.subject, &tpl.body),
    }))
}

/// A template rendered with a payload.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Preview {
    pub channel: crm_notify::messages::Channel,
    pub family: String,
    pub locale: String,
    pub subject: String,
    pub body: String,
    pub variables: Vec<String>,
}
