//! The demo tenants a newcomer sees after `make dev`, created through the API
//! itself (sign-up, login, notes). Idempotent: existing demo tenants are kept.
//!
//! * `admin@demo.salesos.dev` / `demo123!` — the SalesOS demo credentials.
//! * `rep@demo.salesos.dev` / `demo123!` — a sales rep of the demo tenant.
//! * `admin@other.salesos.dev` / `demo123!` — a second tenant, to see isolation.

use serde_json::{json, Value};

use crate::RunningStack;

pub const DEMO_EMAIL: &str = "admin@demo.salesos.dev";
pub const OTHER_EMAIL: &str = "admin@other.salesos.dev";
pub const REP_EMAIL: &str = "rep@demo.salesos.dev";
pub const DEMO_PASSWORD: &str = "demo123!";

/// Logs in (signing up first if the account does not exist) and returns the
/// access token.
pub async fn login_or_register(url: &str, email: &str, tenant_name: &str, full_name: &str) -> Result<String, String> {
    let client = reqwest::Client::new();
    let login = client
        .post(format!("{url}/v1/auth/login"))
        .json(&json!({ "email": email, "password": DEMO_PASSWORD }))
        .send()
        .await
        .map_err(|e| format!("seed: {e}"))?;
    if login.status().is_success() {
        let body: Value = login.json().await.map_err(|e| format!("seed: {e}"))?;
        return body["data"]["tokens"]["access_token"].as_str().map(str::to_string).ok_or_else(|| "seed: no access token".to_string());
    }
    let resp = client
        .post(format!("{url}/v1/auth/register-super-admin"))
        .json(&json!({ "tenant_name": tenant_name, "email": email, "password": DEMO_PASSWORD, "full_name": full_name }))
        .send()
        .await
        .map_err(|e| format!("seed: {e}"))?;
    let status = resp.status();
    let body: Value = resp.json().await.map_err(|e| format!("seed: {e}"))?;
    if !status.is_success() {
        return Err(format!("seed: sign-up of {email} answered {status}: {body}"));
    }
    verify_email(&client, url, email).await?;
    body["data"]["access_token"].as_str().map(str::to_string).ok_or_else(|| "seed: no access token".to_string())
}

