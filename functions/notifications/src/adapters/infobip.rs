//! Infobip SMS (`POST {INFOBIP_BASE_URL}/sms/2/text/advanced`) and WhatsApp
//! text (`POST /whatsapp/1/message/text`), `Authorization: App {key}`.
//! Delivery reports come back to `notifyUrl` (our `/v1/webhooks/infobip`,
//! with `Authorization: Basic` from the webhook security setting) carrying
//! `callbackData` = `tenant=…|message=…`.

use crm_kernel::Env;
use crm_notify::messages::{Channel, Message};
use serde_json::{json, Value};

use super::SendError;

pub struct Infobip {
    http: reqwest::Client,
    base_url: String,
    api_key: String,
    sms_from: String,
    whatsapp_from: String,
    notify_url: Option<String>,
}

impl Infobip {
    pub fn from_env(env: &Env, http: reqwest::Client) -> Result<Self, String> {
        // Infobip authenticates its callbacks with the Basic credentials of
        // its webhook security setting; the URL carries no secret.
        let notify_url = env.get("PUBLIC_API_URL").map(|base| format!("{}/v1/webhooks/infobip", base.trim_end_matches('/')));
        Ok(Self {
            http,
            base_url: env
                .get("INFOBIP_BASE_URL")
                .ok_or("INFOBIP_BASE_URL is required with SMS_PROVIDER=infobip")?
                .trim_end_matches('/')
                .to_string(),
            api_key: env.get("INFOBIP_API_KEY").ok_or("INFOBIP_API_KEY is required with SMS_PROVIDER=infobip")?.to_string(),
            sms_from: env.get("INFOBIP_SMS_FROM").unwrap_or("M3CRM").to_string(),
            whatsapp_from: env.get("INFOBIP_WHATSAPP_FROM").unwrap_or("447860099299").to_string(),
            notify_url,
        })
    }

    fn callback_data(m: &Message) -> String {
        format!("tenant={}|message={}", m.tenant_id, m.id)
    }

    /// The path and body Infobip expects for the message's channel.
    pub fn request(&self, m: &Message) -> (&'static str, Value) {
        match m.channel {
            Channel::Whatsapp => (
                "/whatsapp/1/message/text",
                json!({
                    "from": self.whatsapp_from, "to": m.to.trim_start_matches('+'),
                    "content": { "text": m.body }, "callbackData": Self::callback_data(m), "notifyUrl": self.notify_url,
                }),
            ),
            _ => (
                "/sms/2/text/advanced",
                json!({ "messages": [{
                    "from": self.sms_from, "destinations": [{ "to": m.to }], "text": m.body,
                    "callbackData": Self::callback_data(m), "notifyUrl": self.notify_url,
                }] }),
            ),
        }
    }

    pub async fn send(&self, m: &Message) -> Result<String, SendError> {
        let (path, body) = self.request(m);
        let req = self.http.post(format!("{}{path}", self.base_url)).header("authorization", format!("App {}", self.api_key)).json(&body);
        let v = super::exchange("Infobip", req).await?;
        // SMS answers `{messages: [{messageId, status}]}`, WhatsApp `{messageId, status}`.
        let first = if v["messages"].is_array() { &v["messages"][0] } else { &v };
        let rejected = first["status"]["groupName"].as_str() == Some("REJECTED");
        if rejected {
            return Err(SendError { retryable: false, code: "PROVIDER_ERROR".into(), detail: first["status"]["name"].to_string() });
        }
        first["messageId"].as_str().map(str::to_string).ok_or_else(|| SendError::unusable("Infobip answered without messageId"))
    }
}
