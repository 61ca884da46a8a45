//! Sending from a tenant's own mailbox: Gmail (`POST {GMAIL_BASE_URL}/gmail/v1/users/me/messages/send`,
//! `{"raw": base64url RFC 5322}` → `{"id", "threadId"}`) and Microsoft Graph
//! (`POST {GRAPH_BASE_URL}/v1.0/me/sendMail` with the MIME message in base64
//! as `text/plain` → `202`, no body: the message is then known by our own
//! id, carried in an `X-CRM-Message` header). Both send the same MIME
//! message ([`mime`]): text and HTML parts, our `Message-ID`, and the
//! message's own headers.
//!
//! Access tokens are refreshed with the provider's OAuth token endpoint
//! (`grant_type=refresh_token`) when they are about to expire or a send
//! answers 401; the new tokens are sealed back onto the account. A refresh
//! answered `invalid_grant` means the user revoked us: the account turns
//! `reauth_required` and the send fails with `ACCOUNT_REAUTH_REQUIRED` (the
//! worker then falls back to the system email provider when configured).

use base64::{engine::general_purpose::STANDARD, engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use crm_auth::seal::Sealer;
use crm_kernel::{Env, Timestamp};
use crm_notify::messages::Message;
use crm_store::tx::Condition;
use crm_store::{Store, Tx};
use serde_json::{json, Value};

use super::SendError;
use crate::accounts::{AccountStatus, EmailAccount, MailboxProvider};

struct OAuthClient {
    token_url: String,
    client_id: String,
    client_secret: String,
    scope: Option<&'static str>,
}

pub struct Mailboxes {
    http: reqwest::Client,
    store: Store,
    sealer: Sealer,
    gmail_base: String,
    graph_base: String,
    google: Option<OAuthClient>,
    microsoft: Option<OAuthClient>,
}

/// A fresh token is needed when less than this remains.
const REFRESH_MARGIN_SECS: i64 = 60;

impl Mailboxes {
    /// `TOKEN_ENCRYPTION_KEY` (required to use mailbox accounts),
    /// `GMAIL_BASE_URL`, `GOOGLE_TOKEN_URL`, `GOOGLE_CLIENT_ID`, `GOOGLE_CLIENT_SECRET`,
    /// `GRAPH_BASE_URL`, `MICROSOFT_TOKEN_URL`, `MICROSOFT_CLIENT_ID`, `MICROSOFT_CLIENT_SECRET`.
    pub fn from_env(env: &Env, store: &Store, http: reqwest::Client) -> Result<Option<Self>, String> {
        let Some(secret) = env.get("TOKEN_ENCRYPTION_KEY") else { return Ok(None) };
        let client = |prefix: &str, default_url: &str, scope| match (
            env.get(&format!("{prefix}_CLIENT_ID")),
            env.get(&format!("{prefix}_CLIENT_SECRET")),
        ) {
            (Some(id), Some(secret)) if !id.is_empty() && !secret.is_empty() => Some(OAuthClient {
                token_url: env.get(&format!("{prefix}_TOKEN_URL")).unwrap_or(default_url).to_string(),
                client_id: id.to_string(),
                client_secret: secret.to_string(),
                scope,
            }),
            _ => None,
        };
        Ok(Some(Self {
            http,
            store: store.clone(),
            sealer: Sealer::from_secret(secret)?,
            gmail_base: env.get("GMAIL_BASE_URL").unwrap_or("https://gmail.googleapis.com").trim_end_matches('/').to_string(),
            graph_base: env.get("GRAPH_BASE_URL").unwrap_or("https://graph.microsoft.com").trim_end_matches('/').to_string(),
            google: client("GOOGLE", "https://oauth2.googleapis.com/token", None),
            microsoft: client(
                "MICROSOFT",
                "https://login.microsoftonline.com/common/oauth2/v2.0/token",
                Some("https://graph.microsoft.com/Mail.Send offline_access"),
            ),
        }))
    }

    pub fn sealer(&self) -> &Sealer {
        &self.sealer
    }

    /// Sends `m` from `account`; answers the provider's message id.
    pub async fn send(&self, account: &EmailAccount, m: &Message) -> Result<String, SendError> {
        if account.status != AccountStatus::Active {
            return Err(reauth());
        }
        let ctx = EmailAccount::seal_context(account.tenant_id, account.id);
        let mut account = account.clone();
        let mut token = self.sealer.open(&account.access_token, &ctx).ok_or_else(|| SendError::unusable("account token does not open"))?;
        if account.token_expires_at.unix_seconds() - Timestamp::now().unix_seconds() < REFRESH_MARGIN_SECS {
            (account, token) = self.refresh(account).await?;
        }
        match self.post(&account, m, &token).await {
            Err(e) if e.code == "UNAUTHORIZED" => {
                let (refreshed, token) = self.refresh(account).await?;
                self.post(&refreshed, m, &token).await
            }
            other => other,
        }
    }

    async fn post(&self, account: &EmailAccount, m: &Message, token: &str) -> Result<String, SendError> {
        let tag = format!("tenant={}|message={}", m.tenant_id, m.id);
        let raw = mime(&account.email, m, &tag)?;
        match account.provider {
            MailboxProvider::Gmail => {
                let req = self
                    .http
                    .post(format!("{}/gmail/v1/users/me/messages/send", self.gmail_base))
                    .bearer_auth(token)
                    .json(&json!({ "raw": URL_SAFE_NO_PAD.encode(raw) }));
                let v = super::exchange("Gmail", req).await?;
                v["id"].as_str().map(str::to_string).ok_or_else(|| SendError::unusable("Gmail answered without id"))
            }
            // Graph sends a MIME message as is (base64, `text/plain`): the
            // only way to carry headers that are not `X-…`, such as
            // `List-Unsubscribe`.
            MailboxProvider::Outlook => {
                let resp = self
                    .http
                    .post(format!("{}/v1.0/me/sendMail", self.graph_base))
                    .bearer_auth(token)
                    .header("content-type", "text/plain")
                    .body(STANDARD.encode(raw))
                    .send()
                    .await
                    .map_err(SendError::network)?;
                let status = resp.status().as_u16();
                if status == 202 {
                    Ok(m.id.to_string())
                } else {
                    Err(SendError::from_status(status, &resp.text().await.unwrap_or_default()))
                }
            }
        }
    }

    /// New tokens from the refresh token, sealed back onto the account.
    async fn refresh(&self, account: EmailAccount) -> Result<(EmailAccount, String), SendError> {
        let client = match account.provider {
            MailboxProvider::Gmail => self.google.as_ref(),
            MailboxProvider::Outlook => self.microsoft.as_ref(),
        }
        .ok_or_else(|| SendError::unusable(format!("no OAuth client configured for {}", account.provider.as_str())))?;
        let ctx = EmailAccount::seal_context(account.tenant_id, account.id);
        let refresh = self.sealer.open(&account.refresh_token, &ctx).ok_or_else(|| SendError::unusable("refresh token does not open"))?;
        let mut form = vec![
            ("grant_type", "refresh_token".to_string()),
            ("refresh_token", refresh.clone()),
            ("client_id", client.client_id.clone()),
            ("client_secret", client.client_secret.clone()),
        ];
        if let Some(scope) = client.scope {
            form.push(("scope", scope.to_string()));
        }
        let resp = self.http.post(&client.token_url).form(&form).send().await.map_err(SendError::network)?;
        let status = resp.status().as_u16();
        let v: Value = resp.json().await.unwrap_or_default();
        if status == 400 && v["error"] == "invalid_grant" {
            self.mark_reauth(&account).await;
            return Err(reauth());
        }
        if !(200..300).contains(&status) {
            return Err(SendError::from_status(status, &v.to_string()));
        }
        let token =
            v["access_token"].as_str().ok_or_else(|| SendError::unusable("token endpoint answered without access_token"))?.to_string();
        let mut next = account.clone();
        next.access_token = self.sealer.seal(&token, &ctx);
        // Microsoft rotates refresh tokens; Google keeps the old one.
        if let Some(r) = v["refresh_token"].as_str() {
            next.refresh_token = self.sealer.seal(r, &ctx);
        }
        next.token_expires_at = Timestamp::now().plus_seconds(v["expires_in"].as_i64().unwrap_or(3600));
        next.updated_at = Timestamp::now();
        next.version += 1;
        let saved = match next.to_item() {
            Ok(it) => self.store.transact(Tx::new().put_if("email_account", it, Condition::version_is(account.version))).await.is_ok(),
            Err(_) => false,
        };
        if !saved {
            // Someone else refreshed meanwhile: this token still works for this send.
            tracing::info!(account_id = %account.id, "refreshed token not saved (concurrent refresh)");
        }
        Ok((if saved { next } else { account }, token))
    }

    async fn mark_reauth(&self, account: &EmailAccount) {
        let mut next = account.clone();
        next.status = AccountStatus::ReauthRequired;
        next.updated_at = Timestamp::now();
        next.version += 1;
        if let Ok(it) = next.to_item() {
            let _ = self.store.transact(Tx::new().put_if("email_account", it, Condition::version_is(account.version))).await;
        }
        tracing::warn!(account_id = %account.id, provider = account.provider.as_str(), "mailbox revoked: re-authorisation required");
    }
}

fn reauth() -> SendError {
    SendError { retryable: false, code: "ACCOUNT_REAUTH_REQUIRED".into(), detail: "the mailbox account must be connected again".into() }
}

/// The RFC 5322 message a mailbox sends: UTF-8 headers and parts (Arabic
/// included), `multipart/alternative` when the message has an HTML part,
/// the message's own headers (`List-Unsubscribe`, …) and our tag.
pub fn mime(from: &str, m: &Message, tag: &str) -> Result<String, SendError> {
    use mail_builder::headers::raw::Raw;
    let mut b = mail_builder::MessageBuilder::new()
        .from(from)
        .to(m.to.as_str())
        .subject(m.subject.as_str())
        .message_id(format!("{}@{}", m.id, message_id_domain(from)))
        .header("X-CRM-Message", Raw::new(tag))
        .text_body(m.body.as_str());
    for (name, value) in &m.headers {
        b = b.header(name.as_str(), Raw::new(value.as_str()));
    }
    if let Some(html) = &m.html {
        b = b.html_body(html.as_str());
    }
    b.write_to_string().map_err(|e| SendError::unusable(format!("the message does not build: {e}")))
}

/// Our Message-IDs are `<{message id}@{the sender's domain}>`.
fn message_id_domain(from: &str) -> &str {
    from.rsplit_once('@').map_or("crm.local", |(_, d)| d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_raw_message_carries_utf8_parts_and_the_message_headers() {
        let t = crm_kernel::TenantId::new();
        let mut m = Message::email(t, "x@y.com", "engagement.email", "صفقة".into(), "Hello\nمرحبا".into());
        m.html = Some("<p dir=\"rtl\">مرحبا</p>".into());
        m.headers.insert("List-Unsubscribe-Post".into(), "List-Unsubscribe=One-Click".into());
        let raw = mime("rep@acme.com", &m, "tenant=t|message=m").unwrap();
        let parsed = mail_parser::MessageParser::default().parse(raw.as_bytes()).unwrap();
        assert_eq!(parsed.subject(), Some("صفقة"));
        assert_eq!(parsed.body_text(0).as_deref().map(str::trim_end), Some("Hello\nمرحبا"));
        assert!(parsed.body_html(0).unwrap().contains("مرحبا"));
        assert_eq!(parsed.message_id(), Some(format!("{}@acme.com", m.id).as_str()));
        assert_eq!(parsed.header_raw("List-Unsubscribe-Post").map(str::trim), Some("List-Unsubscribe=One-Click"));
        assert_eq!(parsed.header_raw("X-CRM-Message").map(str::trim), Some("tenant=t|message=m"));
    }
}
