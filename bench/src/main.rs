//! Cold-start bench (`make bench`): starts each release-built function binary
//! against a local Lambda Runtime API and reports
//!
//! * init: process exec → first `GET /runtime/invocation/next`,
//! * first and warm invocation latency (event handed out → response posted),
//! * peak RSS (`VmHWM`) and binary size.
//!
//! Invocations make no AWS calls (public health route, a request refused
//! before any I/O, a token verification, a filtered stream batch): the figures
//! are our code plus the runtime, not the network. Then the per-call cost of
//! Argon2id hashing/verification and access-token signing/verification. One
//! case starts a function as deployed, its secrets named in the environment
//! and read from (a local) Secrets Manager: the cold-start cost of keeping
//! values out of the configuration. Targets (the performance budget of the
//! architecture, also in the README):
//! init ≤ 15 ms, RSS ≤ 32 MB, zipped package ≤ 6 MB.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::Router;
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

const WARM_INVOCATIONS: usize = 200;
const COLD_STARTS: usize = 5;

/// Median init and first-invocation latency over the cold starts, warm
/// percentiles over all warm invocations, the highest peak RSS.
fn summarise(mut runs: Vec<Figures>) -> Figures {
    let n = runs.len();
    runs.sort_by_key(|f| f.init);
    let init = runs[n / 2].init;
    runs.sort_by_key(|f| f.first);
    let first = runs[n / 2].first;
    let mut warm: Vec<Duration> = runs.iter().flat_map(|f| f.warm.iter().copied()).collect();
    warm.sort();
    Figures {
        init,
        first,
        p50: warm[warm.len() / 2],
        p99: warm[warm.len() * 99 / 100],
        rss_kb: runs.iter().map(|f| f.rss_kb).max().unwrap_or(0),
        size: runs[0].size,
        warm,
    }
}

#[derive(Default)]
struct Runtime {
    /// Secret id → value, served as Secrets Manager's `GetSecretValue`.
    secrets: HashMap<String, String>,
    first_next: Mutex<Option<Instant>>,
    next: tokio::sync::Mutex<Option<mpsc::Receiver<(String, Value)>>>,
    pending: Mutex<HashMap<String, oneshot::Sender<Result<String, String>>>>,
}

async fn next(State(rt): State<Arc<Runtime>>) -> (StatusCode, HeaderMap, String) {
    rt.first_next.lock().unwrap().get_or_insert_with(Instant::now);
    let mut guard = rt.next.lock().await;
    let Some(rx) = guard.as_mut() else { return (StatusCode::INTERNAL_SERVER_ERROR, HeaderMap::new(), String::new()) };
    match rx.recv().await {
        None => {
            // Bench over: keep the function parked until it is killed.
            std::future::pending::<()>().await;
            unreachable!()
        }
        Some((id, event)) => {
            let mut headers = HeaderMap::new();
            headers.insert("lambda-runtime-aws-request-id", id.parse().unwrap());
            let deadline = chrono::Utc::now().timestamp_millis() + 30_000;
            headers.insert("lambda-runtime-deadline-ms", deadline.to_string().parse().unwrap());
            headers.insert("lambda-runtime-invoked-function-arn", "arn:aws:lambda:us-east-1:123456789012:function:bench".parse().unwrap());
            headers.insert("lambda-runtime-trace-id", "Root=1-00000000-000000000000000000000000;Sampled=0".parse().unwrap());
            (StatusCode::OK, headers, event.to_string())
        }
    }
}

async fn response(State(rt): State<Arc<Runtime>>, Path(id): Path<String>, body: String) -> StatusCode {
    if let Some(tx) = rt.pending.lock().unwrap().remove(&id) {
        let _ = tx.send(Ok(body));
    }
    StatusCode::ACCEPTED
}

async fn error(State(rt): State<Arc<Runtime>>, Path(id): Path<String>, body: String) -> StatusCode {
    if let Some(tx) = rt.pending.lock().unwrap().remove(&id) {
        let _ = tx.send(Err(body));
    }
    StatusCode::ACCEPTED
}

