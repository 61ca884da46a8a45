//! The local stand-in for Stripe's REST API, served by the dev server under
//! `/_local/fake/stripe/v1/…`. It checks each request as Stripe does and
//! answers in Stripe's shapes:
//!
//! * `Authorization: Bearer sk_test_…` with the local key, else `401`
//!   (`invalid_request_error`, "Invalid API Key provided");
//! * form-encoded bodies (`application/x-www-form-urlencoded`) with bracket
//!   keys (`metadata[tenantId]`, `period[start]`), the required parameters
//!   of each endpoint, integers where Stripe wants them, else `400`
//!   (`invalid_request_error` with `param`); an unknown object is `404`
//!   (`resource_missing`);
//! * `Idempotency-Key`: the same key with the same parameters replays the
//!   first answer with `Idempotent-Replayed: true`; with other parameters it
//!   is `400` (`idempotency_error`). Our adapter promises a key on every
//!   POST, so a POST without one is refused here too (`400`, `param:
//!   Idempotency-Key`): a check of our contract, stricter than Stripe.
//!
//! Endpoints: `POST /v1/customers`, `POST /v1/invoices`, `POST
//! /v1/invoiceitems`, `POST /v1/invoices/{id}/finalize`, `GET
//! /v1/invoices/{id}`.
//!
//! Like Stripe (and `stripe listen` forwarding to the local endpoint), it
//! sends signed events back to `/v1/webhooks/stripe`: `invoice.created`,
//! `invoice.finalized`, and, on `POST /_local/fake/stripe/trigger {type,
//! invoice}` (the local `stripe trigger`), `invoice.paid` or
//! `invoice.payment_failed` for that invoice. Each is signed with the local
//! endpoint secret (`Stripe-Signature: t=…,v1=…`) over the exact bytes sent,
//! with the headers Stripe's deliveries carry.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use axum::body::Body;
use axum::response::Response;
use http::{HeaderMap, StatusCode};
use serde_json::{json, Value};

/// The key the fake accepts.
pub const STRIPE_KEY: &str = "sk_test_local_fake_stripe_key_0123456789";

/// An event the fake will deliver to the webhook.
pub struct Delivery {
    pub body: Vec<u8>,
}

#[derive(Default)]
struct State {
    customers: BTreeMap<String, Value>,
    invoices: BTreeMap<String, Value>,
    /// Idempotency key → (request fingerprint, status, body).
    keys: HashMap<String, (String, u16, Value)>,
    next: u64,
}

#[derive(Default)]
pub struct FakeStripe(Mutex<State>);

fn reply(status: u16, body: &Value, replayed: bool) -> Response {
    let mut b = Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header("content-type", "application/json")
        .header("request-id", format!("req_{}", ulid::Ulid::new()));
    if replayed {
        b = b.header("idempotent-replayed", "true");
    }
    b.body(Body::from(body.to_string())).expect("response")
}

fn error(status: u16, kind: &str, code: Option<&str>, message: &str, param: Option<&str>) -> (u16, Value) {
    (status, json!({ "error": { "type": kind, "code": code, "message": message, "param": param } }))
}

fn missing(param: &str) -> (u16, Value) {
    error(400, "invalid_request_error", Some("parameter_missing"), &format!("Missing required param: {param}."), Some(param))
}

fn now() -> i64 {
    crm_kernel::Timestamp::now().unix_seconds()
}

/// Parses a form body into its bracketed keys and values, in order.
fn form(bytes: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(bytes).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

fn get<'a>(params: &'a [(String, String)], key: &str) -> Option<&'a str> {
    params.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// `metadata[…]` as an object.
fn metadata(params: &[(String, String)]) -> Value {
    let m: serde_json::Map<String, Value> = params
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("metadata[").and_then(|r| r.strip_suffix(']')).map(|k| (k.to_string(), Value::String(v.clone())))
        })
        .collect();
    Value::Object(m)
}

fn integer(params: &[(String, String)], key: &str) -> Result<Option<i64>, (u16, Value)> {
    match get(params, key) {
        None => Ok(None),
        Some(v) => v.parse::<i64>().map(Some).map_err(|_| {
            error(400, "invalid_request_error", Some("parameter_invalid_integer"), &format!("Invalid integer: {v}"), Some(key))
        }),
    }
}

impl FakeStripe {
    pub fn serves(path: &str) -> bool {
        path.starts_with("/_local/fake/stripe/")
    }

