//! Billing end to end: Stripe's signed webhooks (refusals change nothing, a
//! replay changes state once) and dunning on a simulated clock; the metering
//! worker exact under duplicates and any order, with a recount that finds no
//! drift; the monthly close drafting one invoice per period however often
//! it runs.

use crm_events::{types, Actor, DomainEvent, Subject};
use crm_kernel::Timestamp;
use serde_json::{json, Value};

use crate::helpers::{body_of, bridge_message, drained, eventually, queue, sdk, send, stack, TestApp, OPERATOR_KEY, PIPELINE};

/// The local Stripe endpoint's secret (the dev server's).
const SECRET: &str = "whsec_local_stripe_webhook_secret_0123456789";

fn ops(method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
    reqwest::Client::new().request(method, format!("{}{path}", stack().url)).header("x-operator-key", OPERATOR_KEY)
}

async fn billing_settings(app: &TestApp, body: Value) -> Value {
    let (status, reply) = send(ops(reqwest::Method::PUT, &format!("/v1/ops/tenants/{}/billing", app.tenant)).json(&body)).await;
    assert_eq!(status, 200, "{reply}");
    reply
}

fn stripe_event(id: &str, kind: &str, created: i64, object: Value) -> Vec<u8> {
    // Pretty-printed, as Stripe sends it: the signature is over these bytes.
    serde_json::to_vec_pretty(&json!({
        "id": id, "object": "event", "api_version": "2026-07-29.dahlia", "created": created,
        "data": { "object": object }, "livemode": false, "pending_webhooks": 1,
        "request": { "id": null, "idempotency_key": null }, "type": kind,
    }))
    .unwrap()
}

async fn deliver(body: &[u8], signature: Option<String>) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .post(format!("{}/v1/webhooks/stripe", stack().url))
        .header("content-type", "application/json; charset=utf-8")
        .header("user-agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)")
        .body(body.to_vec());
    if let Some(s) = signature {
        req = req.header("stripe-signature", s);
    }
    send(req).await
}

fn now() -> i64 {
    Timestamp::now().unix_seconds()
}

async fn plan(app: &TestApp) -> Value {
    body_of(app.get("/v1/billing/plan")).await["data"].clone()
}