/// Follows the verification link the sign-up mailed (read from the dev
/// mailbox, as a user would click it): administration waits for a verified
/// email (`AUTH_EMAIL_UNVERIFIED`), and the demo owners are verified.
async fn verify_email(client: &reqwest::Client, url: &str, email: &str) -> Result<(), String> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let token = loop {
        let mailbox: Value = client
            .get(format!("{url}/_local/mailbox"))
            .query(&[("to", email)])
            .send()
            .await
            .map_err(|e| format!("seed: {e}"))?
            .json()
            .await
            .map_err(|e| format!("seed: {e}"))?;
        let link = mailbox["messages"].as_array().into_iter().flatten().find(|m| m["template_code"] == "auth.verify_email");
        let token = link.and_then(|m| m["body"].as_str()).and_then(|b| b.split("token=").nth(1)).and_then(|t| t.split_whitespace().next());
        if let Some(t) = token {
            break t.to_string();
        }
        if std::time::Instant::now() > deadline {
            return Err(format!("seed: no verification email reached {email}"));
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    let resp = client
        .post(format!("{url}/v1/auth/verify-email"))
        .json(&json!({ "token": token }))
        .send()
        .await
        .map_err(|e| format!("seed: {e}"))?;
    if !resp.status().is_success() {
        return Err(format!("seed: verifying {email} answered {}", resp.status()));
    }
    Ok(())
}

/// A fresh access token for the demo admin.
pub async fn demo_token(url: &str) -> Result<String, String> {
    login_or_register(url, DEMO_EMAIL, "Demo Company", "Demo Admin").await
}

pub async fn demo(running: &RunningStack) -> Result<(), String> {
    let token = demo_token(&running.url).await?;
    login_or_register(&running.url, OTHER_EMAIL, "Other Company", "Other Admin").await?;
    let client = reqwest::Client::new();
    let existing: Value = client
        .get(format!("{}/v1/notes?limit=1", running.url))
        .bearer_auth(&token)
        .send()
        .await
        .map_err(|e| format!("seed: {e}"))?
        .json()
        .await
        .map_err(|e| format!("seed: {e}"))?;
    if existing["data"].as_array().is_some_and(|a| !a.is_empty()) {
        return Ok(());
    }
    for body in [
        "Welcome to the CRM. This note was created through POST /v1/notes by the seed.",
        "Call Acme Corporation about the enterprise licence renewal.",
        "متابعة مع العميل بخصوص الوحدة السكنية في التجمع الخامس",
    ] {
        let resp = client
            .post(format!("{}/v1/notes", running.url))
            .bearer_auth(&token)
            .json(&json!({ "body": body }))
            .send()
            .await
            .map_err(|e| format!("seed: {e}"))?;
        if !resp.status().is_success() {
            return Err(format!("seed: POST /v1/notes answered {}", resp.status()));
        }
    }
    // The SalesOS demo accounts and contacts.
    let post = |path: &'static str, body: Value| {
        let (client, token, url) = (client.clone(), token.clone(), running.url.clone());
        async move {
            let resp =
                client.post(format!("{url}{path}")).bearer_auth(&token).json(&body).send().await.map_err(|e| format!("seed: {e}"))?;
            if !resp.status().is_success() {
                return Err(format!("seed: POST {path} answered {}", resp.status()));
            }
            let v: Value = resp.json().await.map_err(|e| format!("seed: {e}"))?;
            Ok::<String, String>(v["data"]["id"].as_str().unwrap_or_default().to_string())
        }
    };
    let acme = post(
        "/v1/companies",
        json!({ "name": "Acme Corporation", "domain": "acme.com", "city": "San Francisco", "country": "US", "industry_code": "software" }),
    )
    .await?;
    let globex = post(
        "/v1/companies",
        json!({ "name": "Globex", "domain": "globex.com", "city": "Cairo", "country": "EG", "industry_code": "manufacturing" }),
    )
    .await?;
    let rep =
        post("/v1/admin/users", json!({ "email": REP_EMAIL, "full_name": "Demo Rep", "password": DEMO_PASSWORD, "roles": ["sales_rep"] }))
            .await?;
    // The rep follows the verification link an admin-created account is mailed.
    verify_email(&client, &running.url, REP_EMAIL).await?;
    let mut contacts = Vec::new();
    for body in [
        json!({ "first_name": "John", "last_name": "Smith", "email": "john@acme.com", "job_title": "CTO", "company_id": acme, "lifecycle_stage": "customer" }),
        json!({ "first_name": "Jane", "last_name": "Doe", "email": "jane@acme.com", "job_title": "VP Sales", "company_id": acme, "lifecycle_stage": "prospect", "owner_user_id": rep }),
        json!({ "first_name": "Bob", "last_name": "Wilson", "email": "bob@globex.com", "phone": "+201001234567", "company_id": globex, "lifecycle_stage": "lead", "owner_user_id": rep }),
    ] {
        contacts.push(post("/v1/contacts", body).await?);
    }
    // A living timeline: a logged call on John, and the rep's follow-up task on Jane.
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let yesterday = (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    post(
        "/v1/activities",
        json!({ "type": "call", "title": "Renewal call with John", "direction": "outbound", "started_at": yesterday, "subject": { "type": "contact", "id": contacts[0] } }),
    )
    .await?;
    post(
        "/v1/tasks",
        json!({ "title": "Send Jane the pricing proposal", "priority": "high", "due_at": tomorrow, "owner_user_id": rep, "related": { "type": "contact", "id": contacts[1] } }),
    )
    .await?;
    // The SalesOS opportunities ($120k + $50k = $170k) on the default pipeline's board.
    let pipeline = client
        .post(format!("{}/v1/pipelines", running.url))
        .bearer_auth(&token)
        .json(&json!({ "name": "Sales", "description": "New business, from first call to signature" }))
        .send()
        .await
        .map_err(|e| format!("seed: {e}"))?
        .json::<Value>()
        .await
        .map_err(|e| format!("seed: {e}"))?;
    let stage = |name: &str| {
        pipeline["data"]["stages"].as_array().into_iter().flatten().find(|s| s["name"] == name).map(|s| s["id"].clone()).unwrap_or_default()
    };
    let close = (chrono::Utc::now() + chrono::Duration::days(30)).format("%Y-%m-%d").to_string();
    post(
        "/v1/deals",
        json!({ "name": "Acme Enterprise License", "amount": 12_000_000, "currency": "USD", "stage_id": stage("Negotiation"), "close_date": close,
                "contacts": [{ "id": contacts[0], "role": "decision_maker" }], "companies": [{ "id": acme, "role": "primary" }] }),
    )
    .await?;
    post(
        "/v1/deals",
        json!({ "name": "Globex Manufacturing Suite", "amount": 5_000_000, "currency": "USD", "stage_id": stage("Proposal"), "close_date": close,
                "owner_user_id": rep, "contacts": [{ "id": contacts[2], "role": "influencer" }], "companies": [{ "id": globex, "role": "primary" }] }),
    )
    .await?;
    // The spec's example policy: a manager approves winning a deal over $100k.
    post(
        "/v1/approvals/policies",
        json!({ "name": "Deals over $100k", "action_code": "deal.mark.win", "object_type": "deal",
                "conditions": [{ "field": "amount_major", "op": "gt", "value": 100000 }],
                "steps": [{ "approver_mode": "role", "approver_ref": "manager" }] }),
    )
    .await?;
    // Leads in each working status.
    for body in [
        json!({ "first_name": "Layla", "last_name": "Mansour", "email": "layla@initech.com", "company_name": "Initech", "source": "web", "owner_user_id": rep }),
        json!({ "first_name": "Karim", "last_name": "Adel", "phone": "+201001112233", "source": "referral", "status": "contacted", "owner_user_id": rep }),
        json!({ "first_name": "Sofia", "last_name": "Reyes", "email": "sofia@umbrella.com", "company_name": "Umbrella", "job_title": "Director of Operations", "source": "campaign", "status": "qualified" }),
        json!({ "first_name": "Tom", "last_name": "Baker", "email": "tom@gmail.com", "source": "other", "status": "disqualified" }),
    ] {
        post("/v1/leads", body).await?;
    }
    let tower_a = palm_residences(&post, &client, &running.url, &token, &contacts[2]).await?;
    site_plan(running, &client, &token, &tower_a).await
}

/// The real-estate demo: "Palm Residences", towers A and B, 40 units of
/// mixed types and statuses with Arabic names, a payment plan, and one unit
/// reserved for Bob's deal. Tower A's units come back as
/// `(floor, number, unit id)`, for the site plan.
async fn palm_residences<F, Fut>(post: &F, client: &reqwest::Client, url: &str, token: &str, bob: &str) -> Result<TowerA, String>
where
    F: Fn(&'static str, Value) -> Fut,
    Fut: std::future::Future<Output = Result<String, String>>,
{
    let handover = (chrono::Utc::now() + chrono::Duration::days(540)).format("%Y-%m-%d").to_string();
    let project = post(
        "/v1/projects",
        json!({ "name": "Palm Residences", "location": "New Cairo, Fifth Settlement", "handover_date": handover,
                "description": "بالم ريزيدنس — برجان سكنيان في التجمع الخامس", "reservation_policy": { "default_days": 7, "max_days": 30, "hold_hours": 24 } }),
    )
    .await?;
    let mut reserved = None;
    let mut tower_a = TowerA { project: project.clone(), units: Vec::new() };
    for (tower, ar) in [("A", "أ"), ("B", "ب")] {
        let building = post("/v1/buildings", json!({ "project_id": project, "name": format!("Tower {tower}"), "floors": 5 })).await?;
        for floor in 1..=5_i64 {
            for n in 1..=4_i64 {
                let (kind, label, base, beds) = match (floor, n) {
                    (5, 4) => ("PENTHOUSE", "بنتهاوس", 950_000_000, 4),
                    (_, 1) => ("STUDIO", "استوديو", 210_000_000, 0),
                    (_, 4) => ("DUPLEX", "دوبلكس", 580_000_000, 3),
                    _ => ("APT", "شقة", 340_000_000, 2),
                };
                let code = format!("{tower}-{floor}0{n}");
                let price = base + base * 2 * (floor - 1) / 100;
                let unit = post(
                    "/v1/units",
                    json!({ "building_id": building, "code": code, "name": format!("{label} {ar}-{floor}0{n}"), "unit_type_code": kind,
                            "floor": floor, "bedrooms": beds, "bathrooms": beds.max(1), "size_sqm": 60 + 35 * beds,
                            "view": if n % 2 == 0 { "garden" } else { "pool" }, "price": price, "currency": "EGP" }),
                )
                .await?;
                let i = (floor - 1) * 4 + n;
                let status = if i % 7 == 0 {
                    Some("hold")
                } else if i % 11 == 0 {
                    Some("unavailable")
                } else {
                    None
                };
                if let Some(status) = status {
                    let resp = client
                        .patch(format!("{url}/v1/units/{unit}/status"))
                        .bearer_auth(token)
                        .json(&json!({ "status": status }))
                        .send()
                        .await
                        .map_err(|e| format!("seed: {e}"))?;
                    if !resp.status().is_success() {
                        return Err(format!("seed: PATCH /v1/units/{{id}}/status answered {}", resp.status()));
                    }
                }
                if tower == "A" && code == "A-302" {
                    reserved = Some(unit.clone());
                }
                if tower == "A" {
                    tower_a.units.push((floor, n, unit));
                }
            }
        }
    }
    post(
        "/v1/payment-plans",
        json!({ "name": "10% down, 4 years", "lines": [
            { "label": "Down payment", "percent": 10, "due": "after_reservation", "days": 0 },
            { "label": "Contract", "percent": 15, "due": "after_contract", "days": 0 },
            { "label": "Year 1", "percent": 15, "due": "after_contract", "days": 365 },
            { "label": "Year 2", "percent": 15, "due": "after_contract", "days": 730 },
            { "label": "Year 3", "percent": 15, "due": "after_contract", "days": 1095 },
            { "label": "Handover", "percent": 30, "due": "on_handover" } ] }),
    )
    .await?;
    let unit = reserved.unwrap_or_default();
    let deal = post(
        "/v1/deals",
        json!({ "name": "Bob Wilson — Palm Residences A-302", "amount": 340_000_000 + 340_000_000 * 2 * 2 / 100, "currency": "EGP",
                "contacts": [{ "id": bob, "role": "decision_maker" }], "units": [unit] }),
    )
    .await?;
    let resp = client
        .post(format!("{url}/v1/units/{unit}/reservations"))
        .bearer_auth(token)
        .json(&json!({ "contact_id": bob, "deal_id": deal, "note": "Deposit expected this week" }))
        .send()
        .await
        .map_err(|e| format!("seed: {e}"))?;
    if !resp.status().is_success() {
        return Err(format!("seed: POST /v1/units/{{id}}/reservations answered {}", resp.status()));
    }
    // The spec's example: finance approves price overrides above $5k (here EGP 250 000).
    post(
        "/v1/approvals/policies",
        json!({ "name": "Price changes over EGP 250k", "action_code": "unit.price.update", "object_type": "unit",
                "conditions": [{ "field": "change_abs", "op": "gt", "value": 25_000_000 }],
                "steps": [{ "approver_mode": "role", "approver_ref": "admin" }] }),
    )
    .await?;
    Ok(tower_a)
}

/// Palm Residences and Tower A's units, `(floor, number, id)`.
struct TowerA {
    project: String,
    units: Vec<(i64, i64, String)>,
}

/// The site plan of Palm Residences (issue 19): the operator grants the
/// demo tenant the maps, the plan is uploaded through its presigned form
/// and measured, Tower A's units are drawn on it, and it is published.
async fn site_plan(running: &RunningStack, client: &reqwest::Client, token: &str, tower_a: &TowerA) -> Result<(), String> {
    let url = &running.url;
    let call = |method: reqwest::Method, path: String, body: Option<Value>| async move {
        let mut req = client.request(method, format!("{url}{path}")).bearer_auth(token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        answered(req.send().await, &path).await
    };
    let claims = token.split('.').nth(1).and_then(|p| base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, p).ok());
    let tenant = claims.and_then(|c| serde_json::from_slice::<Value>(&c).ok()).and_then(|c| c["tid"].as_str().map(str::to_string));
    let tenant = tenant.ok_or("seed: the demo token names no tenant")?;
    let grant = client
        .put(format!("{url}/v1/ops/tenants/{tenant}/entitlements"))
        .header("x-operator-key", crate::state::operator_key(running.stack.state_dir.as_deref()))
        .json(&json!({ "features": { "maps.enabled": true, "maps.componentShapes": true, "maps.publicViews": true },
                       "limits": { "maps.overlays.max": 10, "maps.shapes.max": 500 } }))
        .send()
        .await
        .map_err(|e| format!("seed: {e}"))?;
    if !grant.status().is_success() {
        return Err(format!("seed: the maps grant answered {}", grant.status()));
    }
    let made = call(
        reqwest::Method::POST,
        "/v1/maps/overlays".into(),
        Some(json!({ "name": "Palm Residences — site plan", "project_id": tower_a.project, "file_type": "svg" })),
    )
    .await?;
    let overlay = made["data"]["overlay"]["id"].as_str().ok_or("seed: no overlay id")?.to_string();
    let form = &made["data"]["upload"];
    let mut parts = reqwest::multipart::Form::new();
    for (k, v) in form["fields"].as_object().ok_or("seed: no upload fields")? {
        parts = parts.text(k.clone(), v.as_str().unwrap_or_default().to_string());
    }
    let file = reqwest::multipart::Part::bytes(crate::site_plan::svg().into_bytes())
        .file_name("site-plan.svg")
        .mime_str("image/svg+xml")
        .map_err(|e| format!("seed: {e}"))?;
    let sent = client.post(form["url"].as_str().unwrap_or_default()).multipart(parts.part("file", file)).send().await;
    if !sent.as_ref().is_ok_and(|r| r.status().is_success()) {
        return Err(format!("seed: the site plan upload failed: {sent:?}"));
    }
    call(reqwest::Method::POST, format!("/v1/maps/overlays/{overlay}/confirm"), None).await?;
    call(reqwest::Method::POST, format!("/v1/maps/overlays/{overlay}/align"), Some(json!({ "method": "simple", "scale": 0.05 }))).await?;
    let layer =
        call(reqwest::Method::POST, format!("/v1/maps/overlays/{overlay}/layers"), Some(json!({ "name": "Tower A", "kind": "site" })))
            .await?;
    let layer = layer["data"]["id"].as_str().ok_or("seed: no layer id")?.to_string();
    for (floor, n, unit) in &tower_a.units {
        let (x, y, w, h) = crate::site_plan::tower_a_cell(*floor, *n);
        let body = json!({ "layer_id": layer, "kind": "unit", "unit_id": unit, "rectangle": { "x": x, "y": y, "width": w, "height": h } });
        call(reqwest::Method::POST, format!("/v1/maps/overlays/{overlay}/shapes"), Some(body)).await?;
    }
    let published = call(reqwest::Method::POST, format!("/v1/maps/overlays/{overlay}/publish"), None).await?;
    if let Some(view) = published["data"]["view_url"].as_str() {
        crate::state::remember_demo_map_view(running.stack.state_dir.as_deref(), view);
    }
    billing(running, client, &tenant).await
}

/// Billing (issue 20): the operator moves the demo tenant onto DevPro from
/// the first of last month; last month's usage (SMS above the 500 included,
/// WhatsApp, email) arrives in weekly batches through the internal
/// `usage-event` route; last month closes into an invoice, which is
/// finalised and paid; this month has begun with some usage too.
async fn billing(running: &RunningStack, client: &reqwest::Client, tenant: &str) -> Result<(), String> {
    use chrono::Datelike;
    let url = &running.url;
    let key = crate::state::operator_key(running.stack.state_dir.as_deref());
    let ops = |method: reqwest::Method, path: String, body: Value| {
        let (client, key) = (client.clone(), key.clone());
        async move {
            let resp = client.request(method, format!("{url}{path}")).header("x-operator-key", key).json(&body).send().await;
            answered(resp, &path).await
        }
    };
    let now = chrono::Utc::now();
    let this_month = chrono::NaiveDate::from_ymd_opt(now.year(), now.month(), 1).ok_or("seed: a month")?;
    let last_month = this_month.checked_sub_months(chrono::Months::new(1)).ok_or("seed: a month")?;
    let at = |day: chrono::NaiveDate| {
        day.and_hms_opt(12, 0, 0).map(|d| d.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)).unwrap_or_default()
    };
    ops(
        reqwest::Method::PUT,
        format!("/v1/ops/tenants/{tenant}/plan"),
        json!({ "plan": "DevPro", "effective_from": format!("{last_month}T00:00:00Z") }),
    )
    .await?;
    for week in 0..4u64 {
        let day = last_month + chrono::Days::new(1 + 7 * week);
        for (metric, quantity) in [("sms.sent", 155), ("whatsapp.sent", 30), ("email.sent", 250)] {
            let body = json!({ "tenant_id": tenant, "metric_code": metric, "quantity": quantity, "occurred_at": at(day),
                               "correlation_id": format!("demo-{last_month}-{metric}-{week}"), "metadata": { "seed": true } });
            ops(reqwest::Method::POST, "/v1/_billing/usage-event".into(), body).await?;
        }
    }
    let closed = ops(reqwest::Method::POST, "/v1/_billing/rollover".into(), json!({ "tenant_id": tenant })).await?;
    let invoice = closed["data"][0]["id"].as_str().ok_or_else(|| format!("seed: last month did not close: {closed}"))?.to_string();
    for action in ["finalize", "pay"] {
        ops(reqwest::Method::POST, format!("/v1/ops/tenants/{tenant}/invoices/{invoice}/{action}"), json!({})).await?;
    }
    // This month so far (now: always inside the open period).
    for (metric, quantity) in [("sms.sent", 42), ("email.sent", 80)] {
        let body = json!({ "tenant_id": tenant, "metric_code": metric, "quantity": quantity,
                           "correlation_id": format!("demo-{this_month}-{metric}"), "metadata": { "seed": true } });
        ops(reqwest::Method::POST, "/v1/_billing/usage-event".into(), body).await?;
    }
    Ok(())
}

/// A seed call's JSON answer, or why it failed (its path, status and body).
async fn answered(sent: reqwest::Result<reqwest::Response>, path: &str) -> Result<Value, String> {
    let resp = sent.map_err(|e| format!("seed: {e}"))?;
    let status = resp.status();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    if status.is_success() {
        Ok(body)
    } else {
        Err(format!("seed: {path} answered {status}: {body}"))
    }
}
