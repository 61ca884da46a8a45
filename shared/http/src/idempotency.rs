//! `Idempotency-Key` on `POST`, as Stripe's API has it: a client that
//! retries a create with the same key gets the first answer back, not a
//! second resource.
//!
//! * The key is the caller's own (tenant and user), 1–255 visible ASCII
//!   characters, and holds for 24 hours.
//! * The same key with the same route and body answers the stored response,
//!   with `Idempotent-Replayed: true`; with another route or body it is
//!   `422 IDEMPOTENCY_KEY_REUSED`; while the first request runs, `409`.
//! * The marker is written in the create's own transaction
//!   ([`crm_store::idempotency`]): the resource and the key commit
//!   together, so two concurrent retries create one resource. The response
//!   is saved on the marker right after.
//! * A request that fails without writing (`4xx`) leaves the key free, so
//!   the client can correct it and retry with the same key.

use std::future::Future;

use crm_kernel::AppError;
use crm_store::idempotency::{Claim, Marker};
use crm_store::item::ItemExt;
use crm_store::{keys, AttributeValue, Item, Store, Tx};
use lambda_http::http::{HeaderValue, Method};
use lambda_http::{Body, Request, Response};

use crate::reply::render_error;
use crate::RequestContext;

pub const HEADER: &str = "idempotency-key";
pub const REPLAYED: &str = "idempotent-replayed";
/// How long a key holds.
pub const TTL_SECS: i64 = 24 * 3600;
/// The response headers a replay repeats.
const KEPT_HEADERS: &[&str] = &["content-type", "location", "etag"];

/// The SHA-256 of `parts`, each length-delimited.
fn sha256(parts: &[&[u8]]) -> String {
    let mut framed = Vec::with_capacity(parts.iter().map(|p| p.len() + 8).sum());
    for p in parts {
        framed.extend_from_slice(&(p.len() as u64).to_be_bytes());
        framed.extend_from_slice(p);
    }
    crm_auth::opaque::sha256_hex(&framed)
}

/// The key a request carries, checked: `None` when it carries none.
pub fn key_of(req: &Request) -> Result<Option<String>, AppError> {
    let Some(raw) = req.headers().get(HEADER) else { return Ok(None) };
    let key = raw.to_str().map_err(|_| AppError::invalid("Idempotency-Key", "must be visible ASCII"))?;
    if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(AppError::invalid("Idempotency-Key", "must be 1 to 255 visible ASCII characters"));
    }
    Ok(Some(key.to_string()))
}

fn body_bytes(req: &Request) -> &[u8] {
    match req.body() {
        Body::Text(s) => s.as_bytes(),
        Body::Binary(b) => b,
        _ => &[],
    }
}

/// The stored answer of a marker, or the refusal a second request gets.
fn replay(ctx: &RequestContext, marker: &Item, fingerprint: &str) -> Response<Body> {
    if marker.str_attr("fingerprint") != Some(fingerprint) {
        let e = AppError::Rule {
            code: "IDEMPOTENCY_KEY_REUSED",
            message: "this Idempotency-Key was used with another request; use a new key for a new request".into(),
        };
        return render_error(ctx, &e);
    }
    let Some(status) = marker.num_attr("status") else {
        return render_error(
            ctx,
            &AppError::Conflict("a request with this Idempotency-Key is still being processed; retry shortly".into()),
        );
    };
    let body = marker.str_attr("body").map(|b| Body::Text(b.to_string())).unwrap_or(Body::Empty);
    let mut response = Response::builder().status(status as u16).body(body).unwrap_or_default();
    if let Some(AttributeValue::M(headers)) = marker.get("headers") {
        for (name, value) in headers {
            if let (Ok(n), Some(Ok(v))) =
                (lambda_http::http::HeaderName::from_bytes(name.as_bytes()), value.as_s().ok().map(|s| HeaderValue::from_str(s)))
            {
                response.headers_mut().insert(n, v);
            }
        }
    }
    response.headers_mut().insert(REPLAYED, HeaderValue::from_static("true"));
    response.headers_mut().insert("x-request-id", HeaderValue::from_str(&ctx.request_id).unwrap_or(HeaderValue::from_static("")));
    response
}