#[tokio::test]
async fn stripe_webhooks_are_verified_applied_once_and_dunning_walks_from_past_due_to_restored() {
    let app = TestApp::with_plan(&["admin"], "DevPro").await;
    let customer = format!("cus_{}", ulid::Ulid::new());
    billing_settings(&app, json!({ "provider": "stripe", "provider_customer_id": customer, "grace_days": 7 })).await;
    let before = plan(&app).await;
    assert_eq!((before["subscription"]["status"].as_str(), before["standing"].as_str()), (Some("active"), Some("good")), "{before}");

    // A failed charge a day ago.
    let failed = stripe_event(
        &format!("evt_{}", ulid::Ulid::new()),
        "charge.failed",
        now() - 86_400,
        json!({ "id": "ch_1", "object": "charge", "customer": customer, "amount": 4999, "currency": "usd",
                "failure_code": "card_declined", "failure_message": "Your card was declined.", "status": "failed" }),
    );
    let t = now();
    let good = crm_billing::signature::header(SECRET, t, &failed);
    let mut one_byte = failed.clone();
    let at = one_byte.iter().position(|b| *b == b'4').unwrap();
    one_byte[at] = b'5';
    for (what, body, signature) in [
        ("a wrong secret", failed.clone(), Some(crm_billing::signature::header("whsec_someone_elses_secret_000", t, &failed))),
        ("a stale timestamp", failed.clone(), Some(crm_billing::signature::header(SECRET, t - 301, &failed))),
        ("a body changed by one byte", one_byte, Some(good.clone())),
        ("no header", failed.clone(), None),
    ] {
        let (status, body) = deliver(&body, signature).await;
        assert_eq!(status, 400, "{what}: {body}");
        assert_eq!(body["error"]["code"], "VALIDATION_ERROR", "{what}: {body}");
        assert_eq!(plan(&app).await["subscription"], before["subscription"], "{what} changed nothing");
    }

    let (status, first) = deliver(&failed, Some(good.clone())).await;
    assert_eq!(
        (status, first["data"]["outcome"].as_str(), first["data"]["duplicate"].as_bool()),
        (200, Some("applied"), Some(false)),
        "{first}"
    );
    let past_due = plan(&app).await;
    assert_eq!(
        (past_due["subscription"]["status"].as_str(), past_due["standing"].as_str()),
        (Some("past_due"), Some("grace")),
        "{past_due}"
    );
    // A replay (Stripe retries; the same event, signed again) changes nothing.
    let (status, replay) = deliver(&failed, Some(crm_billing::signature::header(SECRET, now(), &failed))).await;
    assert_eq!((status, replay["data"]["duplicate"].as_bool()), (200, Some(true)), "{replay}");
    assert_eq!(plan(&app).await["subscription"], past_due["subscription"]);
    // In the grace, everything still works.
    assert_eq!(send(app.get("/v1/maps/overlays")).await.0, 200);

    // The clock moves past the grace (the operator shortens it to none):
    // the plan's features are restricted, billing and the admin panel are not.
    let restricted = billing_settings(&app, json!({ "grace_days": 0 })).await;
    assert_eq!(restricted["data"]["standing"], "restricted", "{restricted}");
    let (status, refused) = send(app.get("/v1/maps/overlays")).await;
    assert_eq!((status, refused["error"]["code"].as_str()), (402, Some("PLAN_REQUIRED")), "{refused}");
    assert_eq!(send(app.get("/v1/billing/plan")).await.0, 200);
    assert_eq!(send(app.get("/v1/admin/users")).await.0, 200);

    // invoice.paid restores access at once.
    let paid = stripe_event(
        &format!("evt_{}", ulid::Ulid::new()),
        "invoice.paid",
        now(),
        json!({ "id": "in_1", "object": "invoice", "customer": customer, "status": "paid", "amount_paid": 4999, "currency": "usd", "lines": { "object": "list", "data": [] } }),
    );
    let (status, applied) = deliver(&paid, Some(crm_billing::signature::header(SECRET, now(), &paid))).await;
    assert_eq!((status, applied["data"]["outcome"].as_str()), (200, Some("applied")), "{applied}");
    let restored = plan(&app).await;
    assert_eq!((restored["subscription"]["status"].as_str(), restored["standing"].as_str()), (Some("active"), Some("good")), "{restored}");
    assert_eq!(send(app.get("/v1/maps/overlays")).await.0, 200);

    // Out of order, resolved by the events' own times: an older failure
    // arriving late does not undo the payment…
    let signed = |body: &[u8]| Some(crm_billing::signature::header(SECRET, now(), body));
    let event = |kind: &str, created: i64, object: Value| stripe_event(&format!("evt_{}", ulid::Ulid::new()), kind, created, object);
    let late = event("charge.failed", now() - 3_600, json!({ "id": "ch_2", "object": "charge", "customer": customer }));
    let (status, stale) = deliver(&late, signed(&late)).await;
    assert_eq!((status, stale["data"]["outcome"].as_str()), (200, Some("stale")), "{stale}");
    assert_eq!(plan(&app).await["subscription"]["status"], "active");
    // …and an older invoice's payment does not settle a newer failure.
    let newer = event("charge.failed", now() + 30, json!({ "id": "ch_4", "object": "charge", "customer": customer }));
    assert_eq!(deliver(&newer, signed(&newer)).await.0, 200);
    assert_eq!(plan(&app).await["subscription"]["status"], "past_due");
    let older_paid =
        event("invoice.paid", now() - 60, json!({ "id": "in_0", "object": "invoice", "customer": customer, "status": "paid" }));
    let (status, stale) = deliver(&older_paid, signed(&older_paid)).await;
    assert_eq!((status, stale["data"]["outcome"].as_str()), (200, Some("stale")), "{stale}");
    assert_eq!(plan(&app).await["subscription"]["status"], "past_due");
    let settled = event("invoice.paid", now() + 60, json!({ "id": "in_2", "object": "invoice", "customer": customer, "status": "paid" }));
    assert_eq!(deliver(&settled, signed(&settled)).await.0, 200);
    assert_eq!(plan(&app).await["subscription"]["status"], "active");

    // The admins heard of the failure once: an inbox entry and an email.
    let told = crate::helpers::queued_messages(app.tenant).await;
    let failures: Vec<&str> = told.iter().filter(|m| m.template_code == "billing.payment_failed").map(|m| m.channel.as_str()).collect();
    assert_eq!(failures.len(), 4, "two failures, each an inbox entry and an email, once: {failures:?}");

    // Another tenant's customer in a claim resolves to nobody.
    let other = TestApp::with_plan(&["admin"], "DevPro").await;
    let claim = stripe_event(
        &format!("evt_{}", ulid::Ulid::new()),
        "charge.failed",
        now(),
        json!({ "id": "ch_3", "object": "charge", "customer": "cus_unknown", "metadata": { "tenantId": other.tenant.to_string() } }),
    );
    let (status, unmatched) = deliver(&claim, Some(crm_billing::signature::header(SECRET, now(), &claim))).await;
    assert_eq!((status, unmatched["data"]["outcome"].as_str()), (200, Some("unmatched")), "{unmatched}");
    assert_eq!(plan(&other).await["subscription"]["status"], "active");
}

