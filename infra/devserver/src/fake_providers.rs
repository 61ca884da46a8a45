//! The local stand-ins for Brevo and Infobip, served by the dev server under
//! `/_local/fake/{brevo|infobip}/…`. They check each request the way the
//! provider does — the key header, the required fields, the address formats —
//! answer with the provider's own response shapes and error bodies, and
//! record what they accepted in the local mailbox (`GET /_local/mailbox?to=`).
//!
//! Like the real providers they report delivery afterwards: Infobip to the
//! `notifyUrl` the request carried, Brevo to our `/v1/webhooks/brevo` with
//! the bearer token its webhook setting holds — a `delivered` report about a
//! second after the send (the spec's simulated DevStub delivery).
//!
//! (The test stack turns that off but for the addresses named at
//! `POST /_local/fake/reports {to}`: fewer moving parts per test.)
//!
//! `POST /_local/fake/failures {to, status, times}` makes the next `times`
//! sends to `to` answer `status` (500, 429, 400…): how tests show retries,
//! backoff and dead-lettering against a real HTTP exchange.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::body::Body;
use axum::response::Response;
use base64::Engine;
use http::{HeaderMap, StatusCode};
use serde_json::{json, Value};

/// The keys the fakes accept (the local "secrets").
pub const BREVO_KEY: &str = "xkeysib-local-fake-brevo-key";
pub const INFOBIP_KEY: &str = "local-fake-infobip-key";
/// The webhook secrets of the local stack (Brevo's bearer token, the password of Infobip's Basic credentials).
pub const BREVO_WEBHOOK_TOKEN: &str = "local-brevo-webhook-token-0123456789";
/// The local Stripe endpoint's signing secret (`whsec_…`, as `stripe listen` prints one).
pub const STRIPE_WEBHOOK_SECRET: &str = "whsec_local_stripe_webhook_secret_0123456789";
pub const INFOBIP_WEBHOOK_TOKEN: &str = "local-infobip-webhook-token-0123456789";

/// A delivery report a fake will post back, as the provider would.
pub struct Report {
    pub url: String,
    /// The `Authorization` header the provider sends with it.
    pub authorization: Option<String>,
    pub body: Value,
}

/// Which accepted sends get a delivery report: all, or the addresses named.
pub struct Reports {
    all: bool,
    to: Mutex<std::collections::HashSet<String>>,
}

impl Reports {
    pub fn new(all: bool) -> Self {
        Self { all, to: Mutex::default() }
    }

    pub fn add(&self, to: &str) {
        self.to.lock().expect("reports").insert(normalise(to));
    }

    pub fn wanted(&self, to: &str) -> bool {
        self.all || self.to.lock().expect("reports").contains(&normalise(to))
    }
}

#[derive(Default)]
pub struct Failures(Mutex<HashMap<String, (u16, u32)>>);

impl Failures {
    pub fn set(&self, to: &str, status: u16, times: u32) {
        self.0.lock().expect("failures").insert(normalise(to), (status, times));
    }

    /// The status to fail with for `to`, consuming one of its times.
    fn take(&self, to: &str) -> Option<u16> {
        let mut map = self.0.lock().expect("failures");
        let key = normalise(to);
        let (status, left) = map.get_mut(&key)?;
        let s = *status;
        *left -= 1;
        if *left == 0 {
            map.remove(&key);
        }
        Some(s)
    }
}

fn normalise(to: &str) -> String {
    let t = to.trim().to_lowercase();
    if t.chars().all(|c| c.is_ascii_digit()) {
        format!("+{t}")
    } else {
        t
    }
}

fn reply(status: StatusCode, body: Value) -> Response {
    Response::builder().status(status).header("content-type", "application/json").body(Body::from(body.to_string())).expect("response")
}

/// What a fake accepted: recorded in the local mailbox.
pub struct Accepted {
    pub to: String,
    pub provider: &'static str,
    pub subject: String,
    pub body: String,
    /// An email's HTML part.
    pub html: Option<String>,
    /// An email's own headers (`List-Unsubscribe`, …).
    pub headers: std::collections::BTreeMap<String, String>,
    pub tag: String,
    pub id: String,
    /// Infobip's `callbackData` (`tenant=…|message=…`), to find the template.
    pub callback: Option<String>,
    /// The delivery report to post back later.
    pub report: Option<Report>,
}

