//! Provider adapters, one enum so the worker needs no dynamic dispatch.
//! Email: `dev` or Brevo (`EMAIL_PROVIDER`); SMS and WhatsApp: `dev` or
//! Infobip (`SMS_PROVIDER`). Brevo and Infobip are real HTTP clients: base
//! URLs and keys come from configuration (keys from Secrets Manager), and the
//! local stack points them at its fake providers, which check each request
//! the way the provider would.

pub mod brevo;
pub mod dev;
pub mod infobip;
pub mod mailbox;

use crm_kernel::Env;
use crm_notify::messages::{Channel, Message};
use crm_store::Store;

/// Why a send failed, and whether trying again can help (429, 5xx, network).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendError {
    pub retryable: bool,
    /// `PROVIDER_ERROR`, `RATE_LIMITED`, `TEMPORARY_FAILURE`, `INVALID_REQUEST`, `UNAUTHORIZED`.
    pub code: String,
    pub detail: String,
}

impl SendError {
    /// From a provider's HTTP status and body.
    pub fn from_status(status: u16, body: &str) -> Self {
        let code = match status {
            429 => "RATE_LIMITED",
            401 | 403 => "UNAUTHORIZED",
            400..=499 => "INVALID_REQUEST",
            _ => "TEMPORARY_FAILURE",
        };
        Self {
            retryable: status == 429 || status >= 500,
            code: code.into(),
            detail: format!("{status}: {}", body.chars().take(300).collect::<String>()),
        }
    }

    pub fn network(err: impl std::fmt::Display) -> Self {
        Self { retryable: true, code: "TEMPORARY_FAILURE".into(), detail: err.to_string() }
    }

    pub fn unusable(detail: impl Into<String>) -> Self {
        Self { retryable: false, code: "PROVIDER_ERROR".into(), detail: detail.into() }
    }
}

/// Sends a provider request and reads its JSON answer: a non-2xx status is a
/// [`SendError`] by its code, an answer that is not JSON is unusable.
pub(crate) async fn exchange(provider: &str, req: reqwest::RequestBuilder) -> Result<serde_json::Value, SendError> {
    let resp = req.header("accept", "application/json").send().await.map_err(SendError::network)?;
    let status = resp.status().as_u16();
    let text = resp.text().await.map_err(SendError::network)?;
    if !(200..300).contains(&status) {
        return Err(SendError::from_status(status, &text));
    }
    serde_json::from_str(&text).map_err(|_| SendError::unusable(format!("{provider} answered without JSON")))
}

pub enum Adapter {
    Dev(Box<dev::Dev>),
    Brevo(brevo::Brevo),
    Infobip(infobip::Infobip),
}

impl Adapter {
    pub fn name(&self) -> &'static str {
        match self {
            Adapter::Dev(_) => "dev",
            Adapter::Brevo(_) => "brevo",
            Adapter::Infobip(_) => "infobip",
        }
    }

    /// Sends; answers the provider's message id.
    pub async fn send(&self, message: &Message) -> Result<String, SendError> {
        match self {
            Adapter::Dev(a) => a.send(message).await,
            Adapter::Brevo(a) => a.send(message).await,
            Adapter::Infobip(a) => a.send(message).await,
        }
    }
}

/// The adapters of one deployment.
pub struct Adapters {
    pub email: Adapter,
    pub sms: Adapter,
    /// Tenants' own mailboxes (Gmail, Outlook); none without `TOKEN_ENCRYPTION_KEY`.
    pub mailboxes: Option<mailbox::Mailboxes>,
}

impl Adapters {
    pub fn from_env(env: &Env, store: &Store) -> Result<Self, String> {
        let http = http_client()?;
        let email = match env.get("EMAIL_PROVIDER").unwrap_or("dev") {
            "dev" => Adapter::Dev(Box::new(dev::Dev { store: store.clone() })),
            "brevo" => Adapter::Brevo(brevo::Brevo::from_env(env, http.clone())?),
            other => return Err(format!("EMAIL_PROVIDER {other} is not one of dev, brevo")),
        };
        let sms = match env.get("SMS_PROVIDER").unwrap_or("dev") {
            "dev" => Adapter::Dev(Box::new(dev::Dev { store: store.clone() })),
            "infobip" => Adapter::Infobip(infobip::Infobip::from_env(env, http.clone())?),
            other => return Err(format!("SMS_PROVIDER {other} is not one of dev, infobip")),
        };
        Ok(Self { email, sms, mailboxes: mailbox::Mailboxes::from_env(env, store, http)? })
    }

    /// What [`Adapters::from_env`] needs of the environment, checked without
    /// building anything: a function that could not send fails at its start,
    /// not on its first message.
    pub fn check_env(env: &Env) -> Result<(), String> {
        let need = |name: &str, with: &str| env.get(name).map(|_| ()).ok_or(format!("{name} is required with {with}"));
        match env.get("EMAIL_PROVIDER").unwrap_or("dev") {
            "dev" => {}
            "brevo" => need("BREVO_API_KEY", "EMAIL_PROVIDER=brevo")?,
            other => return Err(format!("EMAIL_PROVIDER {other} is not one of dev, brevo")),
        }
        match env.get("SMS_PROVIDER").unwrap_or("dev") {
            "dev" => {}
            "infobip" => {
                need("INFOBIP_BASE_URL", "SMS_PROVIDER=infobip")?;
                need("INFOBIP_API_KEY", "SMS_PROVIDER=infobip")?;
            }
            other => return Err(format!("SMS_PROVIDER {other} is not one of dev, infobip")),
        }
        Ok(())
    }

    /// The adapter of a channel (`inbox` is written by the worker itself).
    pub fn for_channel(&self, channel: &Channel) -> Option<&Adapter> {
        match channel {
            Channel::Email => Some(&self.email),
            Channel::Sms | Channel::Whatsapp => Some(&self.sms),
            Channel::Inbox => None,
        }
    }
}

/// One HTTPS client (rustls on aws-lc-rs, the system's roots), with timeouts
/// short enough to leave the Lambda time to record the outcome.
fn http_client() -> Result<reqwest::Client, String> {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    reqwest::Client::builder()
        .connect_timeout(std::time::Duration::from_secs(3))
        .timeout(std::time::Duration::from_secs(8))
        .build()
        .map_err(|e| e.to_string())
}
