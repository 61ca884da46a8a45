//! The test harness: one local stack per test run (started once, in its own
//! runtime, under a unique name prefix so runs never share resources), and a
//! fresh tenant per test so tests run in parallel without seeing each other.

use std::collections::BTreeMap;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crm_auth::{AccessClaims, KeySet};
use crm_kernel::{TenantId, UserId};
use serde_json::Value;

/// The running stack, shared by every test of the binary.
pub struct TestStack {
    pub url: String,
    pub keys: KeySet,
    pub table: String,
    /// Logical id → (url, arn).
    pub queues: BTreeMap<String, (String, String)>,
    pub emulator: String,
}

static STACK: OnceLock<TestStack> = OnceLock::new();

/// The rate-limit window of the test stack.
pub const RATE_WINDOW_SECS: u64 = 10;
pub const AUTH_RATE_LIMIT: u64 = 40;
pub const OPERATOR_KEY: &str = "test-operator-key-0123456789abcdefghijklmnop";

pub fn stack() -> &'static TestStack {
    STACK.get_or_init(|| {
        crm_http::telemetry::init("e2e");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
            rt.block_on(async move {
                let prefix = format!("crm-test-{}", ulid::Ulid::new().to_string().to_lowercase());
                let mut opts = devserver::Options::new(&prefix);
                opts.bind = "127.0.0.1:0".parse().unwrap();
                opts.visibility_timeout = Some(1);
                // Jobs deliveries work 30 s each, then hand over; a crashed one is retried after 40 s.
                opts.long_visibility_timeout = Some(40);
                opts.poll_interval = Duration::from_millis(100);
                // Delivery reports only where a test asks (`reports_for`): less load.
                opts.delivery_reports = false;
                // A short rate-limit window, a tiny plan to hit it with, and
                // DevPro unthrottled for the sweeps and the fuzzer.
                opts.env_overrides = vec![
                    ("RATE_LIMIT_WINDOW_SECS".into(), RATE_WINDOW_SECS.to_string()),
                    ("RATE_LIMITS".into(), r#"{"RateTest": 5, "DevPro": 1000000}"#.into()),
                    ("AUTH_RATE_LIMIT".into(), AUTH_RATE_LIMIT.to_string()),
                    ("AUTH_RATE_WINDOW_SECS".into(), RATE_WINDOW_SECS.to_string()),
                    ("OPERATOR_KEY".into(), OPERATOR_KEY.into()),
                    ("NOTIFY_RETRY_DELAYS_SECS".into(), "1,1,1".into()),
                    // The first delivery of an import dies after 4 000 rows (imports::ten_thousand_rows…).
                    ("FAULT_IMPORT_CRASH_AFTER_ROWS".into(), "4000".into()),
                    // …and a map shapes import's after 150 features (maps::a_geojson_file_…).
                    ("FAULT_IMPORT_CRASH_AFTER_FEATURES".into(), "150".into()),
                    ("JOB_RUN_BUDGET_SECS".into(), "30".into()),
                ];
                match devserver::start(opts.clone()).await {
                    Err(e) => tx.send(Err(e)).unwrap(),
                    Ok(running) => {
                        let s = &running.stack;
                        let info = TestStack {
                            url: running.url.clone(),
                            keys: s.keys.clone(),
                            table: s.provisioned.tables.values().next().cloned().unwrap_or_default(),
                            queues: s.provisioned.queues.iter().map(|(k, q)| (k.clone(), (q.url.clone(), q.arn.clone()))).collect(),
                            emulator: opts.emulator.clone(),
                        };
                        tx.send(Ok(info)).unwrap();
                        // Keep the stack (server and pollers) alive for the whole run.
                        let _keep = running;
                        std::future::pending::<()>().await;
                    }
                }
            });
        });
        match rx.recv().expect("stack thread") {
            Ok(s) => s,
            Err(e) => panic!("the local stack did not start: {e}"),
        }
    })
}

fn now() -> i64 {
    chrono_now()
}

fn chrono_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

/// A tenant of its own and a user in it, with an HTTP client.
pub struct TestApp {
    pub url: String,
    pub tenant: TenantId,
    pub user: UserId,
    /// The session the token belongs to (every access token has one).
    pub session: String,
    pub token: String,
    pub http: reqwest::Client,
}

