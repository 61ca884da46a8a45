//! Users admin beyond the lifecycle: read, edit (`If-Match`), delete,
//! preferences, effective permissions and entitlements; the operator's
//! tenant suspension; the per-IP limit of the public auth routes.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{stack, TestApp, AUTH_RATE_LIMIT, OPERATOR_KEY};

async fn send(app: &TestApp, method: Method, path: &str, body: Option<Value>, if_match: Option<&str>) -> (u16, Option<String>, Value) {
    let mut req = app.request(method, path);
    if let Some(b) = body {
        req = req.json(&b);
    }
    if let Some(v) = if_match {
        req = req.header("if-match", v);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let etag = resp.headers().get("etag").map(|v| v.to_str().unwrap().to_string());
    (status, etag, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn admins_read_and_edit_a_user_with_optimistic_concurrency() {
    let admin = TestApp::admin().await;
    let rep = admin.colleague(&["sales_rep"]).await;
    let path = format!("/v1/admin/users/{}", rep.user);
    let (s, etag, body) = send(&admin, Method::GET, &path, None, None).await;
    assert_eq!(s, 200, "{body}");
    let etag = etag.expect("an ETag");

    let patch = json!({ "full_name": "Omar Khaled", "locale": "ar", "timezone": "Africa/Cairo", "job_title_code": "sales_representative" });
    let (s, new_etag, body) = send(&admin, Method::PATCH, &path, Some(patch.clone()), Some(&etag)).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["data"]["full_name"], "Omar Khaled");
    assert_eq!(body["data"]["locale"], "ar");
    assert_eq!(body["data"]["timezone"], "Africa/Cairo");
    assert_ne!(new_etag.as_deref(), Some(etag.as_str()));

    // The stale ETag loses and changes nothing.
    let (s, _, body) = send(&admin, Method::PATCH, &path, Some(json!({ "full_name": "Stale" })), Some(&etag)).await;
    assert_eq!((s, body["error"]["code"].as_str()), (412, Some("PRECONDITION_FAILED")));
    assert_eq!(admin.get_json(&path).await["data"]["full_name"], "Omar Khaled");

    // Bad fields are named; nothing changes.
    let (s, _, body) = send(&admin, Method::PATCH, &path, Some(json!({ "timezone": "Mars/Base", "locale": "xx" })), None).await;
    assert_eq!(s, 400);
    let fields: Vec<&str> = body["error"]["details"].as_array().unwrap().iter().map(|d| d["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["locale", "timezone"]);
    let (s, _, _) = send(&admin, Method::PATCH, &path, Some(json!({ "role": "admin" })), None).await;
    assert_eq!(s, 400, "unknown fields are refused");

    // The change is audited with its diff.
    let audit = admin.get_json("/v1/admin/audit-logs?limit=20").await;
    let entry = audit["data"].as_array().unwrap().iter().find(|e| e["action"] == "user.updated").expect("user.updated audited").clone();
    assert!(entry.to_string().contains("Omar Khaled"), "{entry}");

    // A sales rep may not edit users; another tenant's admin sees nothing.
    assert_eq!(send(&rep, Method::PATCH, &path, Some(json!({ "full_name": "Me" })), None).await.0, 403);
    let stranger = TestApp::admin().await;
    for (m, body) in [(Method::GET, None), (Method::PATCH, Some(json!({ "full_name": "X" }))), (Method::DELETE, None)] {
        assert_eq!(send(&stranger, m.clone(), &path, body, None).await.0, 404, "{m}");
    }
    for suffix in ["preferences", "effective-permissions", "effective-entitlements"] {
        assert_eq!(send(&stranger, Method::GET, &format!("{path}/{suffix}"), None, None).await.0, 404, "{suffix}");
    }
}

#[tokio::test]
async fn deleting_a_user_revokes_access_frees_the_seat_and_the_email() {
    let admin = TestApp::admin().await;
    let rep = admin.colleague(&["sales_rep"]).await;
    let path = format!("/v1/admin/users/{}", rep.user);
    let email = admin.get_json(&path).await["data"]["email"].as_str().unwrap().to_string();
    assert_eq!(rep.get("/v1/notes").send().await.unwrap().status(), 200);

    let (s, _, _) = send(&admin, Method::DELETE, &path, None, None).await;
    assert_eq!(s, 204);
    assert_eq!(rep.get("/v1/notes").send().await.unwrap().status(), 401, "the token stops working at once");
    assert_eq!(send(&admin, Method::GET, &path, None, None).await.0, 404);
    assert_eq!(send(&admin, Method::DELETE, &path, None, None).await.0, 404, "deleting twice finds nothing");
    let users = admin.get_json("/v1/admin/users?limit=100").await;
    assert!(!users.to_string().contains(&rep.user.to_string()), "gone from the list");
    let audit = admin.get_json("/v1/admin/audit-logs?limit=20").await;
    assert!(audit["data"].as_array().unwrap().iter().any(|e| e["action"] == "user.deleted"));

    // The address can be invited again.
    let (s, _, body) =
        send(&admin, Method::POST, "/v1/admin/users/invite", Some(json!({ "email": email, "roles": ["staff"] })), None).await;
    assert_eq!(s, 201, "{body}");
    // Admins cannot delete themselves.
    assert_eq!(send(&admin, Method::DELETE, &format!("/v1/admin/users/{}", admin.user), None, None).await.0, 403);
}

#[tokio::test]
async fn preferences_default_then_persist_with_if_match() {
    let admin = TestApp::admin().await;
    let rep = admin.colleague(&["sales_rep"]).await;
    let path = format!("/v1/admin/users/{}/preferences", rep.user);
    let (s, etag, body) = send(&admin, Method::GET, &path, None, None).await;
    assert_eq!(s, 200);
    assert_eq!(body["data"]["email_on_sms"], true);
    assert_eq!(body["data"]["marketing_sms_opt_in"], false);
    let (s, etag2, body) = send(&admin, Method::PUT, &path, Some(json!({ "email_on_sms": false, "locale": "ar" })), etag.as_deref()).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["data"]["email_on_sms"], false);
    assert_eq!(admin.get_json(&path).await["data"]["locale"], "ar");
    let (s, _, _) = send(&admin, Method::PUT, &path, Some(json!({ "daily_digest": false })), etag.as_deref()).await;
    assert_eq!(s, 412, "the first ETag is stale now");
    let (s, _, _) = send(&admin, Method::PUT, &path, Some(json!({ "locale": "fr" })), etag2.as_deref()).await;
    assert_eq!(s, 400);
    assert_eq!(send(&rep, Method::PUT, &path, Some(json!({ "daily_digest": false })), None).await.0, 403);
}

#[tokio::test]
async fn effective_permissions_and_entitlements_explain_themselves() {
    let admin = TestApp::admin().await;
    let viewer = admin.colleague(&["viewer"]).await;
    let body = admin.get_json(&format!("/v1/admin/users/{}/effective-permissions", viewer.user)).await;
    let perms = body["data"]["permissions"].as_array().unwrap();
    let find = |code: &str| perms.iter().find(|p| p["code"] == code).unwrap().clone();
    assert_eq!(find("note.read")["granted"], true);
    assert_eq!(find("note.read")["granted_by"], json!(["viewer"]));
    assert_eq!(find("note.create")["granted"], false);
    assert!(find("note.create")["why"].as_str().unwrap().contains("no role"));

    let body = admin.get_json(&format!("/v1/admin/users/{}/effective-entitlements", viewer.user)).await;
    assert_eq!(body["data"]["plan"], "DevFree");
    let features = body["data"]["features"].as_array().unwrap();
    let sms = features.iter().find(|f| f["key"] == "twofa.sms").unwrap();
    assert_eq!((sms["enabled"].as_bool(), sms["source"].as_str()), (Some(false), Some("plan")));
    let limits = body["data"]["limits"].as_array().unwrap();
    assert!(limits.iter().any(|l| l["key"] == "users.max" && l["value"] == 3));
}

#[tokio::test]
async fn the_operator_suspends_a_tenant_and_only_with_the_key() {
    let admin = TestApp::admin().await;
    let other = TestApp::admin().await;
    let http = reqwest::Client::new();
    let url = |action: &str| format!("{}/v1/ops/tenants/{}/{action}", stack().url, admin.tenant);

    for key in [None, Some("wrong-key-wrong-key-wrong-key-wrong-key")] {
        let mut req = http.post(url("suspend"));
        if let Some(k) = key {
            req = req.header("x-operator-key", k);
        }
        assert_eq!(req.send().await.unwrap().status(), 401, "{key:?}");
    }
    // A tenant admin's token is not the operator key.
    assert_eq!(admin.post(&format!("/v1/ops/tenants/{}/suspend", admin.tenant)).send().await.unwrap().status(), 401);
    assert_eq!(admin.get("/v1/notes").send().await.unwrap().status(), 200);

    let resp = http.post(url("suspend")).header("x-operator-key", OPERATOR_KEY).json(&json!({ "reason": "unpaid" })).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.json::<Value>().await.unwrap()["data"]["status"], "suspended");
    assert_eq!(admin.get("/v1/notes").send().await.unwrap().status(), 401, "every token of the tenant is refused");
    assert_eq!(other.get("/v1/notes").send().await.unwrap().status(), 200, "other tenants carry on");

    let resp = http.post(url("reactivate")).header("x-operator-key", OPERATOR_KEY).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(admin.get("/v1/notes").send().await.unwrap().status(), 200);
    let audit = admin.get_json("/v1/admin/audit-logs?limit=20").await;
    let actions: Vec<&str> = audit["data"].as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).collect();
    assert!(actions.contains(&"tenant.suspended") && actions.contains(&"tenant.reactivated"), "{actions:?}");

    let unknown = format!("{}/v1/ops/tenants/{}/suspend", stack().url, crm_kernel::TenantId::new());
    assert_eq!(http.post(unknown).header("x-operator-key", OPERATOR_KEY).send().await.unwrap().status(), 404);
}

#[tokio::test]
async fn public_auth_routes_are_limited_per_client_ip() {
    // A client address of its own, so other tests' logins do not count.
    let ip = format!("198.51.100.{}", ulid::Ulid::new().random() % 250 + 1);
    let http = reqwest::Client::new();
    let attempt = || {
        http.post(format!("{}/v1/auth/forgot-password", stack().url))
            .header("x-forwarded-for", &ip)
            .json(&json!({ "email": "nobody@example.com" }))
            .send()
    };
    // Bursts of limit + 1 at once, so a loaded machine still fits them in one
    // window; a burst that straddles two windows is followed by another.
    let (mut passed, mut limited) = (0, None);
    for _ in 0..4 {
        for resp in futures::future::join_all((0..=AUTH_RATE_LIMIT).map(|_| attempt())).await {
            let resp = resp.unwrap();
            match resp.status().as_u16() {
                429 => limited = limited.or(Some(resp)),
                s => {
                    assert_eq!(s, 202);
                    passed += 1;
                }
            }
        }
        if limited.is_some() {
            break;
        }
    }
    let resp = limited.expect("the limit is reached");
    assert!(passed >= AUTH_RATE_LIMIT, "{passed} requests passed before the limit");
    let retry: u64 = resp.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "RATE_LIMIT_EXCEEDED");
    // Another address is not affected.
    let resp = http
        .post(format!("{}/v1/auth/forgot-password", stack().url))
        .header("x-forwarded-for", "203.0.113.9")
        .json(&json!({ "email": "nobody@example.com" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 202);
    // And the limited one recovers after the window.
    tokio::time::sleep(std::time::Duration::from_secs(retry + 1)).await;
    assert_eq!(attempt().await.unwrap().status(), 202);
}
