//! Companies (SalesOS accounts) over HTTP: create, read, edit with
//! `If-Match`, delete; search that folds case, accents and Arabic spelling;
//! filters that are key conditions; who may edit; another tenant's ids.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{body_of, TestApp};

async fn create(app: &TestApp, body: Value) -> Value {
    let resp = app.post("/v1/companies").json(&body).send().await.unwrap();
    assert_eq!(resp.status(), 201, "create {body}");
    resp.json::<Value>().await.unwrap()["data"].clone()
}

fn names(list: &Value) -> Vec<String> {
    let mut v: Vec<String> = list["data"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap().to_string()).collect();
    v.sort();
    v
}

#[tokio::test]
async fn companies_are_created_read_edited_with_if_match_and_deleted() {
    let app = TestApp::with_roles(&["sales_rep"]).await;
    let bad = body_of(app.post("/v1/companies").json(&json!({"domain": "not a domain", "phone": "12", "status": "gone"}))).await;
    let fields: Vec<&str> = bad["error"]["details"].as_array().unwrap().iter().map(|d| d["field"].as_str().unwrap()).collect();
    assert_eq!(fields, vec!["domain", "phone", "status", "name"]);

    let c = create(
        &app,
        json!({"name": "Acme Corporation", "domain": "https://www.acme.com/", "phone": "+20223456789", "country": "eg", "city": "Cairo"}),
    )
    .await;
    let id = c["id"].as_str().unwrap().to_string();
    assert_eq!(
        (c["domain"].as_str(), c["country"].as_str(), c["owner_user_id"].as_str()),
        (Some("acme.com"), Some("EG"), Some(app.user.to_string().as_str()))
    );
    let resp = app.get(&format!("/v1/companies/{id}")).send().await.unwrap();
    assert_eq!(resp.headers()["etag"], "\"1\"");

    let stale = app
        .request(Method::PATCH, &format!("/v1/companies/{id}"))
        .header("if-match", "\"7\"")
        .json(&json!({"city": "Giza"}))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 412);
    let resp = app
        .request(Method::PATCH, &format!("/v1/companies/{id}"))
        .header("if-match", "\"1\"")
        .json(&json!({"city": "Giza", "address": null}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let edited: Value = resp.json().await.unwrap();
    assert_eq!((edited["data"]["city"].as_str(), edited["data"]["version"].as_u64()), (Some("Giza"), Some(2)));
    // The search index followed: Giza finds it, Cairo no longer does.
    assert_eq!(names(&app.get_json("/v1/companies?search=giza").await), vec!["Acme Corporation"]);
    assert!(names(&app.get_json("/v1/companies?search=cairo").await).is_empty());

    assert_eq!(app.request(Method::DELETE, &format!("/v1/companies/{id}")).send().await.unwrap().status(), 403, "reps do not delete");
    let manager = app.colleague(&["manager"]).await;
    let resp = manager.request(Method::DELETE, &format!("/v1/companies/{id}")).send().await.unwrap();
    assert_eq!(resp.status(), 204);
    assert_eq!(app.get(&format!("/v1/companies/{id}")).send().await.unwrap().status(), 404);
    assert!(names(&app.get_json("/v1/companies?search=acme").await).is_empty(), "its terms went with it");
}

#[tokio::test]
async fn search_folds_case_accents_and_arabic_and_filters_are_key_conditions() {
    let app = TestApp::with_roles(&["manager"]).await;
    create(&app, json!({"name": "مؤسسة الأهرام للتطوير", "city": "الإسكندرية"})).await;
    create(&app, json!({"name": "Société Générale Égypte", "domain": "sg.com.eg", "city": "Cairo"})).await;
    create(&app, json!({"name": "Globex", "domain": "globex.ae", "city": "CAIRO", "phone": "+97145551234", "status": "inactive"})).await;

    assert_eq!(names(&app.get_json("/v1/companies?search=الاهرام").await), vec!["مؤسسة الأهرام للتطوير"]);
    assert_eq!(names(&app.get_json("/v1/companies?search=الاسكندريه").await), vec!["مؤسسة الأهرام للتطوير"]);
    assert_eq!(names(&app.get_json("/v1/companies?search=societe%20gen").await), vec!["Société Générale Égypte"]);
    assert_eq!(names(&app.get_json("/v1/companies?search=GLOB").await), vec!["Globex"]);
    assert_eq!(names(&app.get_json("/v1/companies?search=045551").await), vec!["Globex"], "a phone typed the local way");
    assert!(names(&app.get_json("/v1/companies?search=globex%20acme").await).is_empty(), "every word must match");

    assert_eq!(names(&app.get_json("/v1/companies?city=cairo").await), vec!["Globex", "Société Générale Égypte"]);
    assert_eq!(names(&app.get_json("/v1/companies?domain=www.globex.ae").await), vec!["Globex"]);
    assert_eq!(names(&app.get_json("/v1/companies?status=inactive").await), vec!["Globex"]);
    assert_eq!(app.get_json("/v1/companies?owner=me").await["data"].as_array().unwrap().len(), 3);
    let page = app.get_json("/v1/companies?limit=2").await;
    assert_eq!((page["data"].as_array().unwrap().len(), page["pagination"]["hasNext"].as_bool()), (2, Some(true)));
    assert_eq!(app.get("/v1/companies?status=gone").send().await.unwrap().status(), 400);
}

#[tokio::test]
async fn only_owners_managers_and_admins_edit_and_other_tenants_see_nothing() {
    let manager = TestApp::with_roles(&["manager"]).await;
    let rep = manager.colleague(&["sales_rep"]).await;
    let viewer = manager.colleague(&["viewer"]).await;
    let c = create(&manager, json!({"name": "Initech"})).await;
    let id = c["id"].as_str().unwrap();
    assert_eq!(rep.get(&format!("/v1/companies/{id}")).send().await.unwrap().status(), 200, "everyone reads");
    assert_eq!(rep.request(Method::PATCH, &format!("/v1/companies/{id}")).json(&json!({"city": "x"})).send().await.unwrap().status(), 403);
    assert_eq!(viewer.post("/v1/companies").json(&json!({"name": "Nope"})).send().await.unwrap().status(), 403);
    // Handing it to the rep lets the rep edit it.
    let resp = manager
        .request(Method::PATCH, &format!("/v1/companies/{id}"))
        .json(&json!({"owner_user_id": rep.user.to_string()}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        rep.request(Method::PATCH, &format!("/v1/companies/{id}")).json(&json!({"city": "Austin"})).send().await.unwrap().status(),
        200
    );
    let foreign = manager
        .request(Method::PATCH, &format!("/v1/companies/{id}"))
        .json(&json!({"owner_user_id": crm_kernel::UserId::new().to_string()}))
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 400, "an owner from nowhere");

    let other = TestApp::admin().await;
    for (m, body) in [(Method::GET, None), (Method::PATCH, Some(json!({"name": "Mine"}))), (Method::DELETE, None)] {
        let mut req = other.request(m.clone(), &format!("/v1/companies/{id}"));
        if let Some(b) = body {
            req = req.json(&b);
        }
        assert_eq!(req.send().await.unwrap().status(), 404, "{m}");
    }
    assert_eq!(other.get_json("/v1/companies?search=initech").await["data"], json!([]));
    assert_eq!(other.get_json("/v1/companies").await["data"], json!([]));
}