/// Secrets Manager's `GetSecretValue` (JSON 1.1 protocol) on the same local
/// server: what a function's cold start pays to read its secrets, one round
/// trip per secret, without a network in between.
async fn secrets_manager(State(rt): State<Arc<Runtime>>, headers: HeaderMap, body: String) -> (StatusCode, String) {
    let target = headers.get("x-amz-target").and_then(|v| v.to_str().ok()).unwrap_or_default();
    let id = serde_json::from_str::<Value>(&body).ok().and_then(|v| v["SecretId"].as_str().map(str::to_string)).unwrap_or_default();
    match (target, rt.secrets.get(&id)) {
        ("secretsmanager.GetSecretValue", Some(value)) => (
            StatusCode::OK,
            serde_json::json!({ "ARN": format!("arn:aws:secretsmanager:us-east-1:123456789012:secret:{id}"), "Name": id, "SecretString": value, "VersionId": "v1" })
                .to_string(),
        ),
        _ => (StatusCode::BAD_REQUEST, r#"{"__type":"ResourceNotFoundException","message":"no such secret"}"#.to_string()),
    }
}

async fn init_error(body: String) -> StatusCode {
    eprintln!("init error: {body}");
    StatusCode::ACCEPTED
}

struct Case {
    function: &'static str,
    binary: &'static str,
    /// `{runtime}` in a value is the local server's address.
    env: Vec<(&'static str, String)>,
    /// Secrets the local Secrets Manager serves to this case.
    secrets: Vec<(&'static str, String)>,
    event: Value,
    expect: &'static str,
}

struct Figures {
    init: Duration,
    first: Duration,
    p50: Duration,
    p99: Duration,
    rss_kb: u64,
    size: u64,
    warm: Vec<Duration>,
}

fn peak_rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

async fn run(case: &Case, bin_dir: &std::path::Path) -> Result<Figures, String> {
    let (tx, rx) = mpsc::channel(1);
    let rt = Arc::new(Runtime { secrets: case.secrets.iter().map(|(k, v)| (k.to_string(), v.clone())).collect(), ..Runtime::default() });
    *rt.next.lock().await = Some(rx);
    let app = Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route("/2018-06-01/runtime/invocation/{id}/response", post(response))
        .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
        .route("/2018-06-01/runtime/init/error", post(init_error))
        .route("/", post(secrets_manager))
        .with_state(rt.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let path = bin_dir.join(case.binary);
    let size =
        std::fs::metadata(&path).map_err(|e| format!("{}: {e} (run `make bench`, which builds release binaries)", path.display()))?.len();
    let mut cmd = tokio::process::Command::new(&path);
    cmd.env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", addr.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", case.function)
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "bench")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "bench")
        .env("AWS_SECRET_ACCESS_KEY", "bench")
        .env("RUST_LOG", "error")
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true);
    for (k, v) in &case.env {
        cmd.env(k, v.replace("{runtime}", &addr.to_string()));
    }
    let started = Instant::now();
    let mut child = cmd.spawn().map_err(|e| e.to_string())?;
    let pid = child.id().unwrap_or(0);

    let deadline = Instant::now() + Duration::from_secs(10);
    let init = loop {
        if let Some(t) = *rt.first_next.lock().unwrap() {
            break t - started;
        }
        if Instant::now() > deadline {
            return Err(format!("{}: never polled /next", case.function));
        }
        tokio::time::sleep(Duration::from_micros(200)).await;
    };

    let mut latencies = Vec::with_capacity(WARM_INVOCATIONS + 1);
    for i in 0..=WARM_INVOCATIONS {
        let id = format!("req-{i}");
        let (otx, orx) = oneshot::channel();
        rt.pending.lock().unwrap().insert(id.clone(), otx);
        let t = Instant::now();
        tx.send((id, case.event.clone())).await.map_err(|e| e.to_string())?;
        let out = tokio::time::timeout(Duration::from_secs(10), orx)
            .await
            .map_err(|_| format!("{}: no response", case.function))?
            .map_err(|e| e.to_string())?;
        latencies.push(t.elapsed());
        let body = out.map_err(|e| format!("{}: invocation error {e}", case.function))?;
        if i == 0 && !body.contains(case.expect) {
            return Err(format!("{}: unexpected response {body}", case.function));
        }
    }
    let rss_kb = peak_rss_kb(pid);
    let _ = child.kill().await;
    server.abort();
    let first = latencies[0];
    let mut warm: Vec<Duration> = latencies[1..].to_vec();
    warm.sort();
    Ok(Figures { init, first, p50: warm[warm.len() / 2], p99: warm[warm.len() * 99 / 100], rss_kb, size, warm })
}