fn sent(app: &TestApp, channel: &str, mirror: bool) -> DomainEvent {
    let data = if mirror {
        json!({ "channel": channel, "provider": "brevo", "mirror_of": "m0" })
    } else {
        json!({ "channel": channel, "provider": "infobip" })
    };
    DomainEvent::new(
        app.tenant,
        types::MESSAGE_SENT,
        Actor::system(),
        Subject { kind: "message".into(), id: ulid::Ulid::new().to_string() },
        data,
    )
}

async fn counter(app: &TestApp, metric: &str) -> Option<Value> {
    let usage = body_of(app.get(&format!("/v1/billing/usage?metric={metric}"))).await;
    usage["data"]["counters"].as_array().and_then(|c| c.first().cloned())
}

#[tokio::test]
async fn metering_counts_each_event_once_in_any_order_and_the_recount_finds_no_drift() {
    let app = TestApp::with_plan(&["admin"], "DevPro").await;
    // A stored subscription (the recount walks them).
    billing_settings(&app, json!({ "time_zone": "UTC" })).await;
    let mut events: Vec<DomainEvent> = Vec::new();
    events.extend((0..20).map(|_| sent(&app, "sms", false)));
    events.extend((0..5).map(|_| sent(&app, "whatsapp", false)));
    events.extend((0..4).map(|_| sent(&app, "email", false)));
    events.push(sent(&app, "email", true));
    // 10 % delivered twice, and the whole in a scrambled order.
    let mut delivered: Vec<&DomainEvent> = events.iter().collect();
    delivered.extend(events.iter().step_by(10));
    delivered.reverse();
    delivered.rotate_left(7);
    let (url, _) = queue("BillingMeterQueue");
    let sqs = aws_sdk_sqs::Client::new(&sdk().await);
    for e in &delivered {
        sqs.send_message().queue_url(&url).message_body(bridge_message(e)).send().await.unwrap();
    }
    drained(&url).await;
    let value = |c: Option<Value>| c.and_then(|c| c["value"].as_i64());
    assert_eq!(value(counter(&app, "sms.sent").await), Some(20));
    assert_eq!(value(counter(&app, "whatsapp.sent").await), Some(5));
    assert_eq!(value(counter(&app, "email.sent").await), Some(4), "a mirrored email is not counted");

    // The daily recount recomputes the month from the usage events.
    let fired =
        body_of(reqwest::Client::new().post(format!("{}/_local/schedules/BillingRecountFunction", stack().url)).json(&json!({}))).await;
    assert!(fired["tenants"].as_u64().unwrap_or(0) >= 1, "{fired}");
    let recounted =
        eventually("the recount", PIPELINE, || async { counter(&app, "sms.sent").await.filter(|c| c["recounted_at"].is_string()) }).await;
    assert_eq!((recounted["value"].as_i64(), recounted["drift"].as_i64()), (Some(20), Some(0)), "{recounted}");
}

