//! Brevo transactional email: `POST {BREVO_BASE_URL}/v3/smtp/email` with the
//! `api-key` header; `201 {"messageId": "<…>"}`. The message id travels in
//! the `X-Mailin-custom` header too so delivery webhooks can be matched even
//! when Brevo's own id is not yet known.

use crm_kernel::Env;
use crm_notify::messages::Message;
use serde_json::{json, Value};

use super::SendError;

pub struct Brevo {
    http: reqwest::Client,
    base_url: String,
    api_key: String,
    sender_email: String,
    sender_name: String,
}

impl Brevo {
    pub fn from_env(env: &Env, http: reqwest::Client) -> Result<Self, String> {
        Ok(Self {
            http,
            base_url: env.get("BREVO_BASE_URL").unwrap_or("https://api.brevo.com").trim_end_matches('/').to_string(),
            api_key: env.get("BREVO_API_KEY").ok_or("BREVO_API_KEY is required with EMAIL_PROVIDER=brevo")?.to_string(),
            sender_email: env.get("EMAIL_SENDER").unwrap_or("no-reply@salesos.dev").to_string(),
            sender_name: env.get("EMAIL_SENDER_NAME").unwrap_or("SalesOS").to_string(),
        })
    }

    /// The request body Brevo expects: the text part, the HTML part when
    /// there is one, and the message's own headers beside ours.
    pub fn body(&self, m: &Message) -> Value {
        let mut headers = serde_json::Map::new();
        for (name, value) in &m.headers {
            headers.insert(name.clone(), json!(value));
        }
        headers.insert("X-Mailin-custom".into(), json!(format!("tenant={}|message={}", m.tenant_id, m.id)));
        headers.insert("X-Campaign-Code".into(), json!(m.template_code));
        let mut body = json!({
            "sender": { "email": self.sender_email, "name": self.sender_name },
            "to": [{ "email": m.to }],
            "subject": m.subject,
            "textContent": m.body,
            "tags": [m.template_code],
            "headers": headers,
        });
        if let Some(html) = &m.html {
            body["htmlContent"] = json!(html);
        }
        body
    }

    pub async fn send(&self, m: &Message) -> Result<String, SendError> {
        let req = self.http.post(format!("{}/v3/smtp/email", self.base_url)).header("api-key", &self.api_key).json(&self.body(m));
        let v = super::exchange("Brevo", req).await?;
        v["messageId"].as_str().map(str::to_string).ok_or_else(|| SendError::unusable("Brevo answered without messageId"))
    }
}
