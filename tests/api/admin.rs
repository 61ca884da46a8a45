//! `/v1/admin/...`: roles, users, role assignment, audit log.

use crate::helpers::TestApp;
use serde_json::{json, Value};

#[tokio::test]
async fn roles_are_the_union_of_the_specs_and_deny_by_default() {
    let admin = TestApp::admin().await;
    let roles = admin.get_json("/v1/admin/roles").await;
    let codes: Vec<&str> = roles["data"].as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap()).collect();
    assert_eq!(codes, vec!["super_admin", "admin", "manager", "sales_rep", "staff", "viewer"]);
    let viewer = &roles["data"][5]["permissions"];
    assert!(!viewer.as_array().unwrap().contains(&json!("note.create")));

    let rep = admin.colleague(&["sales_rep"]).await;
    for path in ["/v1/admin/roles", "/v1/admin/users", "/v1/admin/audit-logs"] {
        assert_eq!(rep.get(path).send().await.unwrap().status(), 403, "{path}");
    }
}

#[tokio::test]
async fn assigning_roles_is_audited_and_applies_to_the_next_request() {
    let admin = TestApp::admin().await;
    let rep = admin.colleague(&["viewer"]).await;
    assert_eq!(rep.post("/v1/notes").json(&json!({"body": "x"})).send().await.unwrap().status(), 403);

    let resp = admin.post(&format!("/v1/admin/users/{}/roles", rep.user)).json(&json!({ "roles": ["sales_rep"] })).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let etag = resp.headers()["etag"].to_str().unwrap().to_string();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["data"]["roles"], json!(["sales_rep"]));
    // The same token now creates notes: roles come from the user record.
    assert_eq!(rep.post("/v1/notes").json(&json!({"body": "x"})).send().await.unwrap().status(), 201);

    // A stale If-Match is refused.
    let stale = admin
        .post(&format!("/v1/admin/users/{}/roles", rep.user))
        .header("if-match", "\"1\"")
        .json(&json!({ "roles": ["viewer"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 412);
    let fresh = admin
        .post(&format!("/v1/admin/users/{}/roles", rep.user))
        .header("if-match", etag)
        .json(&json!({ "roles": ["manager"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(fresh.status(), 200);

    let audit = admin.get_json(&format!("/v1/admin/audit-logs?action=user.role.changed&subject_id={}", rep.user)).await;
    let entries = audit["data"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["details"]["from"], json!(["sales_rep"]));
    assert_eq!(entries[0]["details"]["to"], json!(["manager"]));
    assert_eq!(entries[0]["actor"]["user_id"], admin.user.to_string());
}

#[tokio::test]
async fn role_assignment_rules() {
    let admin = TestApp::admin().await;
    let other = admin.colleague(&["viewer"]).await;
    let assign = |who: &TestApp, target: String, roles: Value| {
        who.post(&format!("/v1/admin/users/{target}/roles")).json(&json!({ "roles": roles })).send()
    };

    assert_eq!(assign(&admin, admin.user.to_string(), json!(["viewer"])).await.unwrap().status(), 403, "own roles");
    assert_eq!(
        assign(&admin, other.user.to_string(), json!(["super_admin"])).await.unwrap().status(),
        403,
        "admin cannot make a super_admin"
    );
    assert_eq!(assign(&admin, other.user.to_string(), json!(["root"])).await.unwrap().status(), 400);
    assert_eq!(assign(&admin, other.user.to_string(), json!([])).await.unwrap().status(), 400);
    assert_eq!(assign(&admin, ulid::Ulid::new().to_string(), json!(["viewer"])).await.unwrap().status(), 404);

    // Another tenant's user is not found.
    let stranger = TestApp::admin().await;
    assert_eq!(assign(&admin, stranger.user.to_string(), json!(["viewer"])).await.unwrap().status(), 404);

    let sup = admin.colleague(&["super_admin"]).await;
    assert_eq!(assign(&sup, other.user.to_string(), json!(["super_admin"])).await.unwrap().status(), 200);
}

#[tokio::test]
async fn users_and_audit_logs_are_listed_per_tenant_with_cursors() {
    let admin = TestApp::admin().await;
    for _ in 0..3 {
        admin.colleague(&["viewer"]).await;
    }
    let page = admin.get_json("/v1/admin/users?limit=2").await;
    assert_eq!(page["data"].as_array().unwrap().len(), 2);
    let next = page["pagination"]["nextCursor"].as_str().unwrap();
    let rest = admin.get_json(&format!("/v1/admin/users?limit=2&cursor={next}")).await;
    assert_eq!(rest["data"].as_array().unwrap().len(), 2);
    assert!(rest["data"][0].get("password_hash").is_none());
    assert_eq!(admin.get("/v1/admin/users?status=odd").send().await.unwrap().status(), 400);

    for i in 0..3 {
        admin.create_note(&format!("n{i}")).await;
    }
    let audit = admin.get_json("/v1/admin/audit-logs?action=note.created&limit=2").await;
    assert_eq!(audit["data"].as_array().unwrap().len(), 2);
    assert_eq!(audit["data"][0]["action"], "note.created");
    let other = TestApp::admin().await;
    let theirs = other.get_json("/v1/admin/audit-logs").await;
    assert_eq!(theirs["data"], json!([]), "another tenant's audit log is empty");
    assert_eq!(admin.get("/v1/admin/audit-logs?date=yesterday").send().await.unwrap().status(), 400);
}
