//! `POST /v1/leads/capture` — the web-form endpoint (the spec's "API
//! capture"): a site's form handler posts what the visitor typed, with an
//! API key (`x-api-key`) holding `lead.create`. The lead gets source `web`
//! (unless the form says otherwise), goes through the assignment and
//! scoring rules, and is checked for duplicates like any other.
//!
//! Spam protection:
//! * a honeypot — the form's hidden `website` field, which people leave
//!   empty and bots fill: such a post is answered exactly like a good one
//!   (`202 {accepted: true}`) and nothing is written;
//! * a rate limit per key — [`PER_MINUTE`] posts a minute
//!   (`LEAD_CAPTURE_PER_MINUTE`), counted in the table (`429` with `Retry-After`).

use crm_auth::opaque::{OpaqueToken, API_KEY_PREFIX};
use crm_auth::AuthMethod;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, Timestamp};
use crm_store::{keys, Tx};

use crate::lead::{LeadChanges, LeadFields};
use crate::App;

/// Posts a minute one key may send.
pub const PER_MINUTE: i64 = 20;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    if p.method != AuthMethod::ApiKey {
        return Err(AppError::Forbidden("the capture endpoint takes an API key (x-api-key); people use POST /v1/leads".into()));
    }
    let key = call.header("x-api-key").and_then(|raw| OpaqueToken::parse(Some(API_KEY_PREFIX), raw)).ok_or(AppError::Unauthenticated)?;
    let now = Timestamp::now().unix_seconds();
    let window = now - now.rem_euclid(60);
    let used = app
        .store
        .increment(&keys::tenant_window(p.tenant_id, "LEADCAPTURE", &key.id.to_string(), window), "count", 1, window + 3600)
        .await?;
    if used > app.capture_per_minute {
        return Err(AppError::RateLimited { retry_after_secs: (window + 60 - now).max(1) as u64 });
    }
    let mut body: CaptureRequest = call.json()?;
    refuse_unknown(call.body_bytes()?)?;
    if body.website.as_ref().is_some_and(|v| v.as_str().is_none_or(|s| !s.trim().is_empty())) {
        tracing::warn!(tenant = %p.tenant_id, key = %key.id, "lead capture: honeypot filled, dropped");
        return Ok(Reply::with_status(202, Accepted { accepted: true }));
    }
    if body.lead.owner_user_id.is_present() || body.lead.status.is_present() {
        return Err(AppError::invalid("body", "a form sets neither owner_user_id nor status"));
    }
    let custom = std::mem::take(&mut body.lead.custom_fields);
    let mut fields = LeadFields::apply(&LeadFields::blank("web"), body.lead)?;
    if let Some(f) = body.form.as_deref() {
        let note = format!("[form: {}]", f.chars().take(100).collect::<String>());
        fields.message = Some(fields.message.map_or(note.clone(), |m| format!("{note} {m}")));
    }
    let (values, tx) = crm_records::write::custom_values(&app.store, &p, "lead", &Default::default(), custom, true, Tx::new()).await?;
    fields.custom_fields = values;
    crate::leads::create(app, &p, Some(call.request_id()), fields, tx).await?;
    Ok(Reply::with_status(202, Accepted { accepted: true }))
}

/// The body of `POST /v1/leads/capture`: what the visitor typed.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct CaptureRequest {
    /// The lead (a form sets neither `owner_user_id` nor `status`).
    #[serde(flatten)]
    pub lead: LeadChanges,
    /// The form's name, noted on the lead's message.
    #[serde(default)]
    #[schemars(length(max = 100))]
    pub form: Option<String>,
    /// The honeypot (keep it hidden and empty): a filled one drops the post.
    #[serde(default)]
    pub website: Option<serde_json::Value>,
}

/// A capture's answer, the same for a lead, a duplicate or a dropped bot.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Accepted {
    pub accepted: bool,
}

/// `CaptureRequest` flattens the lead's fields, and serde's
/// `deny_unknown_fields` does not reach through a flatten: the body's keys
/// are checked against the schema's properties here, one source for both.
fn refuse_unknown(bytes: &[u8]) -> Result<(), AppError> {
    // The schema's property names, generated once per execution environment.
    static KNOWN: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
        let schema = serde_json::to_value(schemars::schema_for!(CaptureRequest)).unwrap_or_default();
        schema["properties"].as_object().map(|p| p.keys().cloned().collect()).unwrap_or_default()
    });
    let raw: serde_json::Map<String, serde_json::Value> = crm_http::call::parse_json(bytes)?;
    match raw.keys().find(|k| !KNOWN.contains(k)) {
        Some(k) => Err(AppError::invalid(k.as_str(), "unknown field")),
        None => Ok(()),
    }
}
