//! Custom fields: typed definitions per entity, values checked on every
//! write (type, options, required, unique), plan-gated.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{body_of, TestApp};

async fn define(app: &TestApp, body: Value) -> Value {
    let resp = app.post("/v1/custom-fields/definitions").json(&body).send().await.unwrap();
    assert_eq!(resp.status(), 201, "{body}");
    resp.json::<Value>().await.unwrap()["data"].clone()
}

async fn contact(app: &TestApp, body: Value) -> (u16, Value) {
    let resp = app.post("/v1/contacts").json(&body).send().await.unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

#[tokio::test]
async fn custom_fields_are_typed_required_unique_and_plan_gated() {
    let free = TestApp::with_plan(&["admin"], "DevFree").await;
    let resp = free
        .post("/v1/custom-fields/definitions")
        .json(&json!({"entity": "contact", "code": "source", "label": "Source", "type": "text"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 402);

    let app = TestApp::with_plan(&["admin"], "DevPro").await;
    let source = define(&app, json!({"entity": "contact", "code": "source", "label": "Lead source", "type": "select", "options": ["web", "referral"], "required": true})).await;
    define(&app, json!({"entity": "contact", "code": "budget", "label": "Budget (EGP)", "type": "number"})).await;
    define(&app, json!({"entity": "contact", "code": "national_id", "label": "National ID", "type": "text", "unique": true})).await;
    let dup = app
        .post("/v1/custom-fields/definitions")
        .json(&json!({"entity": "contact", "code": "budget", "label": "Again", "type": "number"}))
        .send()
        .await
        .unwrap();
    assert_eq!(dup.status(), 409);
    let bad = body_of(
        app.post("/v1/custom-fields/definitions").json(&json!({"entity": "property", "code": "9x", "label": "", "type": "select"})),
    )
    .await;
    assert_eq!(bad["error"]["details"].as_array().unwrap().len(), 4, "{bad}");
    assert_eq!(app.get_json("/v1/custom-fields/definitions?entity=contact").await["data"].as_array().unwrap().len(), 3);

    let (s, body) = contact(&app, json!({"first_name": "Mona", "custom_fields": {"budget": "a lot"}})).await;
    assert_eq!(s, 400);
    let fields: Vec<&str> = body["error"]["details"].as_array().unwrap().iter().map(|d| d["field"].as_str().unwrap()).collect();
    assert_eq!(fields, vec!["custom_fields.budget", "custom_fields.source"]);
    let (s, mona) = contact(
        &app,
        json!({"first_name": "Mona", "custom_fields": {"source": "web", "budget": 2500000, "national_id": "29001011234567"}}),
    )
    .await;
    assert_eq!(s, 201, "{mona}");
    assert_eq!(mona["data"]["custom_fields"], json!({"source": "web", "budget": 2500000, "national_id": "29001011234567"}));
    let (s, _) =
        contact(&app, json!({"first_name": "Mina", "custom_fields": {"source": "referral", "national_id": "29001011234567"}})).await;
    assert_eq!(s, 409, "a unique value held by another contact");

    let id = mona["data"]["id"].as_str().unwrap();
    let cleared =
        body_of(app.request(Method::PATCH, &format!("/v1/contacts/{id}")).json(&json!({"custom_fields": {"budget": null}}))).await;
    assert_eq!(cleared["data"]["custom_fields"], json!({"source": "web", "national_id": "29001011234567"}));
    let resp =
        app.request(Method::PATCH, &format!("/v1/contacts/{id}")).json(&json!({"custom_fields": {"source": null}})).send().await.unwrap();
    assert_eq!(resp.status(), 400, "a required field stays");
    let resp =
        app.request(Method::PATCH, &format!("/v1/contacts/{id}")).json(&json!({"custom_fields": {"colour": "red"}})).send().await.unwrap();
    assert_eq!(resp.status(), 400, "unknown code");

    // A deactivated field is no longer required.
    let sid = source["id"].as_str().unwrap();
    let resp =
        app.request(Method::PATCH, &format!("/v1/custom-fields/definitions/{sid}")).json(&json!({"active": false})).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(contact(&app, json!({"first_name": "Omar"})).await.0, 201);
    assert_eq!(app.request(Method::DELETE, &format!("/v1/custom-fields/definitions/{sid}")).send().await.unwrap().status(), 204);
    let rep = app.colleague(&["sales_rep"]).await;
    assert_eq!(
        rep.post("/v1/custom-fields/definitions")
            .json(&json!({"entity": "company", "code": "tier", "label": "Tier", "type": "text"}))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
}