fn infobip_delivered(url: Option<&str>, id: &str, to: &str, callback: Option<&str>) -> Option<Report> {
    let now = crm_kernel::Timestamp::now().to_string();
    url.map(|url| Report {
        url: url.to_string(),
        // Infobip's webhook security setting BASIC, as we configure it.
        authorization: Some(format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("infobip:{INFOBIP_WEBHOOK_TOKEN}"))
        )),
        body: json!({ "results": [{
            "bulkId": null, "messageId": id, "to": to.trim_start_matches('+'), "sentAt": now, "doneAt": now, "smsCount": 1,
            "price": { "pricePerMessage": 0.01, "currency": "EUR" },
            "status": { "groupId": 3, "groupName": "DELIVERED", "id": 5, "name": "DELIVERED_TO_HANDSET", "description": "Message delivered to handset" },
            "error": { "groupId": 0, "groupName": "OK", "id": 0, "name": "NO_ERROR", "description": "No Error", "permanent": false },
            "callbackData": callback,
        }], "messageCount": 1, "pendingMessageCount": 0 }),
    })
}

/// Handles `/_local/fake/...`; `Ok` carries what to record.
pub fn serve(failures: &Failures, api_url: &str, method: &str, path: &str, headers: &HeaderMap, body: &[u8]) -> (Response, Vec<Accepted>) {
    let json: Option<Value> = serde_json::from_slice(body).ok();
    match (method, path) {
        ("POST", "/_local/fake/failures") => {
            let v = json.unwrap_or_default();
            match (v["to"].as_str(), v["status"].as_u64()) {
                (Some(to), Some(status)) => {
                    failures.set(to, status as u16, v["times"].as_u64().unwrap_or(1).max(1) as u32);
                    (reply(StatusCode::OK, json!({ "ok": true })), vec![])
                }
                _ => (reply(StatusCode::BAD_REQUEST, json!({ "error": "need {to, status, times?}" })), vec![]),
            }
        }
        ("POST", "/_local/fake/brevo/v3/smtp/email") => brevo(failures, api_url, headers, json),
        ("POST", "/_local/fake/infobip/sms/2/text/advanced") => infobip_sms(failures, headers, json),
        ("POST", "/_local/fake/infobip/whatsapp/1/message/text") => infobip_whatsapp(failures, headers, json),
        _ => (reply(StatusCode::NOT_FOUND, json!({ "error": "no such fake endpoint" })), vec![]),
    }
}

fn brevo_error(status: StatusCode, code: &str, message: &str) -> (Response, Vec<Accepted>) {
    (reply(status, json!({ "code": code, "message": message })), vec![])
}