    /// Serves one request; returns the answer and the events to deliver.
    pub fn serve(&self, method: &str, path: &str, headers: &HeaderMap, bytes: &[u8]) -> (Response, Vec<Delivery>) {
        let mut state = self.0.lock().expect("fake stripe");
        if method == "POST" && path == "/_local/fake/stripe/trigger" {
            let (status, body, events) = trigger(&mut state, bytes);
            return (reply(status, &body, false), events);
        }
        let Some(route) = path.strip_prefix("/_local/fake/stripe") else { return (reply(404, &json!({}), false), Vec::new()) };
        let key = headers.get("authorization").and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
        if key != Some(STRIPE_KEY) {
            let shown = key.map(|k| format!("{}****", k.chars().take(8).collect::<String>())).unwrap_or_default();
            let (s, b) = error(401, "invalid_request_error", None, &format!("Invalid API Key provided: {shown}"), None);
            return (reply(s, &b, false), Vec::new());
        }
        if method == "GET" {
            let (s, b) = get_invoice(&state, route);
            return (reply(s, &b, false), Vec::new());
        }
        if method != "POST" {
            return (
                reply(404, &json!({ "error": { "type": "invalid_request_error", "message": "Unrecognized request URL" } }), false),
                Vec::new(),
            );
        }
        let form_type = headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
        if !form_type.starts_with("application/x-www-form-urlencoded") {
            let (s, b) =
                error(400, "invalid_request_error", None, "Stripe takes form-encoded bodies (application/x-www-form-urlencoded)", None);
            return (reply(s, &b, false), Vec::new());
        }
        let Some(idem) = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).filter(|k| !k.is_empty() && k.len() <= 255) else {
            let (s, b) =
                error(400, "invalid_request_error", None, "every POST of this adapter carries an Idempotency-Key", Some("Idempotency-Key"));
            return (reply(s, &b, false), Vec::new());
        };
        let params = form(bytes);
        let mut sorted = params.clone();
        sorted.sort();
        let fingerprint = format!("{route}?{}", serde_json::to_string(&sorted).unwrap_or_default());
        if let Some((seen, status, body)) = state.keys.get(idem) {
            if *seen != fingerprint {
                let (s, b) = error(
                    400,
                    "idempotency_error",
                    None,
                    &format!("Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '{idem}' if you meant to execute a different request."),
                    None,
                );
                return (reply(s, &b, false), Vec::new());
            }
            return (reply(*status, body, true), Vec::new());
        }
        let (status, body, events) = match route {
            "/v1/customers" => customer(&mut state, &params),
            "/v1/invoices" => invoice(&mut state, &params),
            "/v1/invoiceitems" => invoice_item(&mut state, &params),
            r if r.starts_with("/v1/invoices/") && r.ends_with("/finalize") => {
                let id = r.trim_start_matches("/v1/invoices/").trim_end_matches("/finalize").to_string();
                finalize(&mut state, &id)
            }
            _ => {
                let (s, b) = error(404, "invalid_request_error", None, &format!("Unrecognized request URL (POST: {route})"), None);
                (s, b, Vec::new())
            }
        };
        // Stripe saves the answer once the endpoint ran: everything but a
        // refused validation of the parameters.
        let validation = status == 400 && body["error"]["code"].as_str().is_some_and(|c| c.starts_with("parameter_"));
        if !validation {
            state.keys.insert(idem.to_string(), (fingerprint, status, body.clone()));
        }
        (reply(status, &body, false), events)
    }
}

/// `GET /v1/invoices/{id}` (its first line embedded: Stripe embeds only a
/// first page) and `GET /v1/invoices/{id}/lines?limit=&starting_after=`.
fn get_invoice(state: &State, route: &str) -> (u16, Value) {
    let (path, query) = route.split_once('?').unwrap_or((route, ""));
    let rest = path.strip_prefix("/v1/invoices/").unwrap_or_default();
    let (id, lines) = match rest.strip_suffix("/lines") {
        Some(id) => (id, true),
        None => (rest, false),
    };
    let Some(i) = state.invoices.get(id) else {
        return error(404, "invalid_request_error", Some("resource_missing"), &format!("No such invoice: '{id}'"), Some("id"));
    };
    let all = i["lines"]["data"].as_array().cloned().unwrap_or_default();
    let params = form(query.as_bytes());
    let limit = get(&params, "limit").and_then(|l| l.parse::<usize>().ok()).unwrap_or(10).clamp(1, 100);
    let from = get(&params, "starting_after").and_then(|a| all.iter().position(|l| l["id"] == a)).map(|p| p + 1).unwrap_or(0);
    let page = |n: usize| -> Value {
        let data: Vec<Value> = all.iter().skip(from).take(n).cloned().collect();
        json!({ "object": "list", "data": data, "has_more": from + n < all.len(), "url": format!("/v1/invoices/{id}/lines") })
    };
    if lines {
        (200, page(limit))
    } else {
        let mut embedded = i.clone();
        embedded["lines"] = page(1);
        (200, embedded)
    }
}