impl TestApp {
    /// A new tenant whose user has `roles` (written straight to the table:
    /// a fixture, not a sign-up, so a test costs no password hashing).
    pub async fn with_roles(roles: &[&str]) -> Self {
        Self::with_plan(roles, "DevFree").await
    }

    /// A new tenant on `plan`, whose user has `roles`.
    pub async fn with_plan(roles: &[&str], plan: &str) -> Self {
        let tenant = TenantId::new();
        let store = fixture_store().await;
        let t = identity::model::Tenant {
            id: tenant,
            name: "Test tenant".into(),
            status: identity::model::TenantStatus::Active,
            plan: plan.into(),
            restricted_from: None,
            created_at: crm_kernel::Timestamp::now(),
            version: 1,
        };
        store.put(t.to_item().unwrap()).await.unwrap();
        Self::user_in(tenant, roles).await
    }

    pub async fn admin() -> Self {
        Self::with_roles(&["admin"]).await
    }

    /// Another user of the same tenant.
    pub async fn colleague(&self, roles: &[&str]) -> Self {
        Self::user_in(self.tenant, roles).await
    }

    async fn user_in(tenant: TenantId, roles: &[&str]) -> Self {
        let s = stack();
        let user = UserId::new();
        let email = identity::email::Email::parse(&format!("{}@fixture.example.com", user.to_string().to_lowercase())).unwrap();
        let role_list = roles.iter().map(|r| r.to_string()).collect();
        let mut u =
            identity::model::User::new(user, tenant, email, String::new(), "Fixture User".into(), role_list, crm_kernel::Timestamp::now());
        u.is_verified = true;
        fixture_store().await.put(u.to_item().unwrap()).await.unwrap();
        // The seat the user holds, as the identity routes would count it.
        let usage = crm_store::keys::usage(tenant);
        aws_sdk_dynamodb::Client::new(&sdk().await)
            .update_item()
            .table_name(&s.table)
            .key("pk", aws_sdk_dynamodb::types::AttributeValue::S(usage.pk))
            .key("sk", aws_sdk_dynamodb::types::AttributeValue::S(usage.sk))
            .update_expression("ADD seats_used :one")
            .expression_attribute_values(":one", aws_sdk_dynamodb::types::AttributeValue::N("1".into()))
            .send()
            .await
            .unwrap();
        let session = session_for(tenant, user).await;
        let token = mint(&s.keys, tenant, user, Some(&session), roles, 900);
        Self { url: s.url.clone(), tenant, user, session, token, http: reqwest::Client::new() }
    }

    /// The same user in a new session (after one that ended, say a suspension).
    pub async fn relogin(&self) -> Self {
        let s = stack();
        let session = session_for(self.tenant, self.user).await;
        let token = mint(&s.keys, self.tenant, self.user, Some(&session), &[], 900);
        Self { url: self.url.clone(), tenant: self.tenant, user: self.user, session, token, http: reqwest::Client::new() }
    }

    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.get(format!("{}{path}", self.url)).bearer_auth(&self.token)
    }

    pub fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.post(format!("{}{path}", self.url)).bearer_auth(&self.token)
    }

    /// Any method on `path`, with the token.
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, format!("{}{path}", self.url)).bearer_auth(&self.token)
    }

    /// `GET path` and its JSON body.
    pub async fn get_json(&self, path: &str) -> Value {
        self.get(path).send().await.unwrap().json().await.unwrap()
    }

    pub async fn create_note(&self, body: &str) -> Value {
        let resp = self.post("/v1/notes").json(&serde_json::json!({ "body": body })).send().await.unwrap();
        assert_eq!(resp.status(), 201, "create note");
        resp.json::<Value>().await.unwrap()["data"].clone()
    }

    /// The tenant's activity feed today.
    pub async fn feed(&self) -> Vec<Value> {
        let body = self.get_json("/v1/activity?limit=100").await;
        body["data"].as_array().cloned().unwrap_or_default()
    }
}