/// The marker with the response it guards.
fn answered(marker: &Marker, response: &Response<Body>) -> Item {
    let body = match response.body() {
        Body::Text(s) => s.clone(),
        Body::Binary(b) => String::from_utf8_lossy(b).into_owned(),
        _ => String::new(),
    };
    let headers = KEPT_HEADERS
        .iter()
        .filter_map(|h| response.headers().get(*h).and_then(|v| v.to_str().ok()).map(|v| (h.to_string(), AttributeValue::S(v.to_string()))))
        .collect();
    let mut item = marker.to_item().with_num("status", i64::from(response.status().as_u16())).with_str("body", body);
    item.insert("headers".into(), AttributeValue::M(headers));
    item
}

/// Runs `run` for `req`, honouring its `Idempotency-Key`: every context's
/// requests pass through here (`crm_events::audit::serve`). `T` is what
/// `run` answers besides the response (the refusal to audit).
pub async fn serve<T, F, Fut>(store: &Store, req: Request, run: F) -> (Response<Body>, Option<T>)
where
    F: FnOnce(Request) -> Fut,
    Fut: Future<Output = (Response<Body>, Option<T>)>,
{
    if req.method() != Method::POST || !req.headers().contains_key(HEADER) {
        return run(req).await;
    }
    let ctx = RequestContext::from_request(&req);
    let Some(principal) = ctx.principal.clone() else { return run(req).await };
    let key = match key_of(&req) {
        Ok(Some(k)) => k,
        Ok(None) => return run(req).await,
        Err(e) => return (render_error(&ctx, &e), None),
    };
    let fingerprint = sha256(&[ctx.route_key.as_bytes(), req.uri().path().as_bytes(), body_bytes(&req)]);
    let at = keys::idempotency_key(principal.tenant_id, &principal.user_id.to_string(), &crm_auth::opaque::sha256_hex(key.as_bytes()));
    let now = crm_kernel::Timestamp::now().unix_seconds();
    let live = |item: &Item| item.num_attr(keys::TTL).is_some_and(|ttl| ttl > now);
    match store.get(&at).await {
        Ok(Some(marker)) if live(&marker) => return (replay(&ctx, &marker, &fingerprint), None),
        Ok(_) => {}
        Err(e) => return (render_error(&ctx, &e.into()), None),
    }
    let marker = Marker { key: at.clone(), fingerprint: fingerprint.clone(), created_at: now, expires_at: now + TTL_SECS };
    let ((response, extra), claim) = crm_store::idempotency::scoped(marker.clone(), run(req)).await;
    let status = response.status().as_u16();
    let saved = match claim {
        // Another request with this key committed first: its answer is the answer.
        Claim::Lost => {
            return match store.get(&at).await {
                Ok(Some(m)) => (replay(&ctx, &m, &fingerprint), extra),
                _ => (
                    render_error(
                        &ctx,
                        &AppError::Conflict("a request with this Idempotency-Key is still being processed; retry shortly".into()),
                    ),
                    extra,
                ),
            };
        }
        Claim::Claimed if status < 500 => store.put(answered(&marker, &response)).await,
        // A success that wrote no transaction still holds its key from now on.
        Claim::Open if (200..300).contains(&status) => {
            store
                .transact(Tx::new().put_if(
                    crm_store::idempotency::LABEL,
                    answered(&marker, &response),
                    crm_store::tx::Condition::absent_or_expired(now),
                ))
                .await
        }
        _ => Ok(()),
    };
    if let Err(e) = saved {
        tracing::warn!(error = %e, request_id = %ctx.request_id, "cannot save the response of an Idempotency-Key");
    }
    (response, extra)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(key: Option<&str>) -> Request {
        let mut b = lambda_http::http::Request::builder().method("POST").uri("/v1/contacts");
        if let Some(k) = key {
            b = b.header(HEADER, k);
        }
        b.body(Body::Empty).unwrap()
    }

    #[test]
    fn keys_are_visible_ascii_of_bounded_length() {
        assert_eq!(key_of(&request(None)).unwrap(), None);
        assert_eq!(key_of(&request(Some("3f1c-9a"))).unwrap().as_deref(), Some("3f1c-9a"));
        for bad in ["", "a b", &"k".repeat(256)] {
            assert!(key_of(&request(Some(bad))).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_fingerprint_tells_bodies_and_routes_apart() {
        let a = sha256(&[b"POST /v1/contacts", b"/v1/contacts", b"{\"a\":1}"]);
        assert_eq!(a, sha256(&[b"POST /v1/contacts", b"/v1/contacts", b"{\"a\":1}"]));
        assert_ne!(a, sha256(&[b"POST /v1/contacts", b"/v1/contacts", b"{\"a\":2}"]));
        assert_ne!(a, sha256(&[b"POST /v1/contacts/", b"v1/contacts", b"{\"a\":1}"]), "parts are length-delimited");
    }
}
