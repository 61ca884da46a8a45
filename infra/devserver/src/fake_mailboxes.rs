//! The local stand-ins for Google (OAuth token endpoint, Gmail API) and
//! Microsoft (identity platform token endpoint, Graph `sendMail`), served
//! under `/_local/fake/{google|gmail|microsoft|graph}/…`. Like the real ones
//! they accept only the access tokens they issued, refresh them for our
//! OAuth client (`grant_type=refresh_token`, the right client id and secret),
//! refuse a revoked refresh token (`invalid_grant`: any that starts with
//! `revoked`), and answer in the providers' shapes. What they send lands in
//! the local mailbox like the other fakes.

use std::collections::HashSet;
use std::sync::Mutex;

use axum::body::Body;
use axum::response::Response;
use base64::{engine::general_purpose::STANDARD, engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use http::{HeaderMap, StatusCode};
use serde_json::{json, Value};

use crate::fake_providers::Accepted;

pub const GOOGLE_CLIENT_ID: &str = "local-crm.apps.googleusercontent.com";
pub const GOOGLE_CLIENT_SECRET: &str = "local-google-client-secret";
pub const MICROSOFT_CLIENT_ID: &str = "00000000-0000-4000-8000-00000000c0de";
pub const MICROSOFT_CLIENT_SECRET: &str = "local-microsoft-client-secret";

/// The access tokens the fakes issued.
#[derive(Default)]
pub struct Tokens(Mutex<HashSet<String>>);

impl Tokens {
    fn issue(&self, prefix: &str) -> String {
        let t = format!("{prefix}{}", ulid::Ulid::new());
        self.0.lock().expect("tokens").insert(t.clone());
        t
    }

    fn valid(&self, headers: &HeaderMap) -> bool {
        let bearer = headers.get("authorization").and_then(|v| v.to_str().ok()).and_then(|h| h.strip_prefix("Bearer "));
        bearer.is_some_and(|b| self.0.lock().expect("tokens").contains(b))
    }
}

fn reply(status: StatusCode, body: Value) -> Response {
    Response::builder().status(status).header("content-type", "application/json").body(Body::from(body.to_string())).expect("response")
}

pub fn serves(path: &str) -> bool {
    ["/_local/fake/google/", "/_local/fake/gmail/", "/_local/fake/microsoft/", "/_local/fake/graph/"].iter().any(|p| path.starts_with(p))
}

pub fn serve(tokens: &Tokens, method: &str, path: &str, headers: &HeaderMap, body: &[u8]) -> (Response, Vec<Accepted>) {
    match (method, path) {
        ("POST", "/_local/fake/google/token") => token(tokens, body, GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET, "ya29.local-", false),
        ("POST", "/_local/fake/microsoft/token") => token(tokens, body, MICROSOFT_CLIENT_ID, MICROSOFT_CLIENT_SECRET, "EwB.local-", true),
        ("POST", "/_local/fake/gmail/gmail/v1/users/me/messages/send") => gmail(tokens, headers, body),
        ("POST", "/_local/fake/graph/v1.0/me/sendMail") => graph(tokens, headers, body),
        _ => (reply(StatusCode::NOT_FOUND, json!({ "error": "no such fake endpoint" })), vec![]),
    }
}

fn token(tokens: &Tokens, body: &[u8], client_id: &str, secret: &str, prefix: &str, rotates: bool) -> (Response, Vec<Accepted>) {
    let form: std::collections::HashMap<String, String> = form_urlencoded::parse(body).into_owned().collect();
    let get = |k: &str| form.get(k).map(String::as_str).unwrap_or_default();
    if get("client_id") != client_id || get("client_secret") != secret {
        return (reply(StatusCode::UNAUTHORIZED, json!({ "error": "invalid_client", "error_description": "Unauthorized" })), vec![]);
    }
    if get("grant_type") != "refresh_token" || get("refresh_token").is_empty() {
        return (reply(StatusCode::BAD_REQUEST, json!({ "error": "unsupported_grant_type" })), vec![]);
    }
    if get("refresh_token").starts_with("revoked") {
        return (
            reply(StatusCode::BAD_REQUEST, json!({ "error": "invalid_grant", "error_description": "Token has been expired or revoked." })),
            vec![],
        );
    }
    let mut v = json!({ "access_token": tokens.issue(prefix), "expires_in": 3599, "token_type": "Bearer", "scope": "https://www.googleapis.com/auth/gmail.send" });
    if rotates {
        v["refresh_token"] = json!(format!("M.R3_local-{}", ulid::Ulid::new()));
        v["scope"] = json!("https://graph.microsoft.com/Mail.Send");
    }
    (reply(StatusCode::OK, v), vec![])
}

fn unauthenticated() -> (Response, Vec<Accepted>) {
    (
        reply(
            StatusCode::UNAUTHORIZED,
            json!({ "error": { "code": 401, "message": "Request had invalid authentication credentials.", "status": "UNAUTHENTICATED" } }),
        ),
        vec![],
    )
}

/// What a mailbox send holds, read from its MIME message as a receiving
/// server would.
struct Parsed {
    to: String,
    subject: String,
    text: String,
    html: Option<String>,
    tag: Option<String>,
    headers: std::collections::BTreeMap<String, String>,
}

/// The headers a send carries for the recipient's client (RFC 8058 and the like).
const KEPT_HEADERS: &[&str] = &["List-Unsubscribe", "List-Unsubscribe-Post", "Message-ID", "In-Reply-To", "References"];

fn parse_raw(raw: &[u8]) -> Option<Parsed> {
    let m = mail_parser::MessageParser::default().parse(raw)?;
    let to = m.to()?.first()?.address()?.to_string();
    let headers = KEPT_HEADERS.iter().filter_map(|h| m.header_raw(*h).map(|v| (h.to_string(), v.trim().to_string()))).collect();
    Some(Parsed {
        to,
        subject: m.subject()?.to_string(),
        text: m.body_text(0)?.trim_end().to_string(),
        html: m.body_html(0).map(|h| h.into_owned()),
        tag: m.header_raw("X-CRM-Message").map(|v| v.trim().to_string()),
        headers,
    })
}

fn gmail(tokens: &Tokens, headers: &HeaderMap, body: &[u8]) -> (Response, Vec<Accepted>) {
    if !tokens.valid(headers) {
        return unauthenticated();
    }
    let v: Value = serde_json::from_slice(body).unwrap_or_default();
    let parsed = v["raw"].as_str().and_then(|r| URL_SAFE_NO_PAD.decode(r).ok()).and_then(|b| parse_raw(&b));
    let Some(p) = parsed else {
        return (
            reply(
                StatusCode::BAD_REQUEST,
                json!({ "error": { "code": 400, "message": "Invalid raw message", "status": "INVALID_ARGUMENT" } }),
            ),
            vec![],
        );
    };
    let id = format!("{:x}", ulid::Ulid::new().random());
    let accepted = Accepted {
        to: p.to.to_lowercase(),
        provider: "gmail",
        subject: p.subject,
        body: p.text,
        html: p.html,
        headers: p.headers,
        tag: String::new(),
        id: id.clone(),
        callback: p.tag,
        report: None,
    };
    (reply(StatusCode::OK, json!({ "id": id, "threadId": id, "labelIds": ["SENT"] })), vec![accepted])
}

fn graph(tokens: &Tokens, headers: &HeaderMap, body: &[u8]) -> (Response, Vec<Accepted>) {
    if !tokens.valid(headers) {
        return (
            reply(
                StatusCode::UNAUTHORIZED,
                json!({ "error": { "code": "InvalidAuthenticationToken", "message": "Access token is empty or invalid." } }),
            ),
            vec![],
        );
    }
    // A MIME send (base64, `text/plain`), as the adapter makes; the JSON
    // form `{"message": …}` is Graph's other shape.
    let mime = headers.get("content-type").and_then(|v| v.to_str().ok()).is_some_and(|c| c.starts_with("text/plain"));
    let parsed = if mime {
        STANDARD.decode(body.trim_ascii()).ok().and_then(|b| parse_raw(&b))
    } else {
        let v: Value = serde_json::from_slice(body).unwrap_or_default();
        let m = &v["message"];
        match (m["toRecipients"][0]["emailAddress"]["address"].as_str(), m["subject"].as_str(), m["body"]["content"].as_str()) {
            (Some(to), Some(subject), Some(text)) => Some(Parsed {
                to: to.into(),
                subject: subject.into(),
                text: text.into(),
                html: None,
                tag: m["internetMessageHeaders"]
                    .as_array()
                    .and_then(|h| h.iter().find(|x| x["name"] == "X-CRM-Message"))
                    .and_then(|x| x["value"].as_str())
                    .map(str::to_string),
                headers: Default::default(),
            }),
            _ => None,
        }
    };
    let Some(p) = parsed else {
        return (
            reply(
                StatusCode::BAD_REQUEST,
                json!({ "error": { "code": "ErrorInvalidRecipients", "message": "At least one recipient is not valid." } }),
            ),
            vec![],
        );
    };
    let accepted = Accepted {
        to: p.to.to_lowercase(),
        provider: "outlook",
        subject: p.subject,
        body: p.text,
        html: p.html,
        headers: p.headers,
        tag: String::new(),
        id: ulid::Ulid::new().to_string(),
        callback: p.tag,
        report: None,
    };
    (Response::builder().status(StatusCode::ACCEPTED).body(Body::empty()).expect("response"), vec![accepted])
}
