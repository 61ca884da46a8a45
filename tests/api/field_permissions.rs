//! Field-level permissions: a role without `deal.amount.read` reads deals
//! without amounts, one without `contact.email.read` / `contact.phone.read`
//! reads contacts without their addresses — absent from responses, lists,
//! boards, search results and exports, and named in `hidden_fields`.

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{body_of, send, unique_phone, TestApp};

/// A colleague holding only `permissions`, through a custom role.
async fn holder_of(admin: &TestApp, code: &str, permissions: &[&str]) -> TestApp {
    let role = json!({"code": code, "name": code, "permissions": permissions});
    assert_eq!(send(admin.post("/v1/admin/roles").json(&role)).await.0, 201);
    let member = admin.colleague(&["viewer"]).await;
    let (status, body) = send(admin.post(&format!("/v1/admin/users/{}/roles", member.user)).json(&json!({"roles": [code]}))).await;
    assert_eq!(status, 200, "{body}");
    member
}

fn keys(v: &Value) -> Vec<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

#[tokio::test]
async fn a_role_without_deal_amount_read_reads_deals_without_amounts() {
    let admin = TestApp::with_plan(&["admin"], "DevPro").await;
    let pipeline =
        body_of(admin.post("/v1/pipelines").json(&json!({"name": "Field rules"}))).await["data"]["id"].as_str().unwrap().to_string();
    let deal = body_of(admin.post("/v1/deals").json(&json!({"name": "Secret price", "amount": 1234500, "pipeline_id": pipeline}))).await;
    let id = deal["data"]["id"].as_str().unwrap().to_string();
    assert_eq!((deal["data"]["amount"].as_i64(), deal["data"].get("hidden_fields")), (Some(1234500), None), "the admin sees it");

    let blind = holder_of(&admin, "deal_viewer", &["deal.read"]).await;
    let one = blind.get_json(&format!("/v1/deals/{id}")).await["data"].clone();
    assert_eq!(one["name"], "Secret price");
    assert!(!keys(&one).contains(&"amount") && !keys(&one).contains(&"value"), "{one}");
    assert_eq!(one["hidden_fields"], json!(["amount"]));
    let listed = blind.get_json(&format!("/v1/deals?pipeline={pipeline}")).await["data"][0].clone();
    assert_eq!(
        (listed["id"].as_str(), listed.get("amount"), listed["hidden_fields"].clone()),
        (Some(id.as_str()), None, json!(["amount"]))
    );
    let (status, _) = send(blind.get(&format!("/v1/deals?pipeline={pipeline}&min_amount=1000000"))).await;
    assert_eq!(status, 403, "filtering by the amount would read it");

    let board = blind.get_json(&format!("/v1/pipelines/{pipeline}/board")).await["data"].clone();
    assert!(board.get("value").is_none() && board.get("weighted").is_none(), "{board}");
    let column = board["stages"].as_array().unwrap().iter().find(|s| s["count"] == 1).unwrap().clone();
    assert!(column.get("totals").is_none() && column["deals"][0].get("amount").is_none(), "{column}");
    assert!(!board.to_string().contains("1234500") && !board.to_string().contains("12345"), "no amount anywhere: {board}");
    assert_eq!(send(blind.get(&format!("/v1/pipelines/{pipeline}/forecast"))).await.0, 403);
    let seen = admin.get_json(&format!("/v1/pipelines/{pipeline}/board")).await["data"].clone();
    assert!(seen["value"]["amounts"].to_string().contains("1234500"), "the admin's board has it: {seen}");

    // A move held for approval answers the request without the amount it carries for its approvers.
    let policy = json!({"name": "Big discounts", "action_code": "deal.mark.win", "object_type": "deal",
        "conditions": [{"field": "discount_pct", "op": "gt", "value": 10}], "steps": [{"approver_mode": "role", "approver_ref": "admin"}]});
    assert_eq!(send(admin.post("/v1/approvals/policies").json(&policy)).await.0, 201);
    let closer = holder_of(&admin, "blind_closer", &["deal.read", "deal.create", "deal.mark.win"]).await;
    let own = body_of(closer.post("/v1/deals").json(&json!({"name": "Discounted", "amount": 7654300, "discount_pct": 20}))).await;
    let (status, held) = send(closer.post(&format!("/v1/deals/{}/mark-won", own["data"]["id"].as_str().unwrap()))).await;
    assert_eq!(status, 202, "{held}");
    assert!(held["data"]["approval_request"]["payload"].is_object(), "{held}");
    assert!(!held.to_string().contains("7654300") && !held.to_string().contains("76543"), "no amount in the held reply: {held}");
}

