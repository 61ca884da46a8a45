//! Metrics as CloudWatch Embedded Metric Format log lines: one JSON object on
//! stdout that CloudWatch turns into metrics, no API call, no SDK.

use serde_json::{json, Map, Value};

pub const NAMESPACE: &str = "CRM";

/// Emits `metrics` (name → count) with `dimensions` (name → value).
pub fn emit(dimensions: &[(&str, &str)], metrics: &[(&str, f64)]) {
    println!("{}", render(dimensions, metrics, chrono_now_millis()));
}

fn chrono_now_millis() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0)
}

/// The EMF document (separate for testing).
pub fn render(dimensions: &[(&str, &str)], metrics: &[(&str, f64)], timestamp_ms: u128) -> String {
    let mut root = Map::new();
    for (k, v) in dimensions {
        root.insert((*k).into(), Value::String((*v).into()));
    }
    for (k, v) in metrics {
        root.insert((*k).into(), json!(v));
    }
    root.insert(
        "_aws".into(),
        json!({
            "Timestamp": timestamp_ms as u64,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [dimensions.iter().map(|(k, _)| *k).collect::<Vec<_>>()],
                "Metrics": metrics.iter().map(|(k, _)| json!({"Name": k, "Unit": "Count"})).collect::<Vec<_>>(),
            }]
        }),
    );
    Value::Object(root).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_emf() {
        let doc: Value = serde_json::from_str(&render(&[("Queue", "activity")], &[("Failed", 2.0)], 7)).unwrap();
        assert_eq!(doc["Queue"], "activity");
        assert_eq!(doc["Failed"], 2.0);
        assert_eq!(doc["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0][0], "Queue");
        assert_eq!(doc["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"], "Failed");
    }
}