/// Size of the binary compressed (what a zipped package weighs, roughly).
fn gzip_size(path: &std::path::Path) -> u64 {
    std::process::Command::new("gzip").args(["-c", "-6"]).arg(path).output().map(|o| o.stdout.len() as u64).unwrap_or(0)
}

fn event(root: &std::path::Path, name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(root.join("events").join(name)).expect("sample event")).expect("json")
}

#[tokio::main]
async fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let target = std::env::var("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|_| root.join("target"));
    let bin_dir = target.join("release");

    let keys = crm_auth::KeySet::generate("bench").unwrap();
    // Without credentials: the authorizer answers before any I/O (a valid
    // token costs one BatchGetItem; the token verification itself is timed below).
    let mut auth_event = event(&root, "authorizer-request.json");
    auth_event["headers"].as_object_mut().unwrap().remove("authorization");
    let mut refused = event(&root, "apigw-notes-post.json");
    refused["requestContext"].as_object_mut().unwrap().remove("authorizer");
    let mut filtered = event(&root, "dynamodb-stream-outbox.json");
    filtered["Records"][0]["eventName"] = Value::String("MODIFY".into());

    // An identity route without credentials: answered 401 before any I/O
    // (a login would first count the client IP in the table).
    let mut bad_login = event(&root, "apigw-health-get.json");
    bad_login["routeKey"] = Value::String("GET /v1/admin/users".into());
    bad_login["rawPath"] = Value::String("/v1/admin/users".into());
    bad_login["requestContext"]["routeKey"] = Value::String("GET /v1/admin/users".into());
    bad_login["requestContext"]["http"]["method"] = Value::String("GET".into());
    bad_login["requestContext"].as_object_mut().unwrap().remove("authorizer");

    // A notifications route without credentials (401 before any I/O), in a
    // function configured as deployed, with both providers and the mailbox
    // sealer: those are built on first use, by the worker, not at this start.
    let mut templates = bad_login.clone();
    templates["routeKey"] = Value::String("GET /v1/notify/templates".into());
    templates["requestContext"]["routeKey"] = Value::String("GET /v1/notify/templates".into());
    templates["rawPath"] = Value::String("/v1/notify/templates".into());

    let common = [
        ("TABLE_NAME", "crm-bench".to_string()),
        ("EVENT_BUS_NAME", "crm-bench".to_string()),
        ("CURSOR_SECRET", "bench-cursor-secret-0123456789abcdef".to_string()),
        ("QUEUE_URLS", "{}".to_string()),
        ("AWS_ENDPOINT_URL", "http://127.0.0.1:9".to_string()),
    ];
    let with = |extra: Vec<(&'static str, String)>| common.iter().cloned().chain(extra).collect::<Vec<_>>();
    let cases = vec![
        Case {
            function: "AuthorizerFunction",
            binary: "authorizer",
            env: with(vec![("JWT_PUBLIC_KEYS", keys.public_keys_json())]),
            event: auth_event,
            expect: "missing_credentials",
            secrets: vec![],
        },
        Case {
            function: "HealthFunction",
            binary: "platform",
            env: with(vec![]),
            event: event(&root, "apigw-health-get.json"),
            expect: "200",
            secrets: vec![],
        },
        Case { function: "NotesCreateFunction", binary: "activities", env: with(vec![]), event: refused, expect: "401", secrets: vec![] },
        Case {
            function: "UsersListFunction",
            binary: "identity",
            env: with(vec![("JWT_SIGNING_KEYS", serde_json::to_string(&keys).unwrap())]),
            event: bad_login.clone(),
            expect: "401",
            secrets: vec![],
        },
        // The same function as deployed: its secrets by name, read from Secrets Manager at start-up.
        Case {
            function: "UsersListFunction (secrets from Secrets Manager)",
            binary: "identity",
            env: common
                .iter()
                .filter(|(k, _)| *k != "CURSOR_SECRET")
                .cloned()
                .chain([
                    ("SECRET_REF_CURSOR_SECRET", "bench-app#cursor_secret".to_string()),
                    ("SECRET_REF_JWT_SIGNING_KEYS", "bench-jwt-signing-keys".to_string()),
                    ("AWS_ENDPOINT_URL_SECRETS_MANAGER", "http://{runtime}".to_string()),
                ])
                .collect(),
            event: bad_login,
            expect: "401",
            secrets: vec![
                ("bench-app", serde_json::json!({ "cursor_secret": "bench-cursor-secret-0123456789abcdef" }).to_string()),
                ("bench-jwt-signing-keys", serde_json::to_string(&keys).unwrap()),
            ],
        },
        Case {
            function: "NotifyTemplatesListFunction (providers configured)",
            binary: "notifications",
            env: with(vec![
                ("EMAIL_PROVIDER", "brevo".into()),
                ("BREVO_API_KEY", "bench-brevo-key-0123456789abcdef".into()),
                ("EMAIL_SENDER", "no-reply@bench.example".into()),
                ("SMS_PROVIDER", "infobip".into()),
                ("INFOBIP_API_KEY", "bench-infobip-key-0123456789abcdef".into()),
                ("INFOBIP_SMS_FROM", "Bench".into()),
                ("INFOBIP_BASE_URL", "https://bench.api.infobip.com".into()),
                ("TOKEN_ENCRYPTION_KEY", "bench-token-encryption-key-0123456789abcdef".into()),
            ]),
            event: templates,
            expect: "401",
            secrets: vec![],
        },
        Case {
            function: "OutboxPublisherFunction",
            binary: "outbox",
            env: with(vec![]),
            event: filtered,
            expect: "batchItemFailures",
            secrets: vec![],
        },
    ];

    println!("| function | binary | size (gzip) | init (median of {COLD_STARTS}) | first invoke | warm p50 | warm p99 | peak RSS |");
    println!("|---|---|---|---|---|---|---|---|");
    let mut failed = false;
    for case in &cases {
        // Several cold starts per function: the first one also pays for a cold page cache.
        let mut runs = Vec::new();
        for _ in 0..COLD_STARTS {
            match run(case, &bin_dir).await {
                Ok(f) => runs.push(f),
                Err(e) => {
                    runs.clear();
                    eprintln!("{e}");
                    break;
                }
            }
        }
        let summary = if runs.is_empty() { Err(format!("{}: no successful run", case.function)) } else { Ok(summarise(runs)) };
        match summary {
            Ok(f) => println!(
                "| {} | {} | {:.1} MB ({:.1} MB) | {:.1} ms | {:.2} ms | {} µs | {} µs | {:.1} MB |",
                case.function,
                case.binary,
                f.size as f64 / 1_048_576.0,
                gzip_size(&bin_dir.join(case.binary)) as f64 / 1_048_576.0,
                f.init.as_secs_f64() * 1000.0,
                f.first.as_secs_f64() * 1000.0,
                f.p50.as_micros(),
                f.p99.as_micros(),
                f.rss_kb as f64 / 1024.0
            ),
            Err(e) => {
                failed = true;
                eprintln!("{e}");
            }
        }
    }
    crypto_costs(&keys);
    if failed {
        std::process::exit(1);
    }
}

/// Per-operation cost of what the auth paths do on every call.
fn crypto_costs(keys: &crm_auth::KeySet) {
    fn time<T>(n: u32, mut f: impl FnMut() -> T) -> Duration {
        let start = Instant::now();
        for _ in 0..n {
            std::hint::black_box(f());
        }
        start.elapsed() / n
    }
    let password = identity::password::Password::parse("demo123!", "admin@demo.salesos.dev").unwrap();
    let stored = identity::password::hash(&password);
    let signer = keys.signer().unwrap();
    let verifier = keys.verifier().unwrap();
    let claims = crm_auth::AccessClaims::new(
        "01JDEM0TENANT0000000000000",
        "01JDEM0ADM1N00000000000000",
        vec!["admin".into()],
        chrono::Utc::now().timestamp(),
    );
    let token = signer.sign(&claims).unwrap();
    println!();
    println!("| operation | time per call |");
    println!("|---|---|");
    println!("| Argon2id hash (m=19 MiB, t=2, p=1) | {:.1} ms |", time(10, || identity::password::hash(&password)).as_secs_f64() * 1000.0);
    println!("| Argon2id verify | {:.1} ms |", time(10, || identity::password::verify("demo123!", &stored)).as_secs_f64() * 1000.0);
    println!("| access token sign (EdDSA) | {} µs |", time(2000, || signer.sign(&claims).unwrap()).as_micros());
    println!("| access token verify (EdDSA) | {} µs |", time(2000, || verifier.verify(&token).unwrap()).as_micros());
}