#[tokio::test]
async fn the_close_drafts_one_invoice_per_period_however_often_it_runs() {
    let app = TestApp::with_plan(&["admin"], "DevPro").await;
    // Its own zone: the period closes at 22:00 UTC, before the tenants of
    // other tests in UTC, so the close below leaves them alone (it may close
    // the Stripe test's tenant in UTC+14, which that test allows for).
    let settings = billing_settings(&app, json!({ "time_zone": "Africa/Cairo" })).await;
    let period = settings["data"]["subscription"]["period"].as_str().unwrap().to_string();
    let closes = Timestamp::parse(settings["data"]["subscription"]["renews_at"].as_str().unwrap()).unwrap();
    let quote = body_of(app.post("/v1/billing/preview").json(&json!({}))).await;
    // The schedule fans the tenant out; while that runs the same tenant's
    // close is delivered twice more at once, and the schedule runs again.
    let (url, _) = queue("BillingInvoicingQueue");
    let sqs = aws_sdk_sqs::Client::new(&sdk().await);
    let at = closes.plus_seconds(60).to_string();
    let fire = || async {
        body_of(reqwest::Client::new().post(format!("{}/_local/schedules/BillingCloseFunction", stack().url)).json(&json!({ "now": at })))
            .await
    };
    let fired = fire().await;
    assert!(fired["tenants"].as_u64().is_some_and(|n| n >= 1), "the tenant was due: {fired}");
    let message = json!({ "kind": "tenant", "work": "close", "tenant_id": app.tenant.to_string(), "now": at }).to_string();
    let (a, b) = tokio::join!(
        sqs.send_message().queue_url(&url).message_body(&message).send(),
        sqs.send_message().queue_url(&url).message_body(&message).send()
    );
    a.unwrap();
    b.unwrap();
    fire().await;
    drained(&url).await;
    let invoices = eventually("the invoice", PIPELINE, || async {
        let list = body_of(app.get("/v1/billing/invoices")).await;
        list["data"].as_array().filter(|l| !l.is_empty()).cloned()
    })
    .await;
    assert_eq!(invoices.len(), 1, "{invoices:?}");
    let invoice = &invoices[0];
    assert_eq!((invoice["period"].as_str(), invoice["status"].as_str()), (Some(period.as_str()), Some("draft")));
    assert_eq!(invoice["lines"], quote["data"]["lines"], "the invoice is the quote made before the close");
    let total: i64 = invoice["lines"].as_array().unwrap().iter().map(|l| l["amount"].as_i64().unwrap()).sum();
    assert_eq!(invoice["total_amount"].as_i64(), Some(total));
    let id = invoice["id"].as_str().unwrap();
    assert_eq!(body_of(app.get(&format!("/v1/billing/invoices/{id}"))).await["data"]["id"], invoice["id"]);
    let rolled = plan(&app).await;
    assert_ne!(rolled["subscription"]["period"].as_str(), Some(period.as_str()), "the subscription is in its next period");
    // Another tenant sees none of it.
    let other = TestApp::admin().await;
    assert_eq!(send(other.get(&format!("/v1/billing/invoices/{id}"))).await.0, 404);
}