#[tokio::test]
async fn a_role_without_contact_channels_reads_contacts_without_them_in_lists_search_and_exports() {
    let admin = TestApp::with_plan(&["admin"], "DevPro").await;
    let tag = ulid::Ulid::new().to_string().to_lowercase();
    let (email, phone) = (format!("hidden-{tag}@fields.example.com"), unique_phone());
    let made =
        body_of(admin.post("/v1/contacts").json(&json!({"first_name": "Rania", "last_name": tag, "email": email, "phone": phone}))).await;
    let id = made["data"]["id"].as_str().unwrap().to_string();
    let (status, _) =
        send(admin.post(&format!("/v1/contacts/{id}/channels")).json(&json!({"type": "whatsapp", "value": unique_phone()}))).await;
    assert_eq!(status, 201);

    let no_email = holder_of(&admin, "caller", &["contact.read", "contact.phone.read"]).await;
    let seen = no_email.get_json(&format!("/v1/contacts/{id}")).await["data"].clone();
    assert!(seen.get("email").is_none() && seen["phone"] == phone, "{seen}");
    let types: Vec<&str> = seen["channels"].as_array().unwrap().iter().filter_map(|c| c["type"].as_str()).collect();
    assert!(!types.contains(&"email") && types.contains(&"whatsapp"), "{seen}");
    assert_eq!(seen["hidden_fields"], json!(["email"]));
    assert!(!seen.to_string().contains(&email), "the address appears nowhere: {seen}");

    let blind = holder_of(&admin, "name_only", &["contact.read"]).await;
    let listed = blind.get_json(&format!("/v1/contacts?search={tag}")).await["data"].clone();
    assert_eq!(listed.as_array().unwrap().len(), 1, "found by name: {listed}");
    assert!(listed[0].get("email").is_none() && listed[0].get("phone").is_none(), "{listed}");
    assert_eq!((listed[0]["channels"].clone(), listed[0]["hidden_fields"].clone()), (json!([]), json!(["email", "phone"])));
    let by_email = blind.get_json(&format!("/v1/contacts?search=hidden-{tag}")).await;
    assert_eq!(by_email["data"], json!([]), "not found through an address it may not read");
    let admin_finds = admin.get_json(&format!("/v1/contacts?search=hidden-{tag}")).await;
    assert_eq!(admin_finds["data"][0]["id"], id.as_str(), "the admin finds it by email");

    // The export leaves the columns out.
    let started = body_of(blind.post("/v1/contacts/export").json(&json!({"search": tag}))).await;
    let job = crate::imports::finished(&blind, started["data"]["id"].as_str().unwrap(), Duration::from_secs(60)).await;
    assert_eq!((job["status"].as_str(), job["counts"]["exported"].as_i64()), (Some("completed"), Some(1)), "{job}");
    let file = reqwest::get(job["download"]["url"].as_str().unwrap()).await.unwrap().text().await.unwrap();
    let header = file.lines().next().unwrap();
    assert!(header.starts_with("id,first_name,last_name,job_title"), "{header}");
    assert!(!file.contains(&email) && !file.contains(&phone[1..]) && file.contains("Rania"), "{file}");
    let started = body_of(admin.post("/v1/contacts/export").json(&json!({"search": tag}))).await;
    let job = crate::imports::finished(&admin, started["data"]["id"].as_str().unwrap(), Duration::from_secs(60)).await;
    let file = reqwest::get(job["download"]["url"].as_str().unwrap()).await.unwrap().text().await.unwrap();
    assert!(file.contains(&email), "the admin's export has it: {file}");
    // A key of the admin's that may not read emails does not download the admin's file.
    let key = body_of(admin.post("/v1/admin/api-keys").json(&json!({"name": "reader", "permissions": ["contact.read"]}))).await;
    let key = key["data"]["secret"].as_str().unwrap().to_string();
    let by_key = reqwest::Client::new()
        .get(format!("{}/v1/jobs/{}", admin.url, job["id"].as_str().unwrap()))
        .header("x-api-key", key)
        .send()
        .await
        .unwrap();
    assert_eq!(by_key.status(), 403);

    // Writing needs no read: the role writes an address it then cannot read, and keeps it.
    let editor = holder_of(&admin, "editor", &["contact.read", "contact.create", "contact.update"]).await;
    let mine = format!("mine-{tag}@fields.example.com");
    let (status, body) = send(editor.post("/v1/contacts").json(&json!({"first_name": "Own", "email": mine}))).await;
    assert_eq!((status, body["data"].get("email")), (201, None), "{body}");
    let own = body["data"]["id"].as_str().unwrap().to_string();
    let (status, body) = send(editor.request(Method::PATCH, &format!("/v1/contacts/{own}")).json(&json!({"job_title": "Buyer"}))).await;
    assert_eq!((status, body["data"].get("email"), body["data"]["job_title"].as_str()), (200, None, Some("Buyer")), "{body}");
    assert_eq!(admin.get_json(&format!("/v1/contacts/{own}")).await["data"]["email"], mine.as_str(), "the hidden email is kept");
}
