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
    // Start right after a window boundary, so all six requests share one window.
    let window = RATE_WINDOW_SECS as f64;
    tokio::time::sleep(Duration::from_secs_f64(window - now_secs() % window + 0.05)).await;

    for i in 0..5 {
        let resp = app.get("/v1/notes").send().await.unwrap();
        assert_eq!(resp.status(), 200, "request {i}");
        assert_eq!(resp.headers()["x-ratelimit-limit"], "5");
        assert_eq!(resp.headers()["x-ratelimit-remaining"], (4 - i).to_string().as_str());
        assert!(resp.headers().contains_key("x-ratelimit-reset"));
    }
    let resp = app.get("/v1/notes").send().await.unwrap();
    assert_eq!(resp.status(), 429);
    let retry: u64 = resp.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=RATE_WINDOW_SECS).contains(&retry), "{retry}");
    assert_eq!(resp.headers()["x-ratelimit-remaining"], "0");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "RATE_LIMIT_EXCEEDED");

    // Another tenant is not affected.
    assert_eq!(other.get("/v1/notes").send().await.unwrap().status(), 200);

    tokio::time::sleep(Duration::from_secs(retry) + Duration::from_millis(200)).await;
    assert_eq!(app.get("/v1/notes").send().await.unwrap().status(), 200, "recovered in the next window");
}
