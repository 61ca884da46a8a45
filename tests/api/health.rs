use crate::helpers::{stack, TestApp};
use serde_json::Value;

#[tokio::test]
async fn health_is_public_and_in_the_envelope() {
    let s = stack();
    let resp = reqwest::get(format!("{}/health", s.url)).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["x-content-type-options"], "nosniff");
    assert!(resp.headers().contains_key("x-request-id"));
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["success"], true);
    assert_eq!(body["data"]["status"], "ok");
    assert!(body["meta"]["requestId"].is_string());
}

#[tokio::test]
async fn detailed_health_reports_table_bus_and_queues_to_admins_only() {
    let s = stack();
    let anonymous = reqwest::get(format!("{}/v1/health", s.url)).await.unwrap();
    assert_eq!(anonymous.status(), 401);

    let viewer = TestApp::with_roles(&["viewer"]).await;
    assert_eq!(viewer.get("/v1/health").send().await.unwrap().status(), 403);

    let admin = TestApp::admin().await;
    let resp = admin.get("/v1/health").send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["data"]["status"], "ok");
    assert_eq!(body["data"]["table"]["reachable"], true);
    assert_eq!(body["data"]["bus"]["reachable"], true);
    let queues = body["data"]["queues"].as_array().unwrap();
    let names: Vec<&str> = queues.iter().map(|q| q["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        vec![
            "activity",
            "activity_dlq",
            "audit_export",
            "audit_export_dlq",
            "billing_invoicing",
            "billing_invoicing_dlq",
            "billing_meter",
            "billing_meter_dlq",
            "deal_relink",
            "deal_relink_dlq",
            "inventory_reactor",
            "inventory_reactor_dlq",
            "jobs",
            "jobs_dlq",
            "map_jobs",
            "map_jobs_dlq",
            "map_units",
            "map_units_dlq",
            "notifications",
            "notifications_dlq",
            "outbox_dlq",
            "unit_availability",
            "unit_availability_dlq",
            "unit_jobs",
            "unit_jobs_dlq",
        ]
    );
    assert!(queues.iter().all(|q| q["reachable"] == true));
}