#[tokio::test]
async fn a_stripe_tenants_invoice_is_finalised_through_the_adapter_and_its_payment_comes_back_by_webhook() {
    let app = TestApp::with_plan(&["admin"], "DevPro").await;
    // ensureCustomer: the adapter creates the tenant's customer on the fake Stripe.
    // UTC+14: its period closes before every other test's tenant's.
    let settings = billing_settings(&app, json!({ "provider": "stripe", "time_zone": "Pacific/Kiritimati" })).await;
    let customer = settings["data"]["subscription"]["provider_customer_id"].as_str().unwrap_or_default().to_string();
    assert!(customer.starts_with("cus_"), "{settings}");
    let closes = Timestamp::parse(settings["data"]["subscription"]["renews_at"].as_str().unwrap()).unwrap();
    // This tenant's close, as the schedule's fan-out sends it.
    let (url, _) = queue("BillingInvoicingQueue");
    let message =
        json!({ "kind": "tenant", "work": "close", "tenant_id": app.tenant.to_string(), "now": closes.plus_seconds(1).to_string() });
    aws_sdk_sqs::Client::new(&sdk().await).send_message().queue_url(&url).message_body(message.to_string()).send().await.unwrap();
    // Drafted, finalised on Stripe, and `invoice.finalized` back through the webhook.
    let invoice = eventually("the invoice open on Stripe", PIPELINE, || async {
        let list = body_of(app.get("/v1/billing/invoices")).await;
        list["data"].as_array().and_then(|l| l.first().cloned()).filter(|i| i["status"] == "open" && i["provider_invoice_id"].is_string())
    })
    .await;
    let stripe_id = invoice["provider_invoice_id"].as_str().unwrap().to_string();
    let on_stripe = body_of(
        reqwest::Client::new()
            .get(format!("{}/_local/fake/stripe/v1/invoices/{stripe_id}", stack().url))
            .bearer_auth("sk_test_local_fake_stripe_key_0123456789"),
    )
    .await;
    assert_eq!(on_stripe["amount_due"], invoice["total_amount"], "Stripe bills exactly our lines: {on_stripe}");
    assert_eq!(on_stripe["metadata"]["invoiceId"], invoice["id"]);
    let lines = body_of(
        reqwest::Client::new()
            .get(format!("{}/_local/fake/stripe/v1/invoices/{stripe_id}/lines?limit=100", stack().url))
            .bearer_auth("sk_test_local_fake_stripe_key_0123456789"),
    )
    .await;
    assert_eq!(lines["data"].as_array().map(Vec::len), invoice["lines"].as_array().map(Vec::len), "each line once: {lines}");

    // The payment fails, then succeeds (the local `stripe trigger`).
    let trigger = |kind: &str| {
        reqwest::Client::new()
            .post(format!("{}/_local/fake/stripe/trigger", stack().url))
            .json(&json!({ "type": kind, "invoice": stripe_id }))
    };
    assert_eq!(send(trigger("invoice.payment_failed")).await.0, 200);
    eventually("past due", PIPELINE, || async { (plan(&app).await["subscription"]["status"] == "past_due").then_some(()) }).await;
    assert_eq!(send(trigger("invoice.paid")).await.0, 200);
    let paid = eventually("paid", PIPELINE, || async {
        let i = body_of(app.get(&format!("/v1/billing/invoices/{}", invoice["id"].as_str().unwrap()))).await["data"].clone();
        (i["status"] == "paid").then_some(i)
    })
    .await;
    assert!(paid["paid_at"].is_string(), "{paid}");
    assert_eq!(plan(&app).await["subscription"]["status"], "active");
}