/// Makes the fake providers report deliveries to `to` back to our webhooks.
pub async fn reports_for(to: &str) {
    let resp = reqwest::Client::new()
        .post(format!("{}/_local/fake/reports", stack().url))
        .json(&serde_json::json!({ "to": to }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

/// Sends `req` and reads its JSON body (whatever the status).
/// The status and JSON body (or null) of a request.
pub async fn send(req: reqwest::RequestBuilder) -> (u16, Value) {
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// The fields a validation error names, in order.
pub fn error_fields(body: &Value) -> Vec<String> {
    body["error"]["details"]
        .as_array()
        .map(|d| d.iter().map(|x| x["field"].as_str().unwrap_or_default().to_string()).collect())
        .unwrap_or_default()
}

pub async fn body_of(req: reqwest::RequestBuilder) -> Value {
    req.send().await.unwrap().json().await.unwrap()
}

/// What the `dev` provider adapter recorded for `to` (an email or an E.164 number), newest first.
pub async fn mailbox(to: &str) -> Vec<Value> {
    let url = format!("{}/_local/mailbox?to={}", stack().url, to.replace('+', "%2B"));
    let body: Value = reqwest::get(url).await.unwrap().json().await.unwrap();
    body["messages"].as_array().cloned().unwrap_or_default()
}

/// The 6-digit code of the newest message to `to` with `template`, once
/// delivered, skipping the codes in `seen` (earlier sends).
pub async fn code_sent_to(to: &str, template: &str, seen: &[String]) -> String {
    eventually(&format!("{template} code to {to}"), crate::helpers::PIPELINE, || async {
        mailbox(to).await.iter().filter(|m| m["template_code"] == template).find_map(|m| {
            let body = m["body"].as_str()?;
            let code: String = body
                .split_whitespace()
                .find(|w| w.trim_end_matches('.').len() == 6 && w.trim_end_matches('.').bytes().all(|b| b.is_ascii_digit()))?
                .trim_end_matches('.')
                .to_string();
            (!seen.contains(&code)).then_some(code)
        })
    })
    .await
}

/// The token of the newest message to `to` with `template`, once delivered.
pub async fn token_from_mail(to: &str, template: &str) -> String {
    eventually(&format!("{template} mail to {to}"), crate::helpers::PIPELINE, || async {
        let mailbox: Value = reqwest::get(format!("{}/_local/mailbox?to={to}", stack().url)).await.ok()?.json().await.ok()?;
        let body = mailbox["messages"].as_array()?.iter().find(|m| m["template_code"] == template)?["body"].as_str()?.to_string();
        let start = body.find("token=")? + "token=".len();
        Some(body[start..].split_whitespace().next()?.to_string())
    })
    .await
}

/// Follows the verification link a sign-up mailed to `email`, as its owner
/// would: administration waits for a verified email (`AUTH_EMAIL_UNVERIFIED`).
pub async fn verify_email(email: &str) {
    let token = token_from_mail(email, "auth.verify_email").await;
    let resp = reqwest::Client::new()
        .post(format!("{}/v1/auth/verify-email", stack().url))
        .json(&serde_json::json!({ "token": token }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "verify {email}");
}

/// Uploads `bytes` with the presigned `POST` form an API answered (`upload`:
/// `{url, fields, …}`), as a browser would: the fields, then the file.
/// Answers the storage's status and body.
pub async fn upload(form: &Value, bytes: Vec<u8>, content_type: &str) -> (u16, String) {
    let mut parts = reqwest::multipart::Form::new();
    for (k, v) in form["fields"].as_object().expect("upload fields") {
        parts = parts.text(k.clone(), v.as_str().unwrap_or_default().to_string());
    }
    let file = reqwest::multipart::Part::bytes(bytes).file_name("upload").mime_str(content_type).unwrap();
    let resp =
        reqwest::Client::new().post(form["url"].as_str().expect("upload url")).multipart(parts.part("file", file)).send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap_or_default())
}

/// A phone number no other test uses.
pub fn unique_phone() -> String {
    let n = ulid::Ulid::new().random() % 100_000_000;
    format!("+2010{n:08}")
}

/// The stack's table, for fixtures and checks behind the API.
pub async fn fixture_store() -> crm_store::Store {
    crm_store::Store::new(
        aws_sdk_dynamodb::Client::new(&sdk().await),
        stack().table.clone(),
        crm_store::CursorCodec::new(b"fixture-cursor-secret-0123456789"),
    )
}

/// A session item for `user`, as a login would write it (a fixture: no
/// password work); its id, for the `sid` of minted tokens.
pub async fn session_for(tenant: TenantId, user: UserId) -> String {
    let now = crm_kernel::Timestamp::now();
    let session = identity::model::Session {
        id: crm_kernel::EntityId::new(),
        tenant_id: tenant,
        user_id: user,
        current_hash: "0".repeat(64),
        previous_hashes: Vec::new(),
        created_at: now,
        last_used_at: now,
        expires_at: now.plus_seconds(3600),
        revoked_at: None,
        revoked_reason: None,
        user_agent: "fixture".into(),
        ip: "127.0.0.1".into(),
        version: 1,
    };
    fixture_store().await.put(session.to_item().unwrap()).await.unwrap();
    session.id.to_string()
}

/// An access token signed with the stack's key, for session `sid`.
pub fn mint(keys: &KeySet, tenant: TenantId, user: UserId, sid: Option<&str>, roles: &[&str], ttl: i64) -> String {
    let mut claims = AccessClaims::new(&tenant.to_string(), &user.to_string(), roles.iter().map(|r| r.to_string()).collect(), now());
    claims.exp = now() + ttl;
    claims.sid = sid.map(str::to_string);
    keys.signer().unwrap().sign(&claims).unwrap()
}

/// How long a check may wait for work that crosses the asynchronous
/// pipeline — the outbox stream, EventBridge, a queue, a worker, a provider
/// fake — on the one emulator all tests share, while a 10 000-row import
/// runs beside them. A passing check returns as soon as it passes.
pub const PIPELINE: Duration = Duration::from_secs(90);

/// Every message the notifications core queued for the tenant, read from
/// the table (all pages). Messages are written in the transaction that
/// causes them, so what is absent here was never sent.
pub async fn queued_messages(tenant: TenantId) -> Vec<crm_notify::messages::Message> {
    let store = fixture_store().await;
    let (mut all, mut cursor) = (Vec::new(), None);
    loop {
        let q =
            crm_store::Query::index(tenant, crm_store::Index::ByKind, crm_store::keys::by_kind_pk(tenant, crm_notify::messages::MESSAGE))
                .limit(crm_kernel::Limit::max())
                .after(cursor);
        let page = store.query(q).await.unwrap();
        all.extend(page.items.into_iter().map(|i| crm_store::item::from_item(i).unwrap()));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return all,
        }
    }
}

/// Whether a message has reached a status no worker changes again.
pub fn settled(m: &crm_notify::messages::Message) -> bool {
    !matches!(m.status, crm_notify::messages::MessageStatus::Queued)
}

/// Polls `check` until it returns `Some`, or fails after `timeout`.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(v) = check().await {
            return v;
        }
        if start.elapsed() > timeout {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

/// SDK clients on the emulator, for checks behind the API.
pub async fn sdk() -> aws_config::SdkConfig {
    let s = stack();
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(&s.emulator)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_sqs::config::Credentials::new("test", "test", None, None, "tests"))
        .load()
        .await
}

/// What an EventBridge rule delivers to an SQS target, for `event`.
pub fn bridge_message(event: &crm_events::DomainEvent) -> String {
    serde_json::json!({
        "version": "0", "id": ulid::Ulid::new().to_string(), "detail-type": event.event_type, "source": "crm",
        "account": "123456789012", "time": event.occurred_at.to_string(), "region": "us-east-1", "resources": [], "detail": event,
    })
    .to_string()
}

/// The stack's queue `logical` (its logical id in template.yaml): url and arn.
pub fn queue(logical: &str) -> (String, String) {
    stack().queues.get(logical).cloned().unwrap_or_else(|| panic!("queue {logical}"))
}

/// Waits until the queue at `url` holds nothing, visible or in flight: what
/// was sent to it has been consumed.
pub async fn drained(url: &str) {
    use aws_sdk_sqs::types::QueueAttributeName as A;
    let sqs = aws_sdk_sqs::Client::new(&sdk().await);
    eventually("the queue to drain", PIPELINE, || async {
        let attrs = sqs.get_queue_attributes().queue_url(url).attribute_names(A::All).send().await.ok()?;
        let a = attrs.attributes()?;
        let n = |k: A| a.get(&k).and_then(|v| v.parse::<i64>().ok()).unwrap_or(1);
        (n(A::ApproximateNumberOfMessages) == 0 && n(A::ApproximateNumberOfMessagesNotVisible) == 0).then_some(())
    })
    .await;
}
