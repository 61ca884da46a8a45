//! `make bench-calls` — DynamoDB calls per request on the main routes, the
//! cost model of the API (each call is billed and adds latency). It starts
//! the local stack against the emulator with the demo tenant, drives the
//! routes over HTTP, and reads the calls the dev server counted for the
//! authorizer and the function (`x-local-ddb-authorizer`,
//! `x-local-ddb-function`). Prints a Markdown table for the README.

use std::time::Duration;

use serde_json::{json, Value};

struct Client {
    http: reqwest::Client,
    url: String,
    token: String,
}

struct Row {
    route: String,
    status: u16,
    authorizer: String,
    function: String,
    total: u32,
}

impl Client {
    async fn call(&self, rows: &mut Vec<Row>, route: &str, path: &str, body: Option<Value>) -> Value {
        let (method, _) = route.split_once(' ').expect("METHOD /path");
        let mut req = self.http.request(method.parse().expect("method"), format!("{}{path}", self.url)).bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        let header = |n: &str| resp.headers().get(n).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        let (authorizer, function) = (header("x-local-ddb-authorizer"), header("x-local-ddb-function"));
        let total = [&authorizer, &function]
            .iter()
            .flat_map(|s| s.split_whitespace())
            .filter_map(|kv| kv.split_once('=').and_then(|(_, n)| n.parse::<u32>().ok()))
            .sum();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        rows.push(Row { route: route.to_string(), status, authorizer, function, total });
        body
    }
}

