//! Coded dictionaries (`job_title_codes`, `department_codes`): global codes
//! plus the tenant's, English and Arabic labels, validated on users.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{error_fields, send, TestApp};

fn codes(list: &Value) -> Vec<&str> {
    list["data"].as_array().unwrap().iter().filter_map(|e| e["code"].as_str()).collect()
}

#[tokio::test]
async fn a_tenant_adds_codes_to_the_global_ones_and_users_take_only_active_codes() {
    let admin = TestApp::with_plan(&["admin"], "DevPro").await;
    let rep = admin.colleague(&["sales_rep"]).await;
    let titles = admin.get_json("/v1/admin/dictionaries/job_title_codes").await;
    let global = titles["data"].as_array().unwrap().iter().find(|e| e["code"] == "sales_representative").unwrap().clone();
    assert_eq!((global["source"].as_str(), global["label_ar"].as_str()), (Some("global"), Some("مندوب مبيعات")));
    assert_eq!(send(admin.get("/v1/admin/dictionaries/colours")).await.0, 404);

    let code = json!({"code": "field_agent", "label_en": "Field agent", "label_ar": "وكيل ميداني"});
    let (status, made) = send(admin.post("/v1/admin/dictionaries/job_title_codes").json(&code)).await;
    assert_eq!((status, made["data"]["source"].as_str()), (201, Some("tenant")), "{made}");
    assert_eq!(send(admin.post("/v1/admin/dictionaries/job_title_codes").json(&code)).await.0, 409);
    let (status, _) = send(
        admin.post("/v1/admin/dictionaries/job_title_codes").json(&json!({"code": "sales_manager", "label_en": "x", "label_ar": "x"})),
    )
    .await;
    assert_eq!(status, 409, "a global code is not added again");
    let (status, bad) =
        send(admin.post("/v1/admin/dictionaries/department_codes").json(&json!({"code": "Bad Code", "label_en": ""}))).await;
    assert_eq!((status, error_fields(&bad)), (400, vec!["code".to_string(), "label_en".to_string(), "label_ar".to_string()]));
    assert_eq!(codes(&admin.get_json("/v1/admin/dictionaries/job_title_codes").await).last(), Some(&"field_agent"));

    // Users take active codes of the right dictionary.
    let user = format!("/v1/admin/users/{}", rep.user);
    let (status, body) =
        send(admin.request(Method::PATCH, &user).json(&json!({"job_title_code": "field_agent", "department_code": "sales"}))).await;
    assert_eq!((status, body["data"]["job_title_code"].as_str()), (200, Some("field_agent")), "{body}");
    let (status, body) =
        send(admin.request(Method::PATCH, &user).json(&json!({"job_title_code": "astronaut", "department_code": "field_agent"}))).await;
    assert_eq!((status, error_fields(&body)), (400, vec!["job_title_code".to_string(), "department_code".to_string()]), "{body}");

    // A deactivated code stays where it is and is given to no one more.
    let (status, off) =
        send(admin.request(Method::PATCH, "/v1/admin/dictionaries/job_title_codes/field_agent").json(&json!({"is_active": false}))).await;
    assert_eq!((status, off["data"]["is_active"].as_bool()), (200, Some(false)), "{off}");
    assert_eq!(admin.get_json(&user).await["data"]["job_title_code"], "field_agent");
    assert_eq!(
        send(admin.request(Method::PATCH, &user).json(&json!({"full_name": "Still Here", "job_title_code": "field_agent"}))).await.0,
        200
    );
    let other = admin.colleague(&["viewer"]).await;
    let (status, body) =
        send(admin.request(Method::PATCH, &format!("/v1/admin/users/{}", other.user)).json(&json!({"job_title_code": "field_agent"})))
            .await;
    assert_eq!(status, 400, "{body}");
    let (status, _) =
        send(admin.request(Method::PATCH, "/v1/admin/dictionaries/job_title_codes/sales_manager").json(&json!({"is_active": false}))).await;
    assert_eq!(status, 403, "a global code is the product's");
    let audit = admin.get_json("/v1/admin/audit-logs?action=dictionary.code.updated").await;
    assert_eq!(audit["data"][0]["details"]["changes"]["is_active"]["to"], false, "{audit}");

    // Another tenant has only the global codes; a plan without the feature adds none.
    let stranger = TestApp::with_plan(&["admin"], "DevPro").await;
    assert!(!codes(&stranger.get_json("/v1/admin/dictionaries/job_title_codes").await).contains(&"field_agent"));
    assert_eq!(
        send(stranger.request(Method::PATCH, "/v1/admin/dictionaries/job_title_codes/field_agent").json(&json!({"is_active": true})))
            .await
            .0,
        404
    );
    let free = TestApp::with_plan(&["admin"], "DevFree").await;
    let (status, body) = send(free.post("/v1/admin/dictionaries/job_title_codes").json(&code)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (402, Some("PLAN_REQUIRED")));
    assert_eq!(send(rep.post("/v1/admin/dictionaries/job_title_codes").json(&code)).await.0, 403);
}
