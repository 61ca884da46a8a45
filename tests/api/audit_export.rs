//! Audit exports (`POST /v1/admin/audit-logs/export`): any range as a job,
//! itself audited; a week exported equals the list's pages of that week.

use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::{eventually, fixture_store, send, TestApp};

/// Writes `n` audit entries of `tenant` on the day `days_ago` back.
async fn entries_on(app: &TestApp, days_ago: i64, n: usize) {
    let store = fixture_store().await;
    for i in 0..n {
        let mut e = crm_events::DomainEvent::new(
            app.tenant,
            crm_events::types::CONTACT_UPDATED,
            crm_events::Actor::user(app.user),
            crm_events::Subject {
                kind: "contact".into(),
                id: if i == 0 { "=HYPERLINK(\"http://x\")".into() } else { format!("C{days_ago}-{i}") },
            },
            json!({ "changes": { "job_title": { "from": null, "to": format!("Title {i}") } } }),
        );
        e.occurred_at = crm_kernel::Timestamp::now().plus_seconds(-days_ago * 86_400 - i as i64);
        store.put(crm_events::audit::entry(&e)).await.unwrap();
    }
}

/// Every entry the list shows for the days `to` down to `from`, page by page.
async fn listed(app: &TestApp, days: &[String]) -> Vec<Value> {
    let mut all = Vec::new();
    for day in days {
        let mut cursor: Option<String> = None;
        loop {
            let mut path = format!("/v1/admin/audit-logs?date={day}&limit=2");
            if let Some(c) = &cursor {
                path.push_str(&format!("&cursor={c}"));
            }
            let page = app.get_json(&path).await;
            all.extend(page["data"].as_array().unwrap().iter().cloned());
            match page["pagination"]["nextCursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => break,
            }
        }
    }
    all
}

async fn completed(app: &TestApp, location: &str) -> Value {
    eventually(&format!("export {location}"), Duration::from_secs(60), || async {
        let x = app.get_json(location).await["data"].clone();
        (x["status"] != "queued").then_some(x)
    })
    .await
}

#[tokio::test]
async fn a_week_exported_equals_the_pages_of_the_list() {
    let admin = TestApp::with_plan(&["admin"], "DevPro").await;
    for days_ago in 1..=6 {
        entries_on(&admin, days_ago, if days_ago == 3 { 0 } else { 3 }).await;
    }
    let day = |back: i64| (chrono::Utc::now() - chrono::Duration::days(back)).format("%Y-%m-%d").to_string();
    let (from, to) = (day(6), day(0));
    let resp = admin.post(&format!("/v1/admin/audit-logs/export?from={from}&to={to}&format=jsonl")).send().await.unwrap();
    assert_eq!(resp.status(), 202);
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    let x = completed(&admin, &location).await;
    assert_eq!(x["status"], "completed", "{x}");
    let file = reqwest::get(x["download"]["url"].as_str().unwrap()).await.unwrap().text().await.unwrap();
    let exported: Vec<Value> = file.lines().map(|l| serde_json::from_str(l).unwrap()).collect();

    let days: Vec<String> = (0..=6).map(day).collect();
    let pages = listed(&admin, &days).await;
    assert_eq!(exported, pages, "the export is the list's pages, in the list's order");
    assert_eq!(x["entries"].as_u64(), Some(pages.len() as u64));
    assert!(pages.len() > 15, "15 fixture entries and the export's own request: {}", pages.len());
    let request = pages.iter().find(|e| e["action"] == "audit.export.requested").expect("the export is audited");
    assert_eq!(
        (request["details"]["from"].as_str(), request["actor"]["user_id"].as_str()),
        (Some(from.as_str()), Some(admin.user.to_string().as_str()))
    );

    // CSV: the same rows, formula cells neutralised.
    let resp = admin.post(&format!("/v1/admin/audit-logs/export?from={from}&to={to}&format=csv")).send().await.unwrap();
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    let x = completed(&admin, &location).await;
    let csv = reqwest::get(x["download"]["url"].as_str().unwrap()).await.unwrap().text().await.unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len() as u64, x["entries"].as_u64().unwrap(), "{csv}");
    assert!(rows.iter().any(|r| &r[5] == "'=HYPERLINK(\"http://x\")"), "a formula cell is text: {csv}");

    // Bad ranges change nothing; another tenant reaches nothing.
    for q in [
        format!("from={to}&to={from}"),
        format!("from={from}&to={}", day(-2)),
        format!("from={from}&to={to}&format=xml"),
        "from=x&to=y".to_string(),
        format!("to={to}"),
    ] {
        let (status, body) = send(admin.post(&format!("/v1/admin/audit-logs/export?{q}"))).await;
        assert_eq!(status, 400, "{q}: {body}");
    }
    let stranger = TestApp::with_plan(&["admin"], "DevPro").await;
    assert_eq!(send(stranger.get(&location)).await.0, 404);

    // Exports are counted per tenant and hour: twice the limit plus one (two
    // windows at most) cannot all be queued.
    let limit = identity::routes::admin::audit_logs::export_post::PER_HOUR;
    let mut statuses = Vec::new();
    for _ in 0..(2 * limit + 1) {
        statuses.push(send(stranger.post(&format!("/v1/admin/audit-logs/export?from={to}&to={to}"))).await.0);
    }
    assert!(statuses.iter().all(|s| [202, 429].contains(s)) && statuses.contains(&429), "{statuses:?}");
    let rep = admin.colleague(&["sales_rep"]).await;
    assert_eq!(send(rep.post(&format!("/v1/admin/audit-logs/export?from={from}&to={to}"))).await.0, 403);
}