fn id(v: &Value) -> String {
    v["data"]["id"].as_str().unwrap_or_else(|| panic!("no id in {v}")).to_string()
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let prefix = format!("crm-bench-{}", chrono::Utc::now().timestamp());
    let mut opts = devserver::Options::new(&prefix);
    opts.bind = "127.0.0.1:0".parse().expect("addr");
    opts.poll_interval = Duration::from_millis(200);
    let running = devserver::start(opts).await?;
    let token = devserver::seed::demo_token(&running.url).await?;
    let c = Client { http: reqwest::Client::new(), url: running.url.clone(), token };
    let mut rows = Vec::new();
    let r = &mut rows;

    let company = id(&c
        .call(r, "POST /v1/companies", "/v1/companies", Some(json!({"name": "Initech", "domain": "initech.example", "city": "Giza"})))
        .await);
    c.call(r, "GET /v1/companies?search=", "/v1/companies?search=init", None).await;
    c.call(r, "GET /v1/companies/{id}", &format!("/v1/companies/{company}"), None).await;
    c.call(r, "PATCH /v1/companies/{id}", &format!("/v1/companies/{company}"), Some(json!({"status": "inactive"}))).await;
    let contact = id(&c
        .call(r, "POST /v1/contacts", "/v1/contacts", Some(json!({"first_name": "Peter", "last_name": "Gibbons", "email": "peter@initech.example", "phone": "+201001112233", "company_id": company})))
        .await);
    let other = id(&c
        .call(
            r,
            "POST /v1/contacts",
            "/v1/contacts",
            Some(json!({"first_name": "Peter", "last_name": "G.", "email": "pg@initech.example"})),
        )
        .await);
    c.call(r, "GET /v1/contacts", "/v1/contacts", None).await;
    c.call(r, "GET /v1/contacts?search=", "/v1/contacts?search=gibb", None).await;
    c.call(r, "GET /v1/contacts?company=", &format!("/v1/contacts?company={company}"), None).await;
    c.call(r, "GET /v1/contacts/{id}", &format!("/v1/contacts/{contact}"), None).await;
    c.call(r, "PATCH /v1/contacts/{id}", &format!("/v1/contacts/{contact}"), Some(json!({"job_title": "Engineer"}))).await;
    c.call(
        r,
        "POST /v1/contacts/{id}/channels",
        &format!("/v1/contacts/{contact}/channels"),
        Some(json!({"type": "whatsapp", "value": "+201001112233"})),
    )
    .await;
    c.call(
        r,
        "POST /v1/contacts/dedupe/check",
        "/v1/contacts/dedupe/check",
        Some(json!({"first_name": "Peter", "email": "peter@initech.example"})),
    )
    .await;
    c.call(r, "POST /v1/contacts/merge", "/v1/contacts/merge", Some(json!({"target_id": contact, "source_id": other}))).await;
    let subject = json!({"type": "contact", "id": contact});
    let task = id(&c
        .call(
            r,
            "POST /v1/tasks",
            "/v1/tasks",
            Some(json!({"title": "Fix the TPS reports", "due_at": "2026-12-01T09:00:00Z", "related": subject})),
        )
        .await);
    c.call(r, "GET /v1/tasks?owner=me", "/v1/tasks?owner=me", None).await;
    c.call(r, "POST /v1/tasks/{id}/complete", &format!("/v1/tasks/{task}/complete"), None).await;
    c.call(
        r,
        "POST /v1/activities",
        "/v1/activities",
        Some(json!({"type": "call", "title": "Intro call", "started_at": "2026-11-20T10:00:00Z", "subject": subject})),
    )
    .await;
    c.call(r, "POST /v1/notes", "/v1/notes", Some(json!({"body": "Likes staplers", "subject": subject}))).await;
    c.call(r, "GET /v1/timeline", &format!("/v1/timeline?subject_type=contact&subject_id={contact}"), None).await;
    c.call(r, "POST /v1/notify/dispatch", "/v1/notify/dispatch", Some(json!({"channel": "email", "to": "peter@initech.example", "template_code": "task.assigned", "payload": {"title": "t", "due": "d", "priority": "p"}}))).await;
    c.call(r, "GET /v1/approvals/requests?for=me", "/v1/approvals/requests?for=me", None).await;
    c.call(r, "GET /v1/admin/groups", "/v1/admin/groups", None).await;
    // Deals and leads.
    let made = c.call(r, "POST /v1/pipelines", "/v1/pipelines", Some(json!({"name": "Bench"}))).await;
    let pipeline = id(&made);
    let stage = made["data"]["stages"][1]["id"].clone();
    c.call(r, "GET /v1/pipelines", "/v1/pipelines", None).await;
    let deal = id(&c
        .call(r, "POST /v1/deals", "/v1/deals", Some(json!({"name": "Initech seats", "amount": 2_500_000, "contacts": [{"id": contact, "role": "decision_maker"}], "companies": [{"id": company, "role": "primary"}]})))
        .await);
    c.call(r, "GET /v1/pipelines/{id}/board", &format!("/v1/pipelines/{pipeline}/board"), None).await;
    c.call(r, "GET /v1/deals?stage=", &format!("/v1/deals?stage={}", stage.as_str().unwrap_or_default()), None).await;
    c.call(r, "GET /v1/deals?contact=", &format!("/v1/deals?contact={contact}"), None).await;
    c.call(r, "POST /v1/deals/{id}/move-stage", &format!("/v1/deals/{deal}/move-stage"), Some(json!({"stage_id": stage}))).await;
    c.call(r, "PATCH /v1/deals/{id}", &format!("/v1/deals/{deal}"), Some(json!({"amount": 2_600_000}))).await;
    c.call(r, "GET /v1/pipelines/{id}/forecast", &format!("/v1/pipelines/{pipeline}/forecast"), None).await;
    let lead = id(&c
        .call(
            r,
            "POST /v1/leads",
            "/v1/leads",
            Some(json!({"first_name": "Milton", "email": "milton@initech.example", "company_name": "Initech"})),
        )
        .await);
    c.call(r, "GET /v1/leads?status=", "/v1/leads?status=new", None).await;
    c.call(r, "POST /v1/leads/{id}/convert", &format!("/v1/leads/{lead}/convert"), Some(json!({"deal": {"amount": 100_000}}))).await;
    // Inventory.
    let project = id(&c.call(r, "POST /v1/projects", "/v1/projects", Some(json!({"name": "Bench Heights"}))).await);
    let building = id(&c.call(r, "POST /v1/buildings", "/v1/buildings", Some(json!({"project_id": project, "name": "Tower 1"}))).await);
    let unit = id(&c
        .call(
            r,
            "POST /v1/units",
            "/v1/units",
            Some(json!({"building_id": building, "code": "T1-101", "unit_type_code": "APT", "price": 300_000_000, "currency": "EGP"})),
        )
        .await);
    c.call(
        r,
        "GET /v1/units?project=&status=&type=",
        &format!("/v1/units?project={project}&status=available&type=APT&max_price=400000000"),
        None,
    )
    .await;
    c.call(r, "POST /v1/units/{id}/price", &format!("/v1/units/{unit}/price"), Some(json!({"price": 310_000_000}))).await;
    c.call(r, "POST /v1/units/{id}/reservations", &format!("/v1/units/{unit}/reservations"), Some(json!({"kind": "courtesy_hold"}))).await;
    c.call(r, "GET /v1/units/{id}", &format!("/v1/units/{unit}"), None).await;
    c.call(r, "GET /v1/projects/{id}/availability", &format!("/v1/projects/{project}/availability"), None).await;

    println!("| route | status | authorizer | function | total |\n|---|---|---|---|---|");
    for row in &rows {
        println!("| `{}` | {} | {} | {} | {} |", row.route, row.status, row.authorizer, row.function, row.total);
    }
    // The rate limit's cost: the authorizer's writes over every request (ADR 0019).
    let writes: u32 = rows
        .iter()
        .flat_map(|r| r.authorizer.split_whitespace())
        .filter_map(|kv| kv.strip_prefix("UpdateItem=").and_then(|n| n.parse::<u32>().ok()))
        .sum();
    println!(
        "\nauthorizer writes (rate limiting): {writes} over {} requests = {:.2} a request",
        rows.len(),
        f64::from(writes) / rows.len() as f64
    );
    Ok(())
}