fn id(state: &mut State, prefix: &str) -> String {
    state.next += 1;
    format!("{prefix}_{}{:06}", ulid::Ulid::new().to_string().to_lowercase().chars().take(14).collect::<String>(), state.next)
}

fn customer(state: &mut State, params: &[(String, String)]) -> (u16, Value, Vec<Delivery>) {
    let c = json!({
        "id": id(state, "cus"), "object": "customer", "created": now(), "livemode": false,
        "name": get(params, "name"), "email": get(params, "email"), "metadata": metadata(params),
    });
    state.customers.insert(c["id"].as_str().unwrap_or_default().to_string(), c.clone());
    (200, c, Vec::new())
}

fn invoice(state: &mut State, params: &[(String, String)]) -> (u16, Value, Vec<Delivery>) {
    let Some(customer) = get(params, "customer") else {
        let (s, b) = missing("customer");
        return (s, b, Vec::new());
    };
    if !state.customers.contains_key(customer) {
        let (s, b) =
            error(404, "invalid_request_error", Some("resource_missing"), &format!("No such customer: '{customer}'"), Some("customer"));
        return (s, b, Vec::new());
    }
    if let Some(m) = get(params, "collection_method").filter(|m| !["charge_automatically", "send_invoice"].contains(m)) {
        let (s, b) = error(
            400,
            "invalid_request_error",
            Some("parameter_invalid_string"),
            &format!("Invalid collection_method: {m}"),
            Some("collection_method"),
        );
        return (s, b, Vec::new());
    }
    let id = id(state, "in");
    let i = json!({
        "id": id, "object": "invoice", "customer": customer, "status": "draft", "created": now(), "livemode": false,
        "currency": get(params, "currency").unwrap_or("usd"), "amount_due": 0, "amount_paid": 0, "amount_remaining": 0, "total": 0, "subtotal": 0,
        "collection_method": get(params, "collection_method").unwrap_or("charge_automatically"),
        "auto_advance": get(params, "auto_advance") == Some("true"), "metadata": metadata(params), "number": null, "hosted_invoice_url": null,
        "status_transitions": { "finalized_at": null, "paid_at": null, "voided_at": null, "marked_uncollectible_at": null },
        "lines": { "object": "list", "data": [], "has_more": false, "url": format!("/v1/invoices/{id}/lines") },
    });
    state.invoices.insert(id, i.clone());
    let event = event("invoice.created", &i);
    (200, i, vec![event])
}

fn invoice_item(state: &mut State, params: &[(String, String)]) -> (u16, Value, Vec<Delivery>) {
    let fail = |(s, b): (u16, Value)| (s, b, Vec::new());
    let Some(customer) = get(params, "customer") else { return fail(missing("customer")) };
    if !state.customers.contains_key(customer) {
        return fail(error(
            404,
            "invalid_request_error",
            Some("resource_missing"),
            &format!("No such customer: '{customer}'"),
            Some("customer"),
        ));
    }
    let amount = match integer(params, "amount") {
        Ok(Some(a)) => a,
        Ok(None) => return fail(missing("amount")),
        Err(e) => return fail(e),
    };
    let Some(currency) = get(params, "currency") else { return fail(missing("currency")) };
    if currency.len() != 3 || currency.chars().any(|c| !c.is_ascii_lowercase()) {
        return fail(error(
            400,
            "invalid_request_error",
            Some("parameter_invalid_string"),
            &format!("Invalid currency: {currency}"),
            Some("currency"),
        ));
    }
    let (start, end) = match (integer(params, "period[start]"), integer(params, "period[end]")) {
        (Ok(s), Ok(e)) => (s, e),
        (Err(e), _) | (_, Err(e)) => return fail(e),
    };
    if start.is_some() != end.is_some() {
        return fail(missing(if start.is_none() { "period[start]" } else { "period[end]" }));
    }
    let item_id = id(state, "ii");
    let item = json!({
        "id": item_id, "object": "invoiceitem", "customer": customer, "amount": amount, "currency": currency,
        "description": get(params, "description"), "invoice": get(params, "invoice"), "metadata": metadata(params),
        "period": { "start": start, "end": end }, "quantity": 1, "livemode": false, "date": now(), "proration": false, "discountable": true,
    });
    if let Some(inv) = get(params, "invoice") {
        let Some(i) = state.invoices.get_mut(inv) else {
            return fail(error(
                404,
                "invalid_request_error",
                Some("resource_missing"),
                &format!("No such invoice: '{inv}'"),
                Some("invoice"),
            ));
        };
        if i["status"] != "draft" {
            return fail(error(
                400,
                "invalid_request_error",
                Some("invoice_not_editable"),
                &format!("Invoice {inv} is no longer editable"),
                Some("invoice"),
            ));
        }
        if i["customer"] != customer || i["currency"] != currency {
            return fail(error(
                400,
                "invalid_request_error",
                Some("parameter_invalid_string"),
                "The invoice item's customer and currency must be the invoice's",
                Some("invoice"),
            ));
        }
        let line = json!({ "id": format!("il_{}", item_id.trim_start_matches("ii_")), "object": "line_item", "amount": amount, "currency": currency,
                           "description": item["description"], "invoice": inv, "metadata": item["metadata"], "period": item["period"], "quantity": 1 });
        i["lines"]["data"].as_array_mut().expect("lines").push(line);
        let total = i["lines"]["data"].as_array().expect("lines").iter().map(|l| l["amount"].as_i64().unwrap_or(0)).sum::<i64>();
        for k in ["amount_due", "amount_remaining", "total", "subtotal"] {
            i[k] = json!(total.max(0));
        }
    }
    (200, item, Vec::new())
}

