//! Per-tenant rate limits by plan: 429 with Retry-After, then recovery.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::helpers::{TestApp, RATE_WINDOW_SECS};
use serde_json::Value;

fn now_secs() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs_f64()
}

#[tokio::test]
async fn over_the_plan_limit_answers_429_then_recovers() {
    // Plan "RateTest" allows 5 requests per window in the test stack.
    let app = TestApp::with_plan(&["admin"], "RateTest").await;
    let other = TestApp::admin().await;
    let window = RATE_WINDOW_SECS as f64;
    // Six requests inside one window. A slow machine may cross a window
    // boundary mid-way (the reset header changes); then try the next window.
    let mut retry = 0;
    // A machine busy with other tests (the 10 000-row import) may need several windows.
    const ATTEMPTS: usize = 8;
    for attempt in 0..ATTEMPTS {
        tokio::time::sleep(Duration::from_secs_f64(window - now_secs() % window + 0.05)).await;
        let mut reset_seen = None;
        let mut crossed = false;
        for i in 0..5 {
            let resp = app.get("/v1/notes").send().await.unwrap();
            let reset = resp.headers()["x-ratelimit-reset"].to_str().unwrap().to_string();
            crossed |= reset_seen.get_or_insert(reset.clone()) != &reset;
            if crossed {
                break;
            }
            assert_eq!(resp.status(), 200, "request {i}");
            assert_eq!(resp.headers()["x-ratelimit-limit"], "5");
            assert_eq!(resp.headers()["x-ratelimit-remaining"], (4 - i).to_string().as_str());
        }
        let resp = app.get("/v1/notes").send().await.unwrap();
        if crossed || reset_seen.as_deref() != resp.headers().get("x-ratelimit-reset").and_then(|v| v.to_str().ok()) {
            assert!(attempt < ATTEMPTS - 1, "the machine is too slow to send six requests in {window} s");
            continue;
        }
        assert_eq!(resp.status(), 429);
        retry = resp.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=RATE_WINDOW_SECS).contains(&retry), "{retry}");
        assert_eq!(resp.headers()["x-ratelimit-remaining"], "0");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"]["code"], "RATE_LIMIT_EXCEEDED");
        break;
    }

    // Another tenant is not affected.
    assert_eq!(other.get("/v1/notes").send().await.unwrap().status(), 200);

    tokio::time::sleep(Duration::from_secs(retry) + Duration::from_millis(200)).await;
    assert_eq!(app.get("/v1/notes").send().await.unwrap().status(), 200, "recovered in the next window");
}

/// Counting does not write on every request (ADR 0019): far from its limit a
/// tenant's requests reach the table in batches of ten (the 10th, 20th, …
/// request of a window writes), and the headers still count every request.
#[tokio::test]
async fn the_authorizer_writes_the_count_once_per_ten_requests() {
    let app = TestApp::admin().await;
    // (window reset, remaining, writes) of each request; a slow machine may cross windows.
    let mut seen: Vec<(String, i64, u32)> = Vec::new();
    for _ in 0..30 {
        let resp = app.get("/v1/notes").send().await.unwrap();
        assert_eq!(resp.status(), 200);
        let h = |n: &str| resp.headers()[n].to_str().unwrap().to_string();
        let writes = h("x-local-ddb-authorizer")
            .split_whitespace()
            .filter_map(|kv| kv.strip_prefix("UpdateItem="))
            .map(|n| n.parse::<u32>().unwrap())
            .sum();
        seen.push((h("x-ratelimit-reset"), h("x-ratelimit-remaining").parse().unwrap(), writes));
    }
    let limit: i64 = 100; // DevFree
    let mut in_window = 0;
    for (i, (reset, remaining, writes)) in seen.iter().enumerate() {
        in_window = if i > 0 && seen[i - 1].0 == *reset { in_window + 1 } else { 1 };
        assert_eq!(*remaining, limit - in_window, "request {i}: each request counts ({seen:?})");
        assert_eq!(*writes, u32::from(in_window % 10 == 0), "request {i}: only every tenth request of a window writes ({seen:?})");
    }
}
