//! Every route that takes a body, sent malformed bodies: the wrong JSON type
//! at the top level, 2 000-deep nesting, huge strings, NUL and bidi
//! characters, absurd numbers, invalid UTF-8. Each answer is a 4xx in our
//! envelope: never a 5xx, never the gateway's bare error, never a panic.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::TestApp;

fn bodies() -> Vec<(&'static str, Vec<u8>)> {
    let text = |v: Value| v.to_string().into_bytes();
    let huge = "x".repeat(90_000);
    let fields = ["name", "first_name", "last_name", "email", "title", "body", "description", "code", "value", "phone"];
    let every = |v: Value| Value::Object(fields.iter().map(|f| (f.to_string(), v.clone())).collect());
    vec![
        ("an array", b"[]".to_vec()),
        ("a string", b"\"name\"".to_vec()),
        ("a number", b"42".to_vec()),
        ("null", b"null".to_vec()),
        ("a boolean", b"true".to_vec()),
        ("2 000-deep nesting", format!("{}1{}", "{\"a\":".repeat(2000), "}".repeat(2000)).into_bytes()),
        ("2 000-deep arrays", format!("{}{}", "[".repeat(2000), "]".repeat(2000)).into_bytes()),
        ("huge strings", text(every(json!(huge)))),
        ("NUL and bidi characters", text(every(json!("a\u{0}b\u{202e}c\u{2066}d")))),
        ("absurd numbers", b"{\"amount\":1e400,\"limit\":-99999999999999999999999,\"probability\":1e-400}".to_vec()),
        ("huge integers", text(json!({"amount": u64::MAX, "priority": i64::MIN, "probability": f64::MAX, "position": -1}))),
        ("wrong field types", text(every(json!({"nested": [1, {"deeper": null}]})))),
        ("invalid UTF-8", b"{\"name\":\"\xff\xfe\xfd\",\"first_name\":\"\xc3\x28\"}".to_vec()),
    ]
}

/// Routes that take no body: they answer as if none was sent.
const NO_BODY: &[&str] = &["POST /v1/auth/logout", "POST /v1/auth/totp/setup"];

#[tokio::test]
async fn every_body_route_answers_malformed_bodies_with_a_4xx_envelope() {
    let app = TestApp::with_plan(&["admin"], "DevPro").await;
    let id = ulid::Ulid::new().to_string();
    let (mut sent, mut accepted) = (0, std::collections::BTreeSet::new());
    for (key, _) in devserver::openapi::declared_access() {
        let Some((method, path)) = key.split_once(' ') else { continue };
        // Logging out would end the session the sweep runs on.
        if method == "GET" || key == "POST /v1/auth/logout" {
            continue;
        }
        let url = path.split('/').map(|s| if s.starts_with('{') { id.as_str() } else { s }).collect::<Vec<_>>().join("/");
        for (what, body) in bodies() {
            let send = || {
                app.request(Method::from_bytes(method.as_bytes()).unwrap(), &url)
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
            };
            let mut resp = send().await.unwrap();
            if resp.status() == 429 {
                // The plan's rate limit is not what this test is about: wait for the next window.
                let wait: u64 = resp.headers()["retry-after"].to_str().unwrap().parse().unwrap();
                tokio::time::sleep(std::time::Duration::from_secs(wait) + std::time::Duration::from_millis(100)).await;
                resp = send().await.unwrap();
            }
            let status = resp.status().as_u16();
            let text = resp.text().await.unwrap();
            let envelope: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            if (200..300).contains(&status) && NO_BODY.contains(&key) {
                continue;
            }
            if (200..300).contains(&status) {
                accepted.insert(format!("{key} ({what}: {status})"));
                continue;
            }
            assert!((400..500).contains(&status), "{key} with {what}: {status} {text:.300}");
            assert!(
                envelope["success"] == false && envelope["error"]["code"].is_string() && envelope["meta"]["requestId"].is_string(),
                "{key} with {what}: not our envelope: {text:.300}"
            );
            sent += 1;
        }
    }
    assert!(accepted.is_empty(), "took a malformed body without a 4xx (list a route that takes no body in NO_BODY): {accepted:#?}");
    assert!(sent > 100 * bodies().len(), "only {sent} requests: the route tables shrank?");
}