/// The headers of a send other than Brevo's own (`X-Mailin-custom`, …).
fn brevo_headers(v: &Value) -> std::collections::BTreeMap<String, String> {
    v.as_object()
        .map(|o| {
            o.iter()
                .filter(|(k, _)| !k.starts_with("X-Mailin") && *k != "X-Campaign-Code")
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

fn brevo(failures: &Failures, api_url: &str, headers: &HeaderMap, body: Option<Value>) -> (Response, Vec<Accepted>) {
    if headers.get("api-key").and_then(|v| v.to_str().ok()) != Some(BREVO_KEY) {
        return brevo_error(StatusCode::UNAUTHORIZED, "unauthorized", "Key not found");
    }
    let Some(b) = body else { return brevo_error(StatusCode::BAD_REQUEST, "bad_request", "Input must be a json object") };
    if b["sender"]["email"].as_str().is_none_or(|e| !e.contains('@')) {
        return brevo_error(StatusCode::BAD_REQUEST, "missing_parameter", "sender is missing");
    }
    let to: Vec<&str> = b["to"].as_array().map(|a| a.iter().filter_map(|t| t["email"].as_str()).collect()).unwrap_or_default();
    if to.is_empty() || to.iter().any(|e| !e.contains('@')) {
        return brevo_error(StatusCode::BAD_REQUEST, "missing_parameter", "to is missing or an email is not valid");
    }
    if b["subject"].as_str().is_none_or(str::is_empty) && b["templateId"].is_null() {
        return brevo_error(StatusCode::BAD_REQUEST, "missing_parameter", "subject is missing");
    }
    let text = b["textContent"].as_str().or(b["htmlContent"].as_str());
    if text.is_none() && b["templateId"].is_null() {
        return brevo_error(StatusCode::BAD_REQUEST, "missing_parameter", "htmlContent or textContent is missing");
    }
    if let Some(status) = failures.take(to[0]) {
        return brevo_error(
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            "injected_failure",
            "failure injected locally",
        );
    }
    let id = format!("<{}@smtp-relay.mailin.fr>", ulid::Ulid::new().to_string().to_lowercase());
    let accepted = to
        .iter()
        .map(|t| Accepted {
            to: t.to_string(),
            provider: "brevo",
            subject: b["subject"].as_str().unwrap_or_default().into(),
            body: text.unwrap_or_default().into(),
            html: b["htmlContent"].as_str().map(str::to_string),
            headers: brevo_headers(&b["headers"]),
            tag: b["tags"][0].as_str().unwrap_or_default().into(),
            id: id.clone(),
            callback: None,
            report: Some(Report {
                url: format!("{}/v1/webhooks/brevo", api_url.trim_end_matches('/')),
                authorization: Some(format!("Bearer {BREVO_WEBHOOK_TOKEN}")),
                body: json!({
                    "event": "delivered", "email": t, "id": 1, "date": crm_kernel::Timestamp::now().to_string(),
                    "ts": crm_kernel::Timestamp::now().unix_seconds(), "ts_event": crm_kernel::Timestamp::now().unix_seconds(),
                    "message-id": id, "subject": b["subject"], "tag": b["tags"][0], "sending_ip": "127.0.0.1",
                    "X-Mailin-custom": b["headers"]["X-Mailin-custom"],
                }),
            }),
        })
        .collect();
    (reply(StatusCode::CREATED, json!({ "messageId": id })), accepted)
}

fn infobip_error(status: StatusCode, id: &str, text: &str) -> (Response, Vec<Accepted>) {
    (reply(status, json!({ "requestError": { "serviceException": { "messageId": id, "text": text } } })), vec![])
}

fn infobip_auth(headers: &HeaderMap) -> bool {
    headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(&format!("App {INFOBIP_KEY}"))
}

fn e164ish(to: &str) -> bool {
    let d = to.strip_prefix('+').unwrap_or(to);
    (8..=15).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit())
}

fn pending(id: &str, to: &str) -> Value {
    json!({ "messageId": id, "to": to, "status": { "groupId": 1, "groupName": "PENDING", "id": 26, "name": "PENDING_ACCEPTED", "description": "Message sent to next instance" } })
}

fn infobip_sms(failures: &Failures, headers: &HeaderMap, body: Option<Value>) -> (Response, Vec<Accepted>) {
    if !infobip_auth(headers) {
        return infobip_error(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", "Invalid login details");
    }
    let Some(messages) = body.as_ref().and_then(|b| b["messages"].as_array()).filter(|m| !m.is_empty()) else {
        return infobip_error(StatusCode::BAD_REQUEST, "BAD_REQUEST", "messages must not be empty");
    };
    let mut out = Vec::new();
    let mut accepted = Vec::new();
    for m in messages {
        let text = m["text"].as_str().unwrap_or_default();
        let dests: Vec<&str> =
            m["destinations"].as_array().map(|d| d.iter().filter_map(|x| x["to"].as_str()).collect()).unwrap_or_default();
        if text.is_empty() || dests.is_empty() || dests.iter().any(|d| !e164ish(d)) {
            return infobip_error(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                "destinations[].to must be a phone number and text must not be empty",
            );
        }
        for to in dests {
            if let Some(status) = failures.take(to) {
                return infobip_error(
                    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                    "GENERAL_ERROR",
                    "failure injected locally",
                );
            }
            let id = ulid::Ulid::new().to_string();
            out.push(pending(&id, to));
            accepted.push(Accepted {
                to: normalise(to),
                provider: "infobip",
                subject: String::new(),
                body: text.into(),
                html: None,
                headers: Default::default(),
                tag: String::new(),
                report: infobip_delivered(m["notifyUrl"].as_str(), &id, to, m["callbackData"].as_str()),
                id,
                callback: m["callbackData"].as_str().map(str::to_string),
            });
        }
    }
    (reply(StatusCode::OK, json!({ "bulkId": ulid::Ulid::new().to_string(), "messages": out })), accepted)
}

fn infobip_whatsapp(failures: &Failures, headers: &HeaderMap, body: Option<Value>) -> (Response, Vec<Accepted>) {
    if !infobip_auth(headers) {
        return infobip_error(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", "Invalid login details");
    }
    let b = body.unwrap_or_default();
    let (Some(from), Some(to), Some(text)) = (b["from"].as_str(), b["to"].as_str(), b["content"]["text"].as_str()) else {
        return infobip_error(StatusCode::BAD_REQUEST, "BAD_REQUEST", "from, to and content.text are required");
    };
    if from.is_empty() || to.starts_with('+') || !e164ish(to) || text.is_empty() {
        return infobip_error(StatusCode::BAD_REQUEST, "BAD_REQUEST", "to must be digits without '+', text must not be empty");
    }
    if let Some(status) = failures.take(to) {
        return infobip_error(
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            "GENERAL_ERROR",
            "failure injected locally",
        );
    }
    let id = ulid::Ulid::new().to_string();
    let mut v = pending(&id, to);
    v["messageCount"] = json!(1);
    let callback = b["callbackData"].as_str().map(str::to_string);
    let accepted = vec![Accepted {
        to: normalise(to),
        provider: "infobip",
        subject: String::new(),
        body: text.into(),
        html: None,
        headers: Default::default(),
        tag: String::new(),
        report: infobip_delivered(b["notifyUrl"].as_str(), &id, to, callback.as_deref()),
        id,
        callback,
    }];
    (reply(StatusCode::OK, v), accepted)
}