fn finalize(state: &mut State, id: &str) -> (u16, Value, Vec<Delivery>) {
    let Some(i) = state.invoices.get_mut(id) else {
        let (s, b) = error(404, "invalid_request_error", Some("resource_missing"), &format!("No such invoice: '{id}'"), Some("invoice"));
        return (s, b, Vec::new());
    };
    if i["status"] != "draft" {
        let (s, b) = error(400, "invalid_request_error", Some("invoice_not_editable"), "This invoice is already finalized", None);
        return (s, b, Vec::new());
    }
    i["status"] = json!("open");
    i["status_transitions"]["finalized_at"] = json!(now());
    i["number"] = json!(format!("LOCAL-{:04}", state.next));
    i["hosted_invoice_url"] = json!(format!("https://invoice.stripe.com/i/local/{id}"));
    let i = i.clone();
    let event = event("invoice.finalized", &i);
    (200, i, vec![event])
}

/// `POST /_local/fake/stripe/trigger {type: invoice.paid|invoice.payment_succeeded|invoice.payment_failed, invoice}`.
fn trigger(state: &mut State, bytes: &[u8]) -> (u16, Value, Vec<Delivery>) {
    let body: Value = serde_json::from_slice(bytes).unwrap_or_default();
    let (Some(kind), Some(id)) = (body["type"].as_str(), body["invoice"].as_str()) else {
        return (400, json!({ "error": "need {type, invoice}" }), Vec::new());
    };
    let Some(i) = state.invoices.get_mut(id) else { return (404, json!({ "error": format!("no invoice {id}") }), Vec::new()) };
    match kind {
        "invoice.paid" | "invoice.payment_succeeded" if i["status"] == "open" => {
            i["status"] = json!("paid");
            i["amount_paid"] = i["amount_due"].clone();
            i["amount_remaining"] = json!(0);
            i["status_transitions"]["paid_at"] = json!(now());
        }
        "invoice.payment_failed" if i["status"] == "open" => {}
        _ => return (400, json!({ "error": format!("cannot trigger {kind} on a {} invoice", i["status"]) }), Vec::new()),
    }
    let i = i.clone();
    (200, json!({ "triggered": kind, "invoice": id }), vec![event(kind, &i)])
}

/// An event as Stripe delivers it (pretty-printed JSON, as Stripe sends).
fn event(kind: &str, object: &Value) -> Delivery {
    let e = json!({
        "id": format!("evt_{}", ulid::Ulid::new()), "object": "event", "api_version": "2026-07-29.dahlia", "created": now(),
        "data": { "object": object }, "livemode": false, "pending_webhooks": 1,
        "request": { "id": null, "idempotency_key": null }, "type": kind,
    });
    Delivery { body: serde_json::to_vec_pretty(&e).expect("an event") }
}