#[tokio::test]
async fn a_promo_code_discounts_in_its_window_and_can_be_removed() {
    let app = TestApp::with_plan(&["admin"], "DevPro").await;
    let code = format!("TEN{}", &ulid::Ulid::new().to_string()[20..]);
    let define = |body: Value| ops(reqwest::Method::PUT, &format!("/v1/ops/promo-codes/{code}")).json(&body);
    let (status, bad) = send(define(json!({ "discount_pct": 10, "discount_amount_minor": 100 }))).await;
    assert_eq!((status, bad["error"]["details"][0]["field"].as_str()), (400, Some("discount_pct")), "{bad}");
    let (status, defined) = send(define(json!({ "discount_pct": 10, "description": "Ten off" }))).await;
    assert_eq!(status, 200, "{defined}");
    let apply = |c: &str| app.post("/v1/billing/apply-promo").json(&json!({ "code": c }));
    let (status, unknown) = send(apply("NO-SUCH-CODE")).await;
    assert_eq!((status, unknown["error"]["code"].as_str()), (422, Some("PROMO_INVALID")), "{unknown}");
    let (status, applied) = send(apply(&code.to_lowercase())).await;
    assert_eq!((status, applied["data"]["subscription"]["promo"]["code"].as_str()), (200, Some(code.as_str())), "{applied}");
    let (status, again) = send(apply(&code)).await;
    assert_eq!((status, again["error"]["code"].as_str()), (422, Some("PROMO_ALREADY_APPLIED")), "{again}");
    // The quote carries the discount: 10 % of the lines before it, never more.
    let quote = body_of(app.post("/v1/billing/preview").json(&json!({}))).await["data"].clone();
    let lines = quote["lines"].as_array().unwrap();
    let discount = lines.iter().find(|l| l["product_code"] == "DISCOUNT:PROMO").unwrap_or_else(|| panic!("{quote}"));
    let before: i64 = lines.iter().filter(|l| l["product_code"] != "DISCOUNT:PROMO").map(|l| l["amount"].as_i64().unwrap()).sum();
    assert_eq!(discount["amount"].as_i64(), Some(-((before * 10 * 2 + 100) / 200)), "{quote}");
    // A code the operator switches off no longer discounts.
    send(define(json!({ "discount_pct": 10, "is_active": false }))).await;
    let quote = body_of(app.post("/v1/billing/preview").json(&json!({}))).await["data"].clone();
    assert!(quote["lines"].as_array().unwrap().iter().all(|l| l["product_code"] != "DISCOUNT:PROMO"), "{quote}");
    // Removed, and removing again is refused; a code out of its window cannot be applied.
    let (status, removed) = send(app.request(reqwest::Method::DELETE, "/v1/billing/promo")).await;
    assert_eq!((status, removed["data"]["subscription"]["promo"].is_null()), (200, true), "{removed}");
    assert_eq!(send(app.request(reqwest::Method::DELETE, "/v1/billing/promo")).await.0, 422);
    send(define(json!({ "discount_amount_minor": 500, "valid_to": "2026-01-01T00:00:00Z", "valid_from": "2025-01-01T00:00:00Z" }))).await;
    let (status, expired) = send(apply(&code)).await;
    assert_eq!((status, expired["error"]["code"].as_str()), (422, Some("PROMO_INVALID")), "{expired}");
    // A viewer may not apply codes; the audit log holds both changes.
    let viewer = app.colleague(&["viewer"]).await;
    assert_eq!(send(viewer.post("/v1/billing/apply-promo").json(&json!({ "code": code }))).await.0, 403);
}

#[tokio::test]
async fn the_seat_ledger_follows_identitys_events_and_a_delivery_report_records_its_cost() {
    // No stored subscription: the daily recount (another test fires it) walks
    // subscriptions, and would set the level from identity's own seat count.
    let app = TestApp::with_plan(&["admin"], "DevPro").await;
    let level = || async { counter(&app, "seats.used").await.and_then(|c| c["value"].as_i64()).unwrap_or(0) };
    let start = level().await;
    // An invitation takes a seat (identity's event says so); revoking it frees it.
    let (status, invited) = send(
        app.post("/v1/admin/users/invite")
            .json(&json!({ "email": format!("seat-{}@billing.example.com", ulid::Ulid::new()), "roles": ["viewer"] })),
    )
    .await;
    assert_eq!(status, 201, "{invited}");
    eventually("the seat assigned", PIPELINE, || async { (level().await == start + 1).then_some(()) }).await;
    let invitation =
        invited["data"]["id"].as_str().or(invited["data"]["invitation_id"].as_str()).unwrap_or_else(|| panic!("{invited}")).to_string();
    assert_eq!(send(app.request(reqwest::Method::DELETE, &format!("/v1/admin/invitations/{invitation}"))).await.0, 204);
    eventually("the seat unassigned", PIPELINE, || async { (level().await == start).then_some(()) }).await;

    // Infobip's DLR price on message.delivered is the send's cost, in millionths.
    let delivered = DomainEvent::new(
        app.tenant,
        types::MESSAGE_DELIVERED,
        Actor::system(),
        Subject { kind: "message".into(), id: ulid::Ulid::new().to_string() },
        json!({ "channel": "sms", "provider": "infobip", "price": { "pricePerMessage": 0.0065, "currency": "EUR" } }),
    );
    let (url, _) = queue("BillingMeterQueue");
    let sqs = aws_sdk_sqs::Client::new(&sdk().await);
    for _ in 0..2 {
        sqs.send_message().queue_url(&url).message_body(bridge_message(&delivered)).send().await.unwrap();
    }
    drained(&url).await;
    assert_eq!(counter(&app, "sms.cost").await.and_then(|c| c["value"].as_i64()), Some(6_500));
}