/// Posts an event to the webhook as Stripe's deliveries do, signed at each
/// attempt; a refusal is retried (Stripe retries for days; here three
/// times, a second apart).
pub async fn deliver(http: &reqwest::Client, webhook: &str, d: Delivery) {
    for attempt in 1..=3 {
        let signature = crm_billing::signature::header(crate::fake_providers::STRIPE_WEBHOOK_SECRET, now(), &d.body);
        let sent = http
            .post(webhook)
            .header("content-type", "application/json; charset=utf-8")
            .header("user-agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)")
            .header("cache-control", "no-cache")
            .header("accept", "*/*; q=0.5, application/xml")
            .header("stripe-signature", signature)
            .body(d.body.clone())
            .send()
            .await;
        match sent {
            Ok(r) if r.status().is_success() => return,
            Ok(r) => tracing::warn!(status = r.status().as_u16(), attempt, "the Stripe webhook refused a fake event"),
            Err(e) => tracing::warn!(error = %e, attempt, "the fake Stripe could not deliver an event"),
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(key: Option<&str>, idem: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("content-type", "application/x-www-form-urlencoded".parse().unwrap());
        if let Some(k) = key {
            h.insert("authorization", format!("Bearer {k}").parse().unwrap());
        }
        if let Some(i) = idem {
            h.insert("idempotency-key", i.parse().unwrap());
        }
        h
    }

    async fn body(r: Response) -> (u16, Option<String>, Value) {
        let status = r.status().as_u16();
        let replayed = r.headers().get("idempotent-replayed").map(|v| v.to_str().unwrap().to_string());
        let bytes = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
        (status, replayed, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn checks_requests_as_stripe_does() {
        let f = FakeStripe::default();
        let path = "/_local/fake/stripe/v1/customers";
        let (r, _) = f.serve("POST", path, &headers(Some("sk_test_wrong"), Some("k1")), b"name=A");
        assert_eq!(body(r).await.0, 401);
        let (r, _) = f.serve("POST", path, &headers(Some(STRIPE_KEY), None), b"name=A");
        assert_eq!(body(r).await.2["error"]["param"], "Idempotency-Key");
        let (r, _) = f.serve("POST", path, &headers(Some(STRIPE_KEY), Some("k1")), b"name=Acme&metadata%5BtenantId%5D=t1");
        let (s, replayed, first) = body(r).await;
        assert_eq!((s, replayed, first["metadata"]["tenantId"].as_str()), (200, None, Some("t1")));
        let (r, _) = f.serve("POST", path, &headers(Some(STRIPE_KEY), Some("k1")), b"name=Acme&metadata%5BtenantId%5D=t1");
        let (s, replayed, again) = body(r).await;
        assert_eq!((s, replayed.as_deref(), again["id"].clone()), (200, Some("true"), first["id"].clone()));
        let (r, _) = f.serve("POST", path, &headers(Some(STRIPE_KEY), Some("k1")), b"name=Other");
        let (s, _, refused) = body(r).await;
        assert_eq!((s, refused["error"]["type"].as_str()), (400, Some("idempotency_error")));
        let customer = first["id"].as_str().unwrap();
        let (r, _) = f.serve(
            "POST",
            "/_local/fake/stripe/v1/invoiceitems",
            &headers(Some(STRIPE_KEY), Some("k2")),
            format!("customer={customer}&amount=x&currency=usd").as_bytes(),
        );
        assert_eq!(body(r).await.2["error"]["param"], "amount");
        let (r, events) = f.serve(
            "POST",
            "/_local/fake/stripe/v1/invoices",
            &headers(Some(STRIPE_KEY), Some("k3")),
            format!("customer={customer}").as_bytes(),
        );
        let inv = body(r).await.2;
        assert_eq!((inv["status"].as_str(), events.len()), (Some("draft"), 1));
        let id = inv["id"].as_str().unwrap();
        let item = format!("customer={customer}&amount=4999&currency=usd&invoice={id}&period%5Bstart%5D=1&period%5Bend%5D=2");
        let (r, _) = f.serve("POST", "/_local/fake/stripe/v1/invoiceitems", &headers(Some(STRIPE_KEY), Some("k4")), item.as_bytes());
        assert_eq!(body(r).await.0, 200);
        let (r, events) =
            f.serve("POST", &format!("/_local/fake/stripe/v1/invoices/{id}/finalize"), &headers(Some(STRIPE_KEY), Some("k5")), b"");
        let fin = body(r).await.2;
        assert_eq!((fin["status"].as_str(), fin["amount_due"].as_i64(), events.len()), (Some("open"), Some(4999), 1));
    }
}
