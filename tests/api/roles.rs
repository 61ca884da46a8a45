//! Custom roles (`/v1/admin/roles`, `roles.manage`): made of codes their
//! creator holds, applied by the authorizer on the next request, never
//! deleted while assigned, audited.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{body_of, send, TestApp};

fn code(body: &Value) -> Option<&str> {
    body["error"]["code"].as_str()
}

async fn assign(admin: &TestApp, user: &TestApp, roles: &[&str]) {
    let (status, body) = send(admin.post(&format!("/v1/admin/users/{}/roles", user.user)).json(&json!({ "roles": roles }))).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn a_custom_role_holds_only_what_its_creator_holds_and_applies_on_the_next_request() {
    let admin = TestApp::with_plan(&["admin"], "DevPro").await;
    let keeper = admin.colleague(&["viewer"]).await;
    let role = json!({"code": "role_keeper", "name": "Role keeper", "permissions": ["roles.manage", "role.read", "deal.read", "deal.amount.read"]});
    assert_eq!(send(keeper.post("/v1/admin/roles").json(&role)).await.0, 403, "a viewer holds no roles.manage");

    let (status, made) = send(admin.post("/v1/admin/roles").json(&role)).await;
    assert_eq!(status, 201, "{made}");
    assert_eq!((made["data"]["custom"].as_bool(), made["data"]["name"].as_str()), (Some(true), Some("Role keeper")));
    let listed = admin.get_json("/v1/admin/roles").await;
    let codes: Vec<&str> = listed["data"].as_array().unwrap().iter().filter_map(|r| r["code"].as_str()).collect();
    assert_eq!(codes.last(), Some(&"role_keeper"), "defaults first, then the tenant's: {codes:?}");
    let (status, again) = send(admin.post("/v1/admin/roles").json(&role)).await;
    assert_eq!((status, code(&again)), (409, Some("CONFLICT")));

    // The authorizer applies the assignment on the keeper's very next request.
    assign(&admin, &keeper, &["role_keeper"]).await;
    let (status, refused) =
        send(keeper.post("/v1/admin/roles").json(&json!({"code": "hr", "name": "HR", "permissions": ["deal.read", "user.manage"]}))).await;
    assert_eq!((status, code(&refused)), (403, Some("FORBIDDEN")), "user.manage is not the keeper's to give: {refused}");
    assert!(refused["error"]["message"].as_str().unwrap().contains("user.manage"), "{refused}");
    let (status, reader) =
        send(keeper.post("/v1/admin/roles").json(&json!({"code": "deal_reader", "name": "Deal reader", "permissions": ["deal.read"]})))
            .await;
    assert_eq!(status, 201, "{reader}");

    // The keeper cannot change a role it holds (its own permissions), nor grant roles above it.
    let (status, own) =
        send(keeper.request(Method::PATCH, "/v1/admin/roles/role_keeper").json(&json!({"permissions": ["roles.manage", "role.read"]})))
            .await;
    assert_eq!(status, 403, "{own}");
    let (status, body) = send(
        admin
            .request(Method::PATCH, "/v1/admin/roles/deal_reader")
            .json(&json!({"name": "Deals, read", "permissions": ["deal.read", "contact.read"]})),
    )
    .await;
    assert_eq!((status, body["data"]["permissions"].clone()), (200, json!(["contact.read", "deal.read"])), "{body}");
    let (status, body) = send(admin.request(Method::PATCH, "/v1/admin/roles/admin").json(&json!({"name": "Boss"}))).await;
    assert_eq!(status, 404, "a default role does not change: {body}");
    let (status, body) =
        send(admin.request(Method::PATCH, "/v1/admin/roles/deal_reader").json(&json!({"code": "other", "permissions": ["teleport"]})))
            .await;
    assert_eq!((status, crate::helpers::error_fields(&body)), (400, vec!["code".to_string(), "permissions[0]".to_string()]));

    // An admin does not change a role an owner holds: its holders must be within reach.
    let owner = admin.colleague(&["super_admin"]).await;
    let extra = json!({"code": "owners_extra", "name": "Owners' extra", "permissions": ["deal.read"]});
    assert_eq!(send(owner.post("/v1/admin/roles").json(&extra)).await.0, 201);
    assign(&owner, &admin.colleague(&["super_admin"]).await, &["super_admin", "owners_extra"]).await;
    let (status, body) =
        send(admin.request(Method::PATCH, "/v1/admin/roles/owners_extra").json(&json!({"permissions": ["deal.read", "contact.read"]})))
            .await;
    assert_eq!(status, 403, "held by a super admin: {body}");

    // What a role grants, with the hierarchy's part.
    let (status, _) =
        send(admin.post("/v1/admin/roles/hierarchy").json(&json!({"parent_role": "deal_reader", "child_role": "viewer"}))).await;
    assert_eq!(status, 201);
    let perms = admin.get_json("/v1/admin/roles/deal_reader/permissions").await["data"].clone();
    assert!(perms["inherited"]["viewer"].as_array().unwrap().contains(&json!("note.read")), "{perms}");
    assert!(perms["permissions"].as_array().unwrap().contains(&json!("note.read")), "{perms}");
    assert_eq!(perms["role"]["permissions"], json!(["contact.read", "deal.read"]));
    assert_eq!(send(admin.get("/v1/admin/roles/nobody/permissions")).await.0, 404);

    // Audited with actor and diffs.
    let audit = admin.get_json("/v1/admin/audit-logs?action=role.updated&subject_id=deal_reader").await;
    let changes = &audit["data"][0]["details"]["changes"];
    assert_eq!(changes["permissions"]["to"], json!(["contact.read", "deal.read"]), "{audit}");
    assert_eq!(audit["data"][0]["actor"]["user_id"], admin.user.to_string());
    let created = admin.get_json("/v1/admin/audit-logs?action=role.created&subject_id=deal_reader").await;
    assert_eq!(created["data"][0]["actor"]["user_id"], keeper.user.to_string(), "{created}");

    // Another tenant knows none of it.
    let stranger = TestApp::with_plan(&["admin"], "DevPro").await;
    assert_eq!(send(stranger.get("/v1/admin/roles/deal_reader/permissions")).await.0, 404);
    assert_eq!(send(stranger.post(&format!("/v1/admin/users/{}/roles", keeper.user)).json(&json!({"roles": ["viewer"]}))).await.0, 404);
    let (status, body) = send(
        stranger
            .post("/v1/admin/users")
            .json(&json!({"email": "x@stranger.example.com", "full_name": "X", "password": "s3cret-pass-123", "roles": ["deal_reader"]})),
    )
    .await;
    assert_eq!((status, crate::helpers::error_fields(&body)), (400, vec!["roles".to_string()]), "{body}");
}

#[tokio::test]
async fn a_role_in_use_is_not_deleted_until_it_is_reassigned() {
    let admin = TestApp::with_plan(&["admin"], "DevPro").await;
    let rep = admin.colleague(&["sales_rep"]).await;
    let made =
        body_of(admin.post("/v1/admin/roles").json(&json!({"code": "auditor", "name": "Auditor", "permissions": ["audit.read"]}))).await;
    assert_eq!(made["data"]["code"], "auditor");
    assign(&admin, &rep, &["sales_rep", "auditor"]).await;
    assert_eq!(send(rep.get("/v1/admin/audit-logs")).await.0, 200, "the role's code works on the next request");

    let (status, body) = send(admin.request(Method::DELETE, "/v1/admin/roles/auditor")).await;
    assert_eq!((status, code(&body)), (422, Some("ROLE_IN_USE")), "held by the rep: {body}");
    assign(&admin, &rep, &["sales_rep"]).await;
    assert_eq!(send(rep.get("/v1/admin/audit-logs")).await.0, 403, "taken away on the next request");

    // A group giving it holds it too, and so does a pending invitation.
    let group =
        body_of(admin.post("/v1/admin/groups").json(&json!({"name": "Audit", "code": "audit", "default_roles": ["auditor"]}))).await;
    let group = group["data"]["id"].as_str().unwrap().to_string();
    let (status, body) = send(admin.request(Method::DELETE, "/v1/admin/roles/auditor")).await;
    assert_eq!((status, code(&body)), (422, Some("ROLE_IN_USE")), "given by a group: {body}");
    assert_eq!(send(admin.request(Method::DELETE, &format!("/v1/admin/groups/{group}"))).await.0, 204);
    let email = format!("auditor-{}@roles.example.com", admin.tenant.to_string().to_lowercase());
    let (status, invited) = send(admin.post("/v1/admin/users/invite").json(&json!({"email": email, "roles": ["auditor"]}))).await;
    assert_eq!(status, 201, "{invited}");
    let (status, body) = send(admin.request(Method::DELETE, "/v1/admin/roles/auditor")).await;
    assert_eq!((status, code(&body)), (422, Some("ROLE_IN_USE")), "held by the invitation: {body}");

    // A role nobody holds goes, and can no longer be given.
    let spare = body_of(admin.post("/v1/admin/roles").json(&json!({"code": "spare", "name": "Spare", "permissions": ["deal.read"]}))).await;
    assert_eq!(spare["data"]["code"], "spare");
    assert_eq!(send(admin.request(Method::DELETE, "/v1/admin/roles/spare")).await.0, 204);
    assert_eq!(send(admin.request(Method::DELETE, "/v1/admin/roles/spare")).await.0, 404);
    assert_eq!(send(admin.request(Method::DELETE, "/v1/admin/roles/viewer")).await.0, 404, "a default role is not deleted");
    let (status, body) = send(admin.post(&format!("/v1/admin/users/{}/roles", rep.user)).json(&json!({"roles": ["spare"]}))).await;
    assert_eq!((status, crate::helpers::error_fields(&body)), (400, vec!["roles".to_string()]), "{body}");
    let deleted = admin.get_json("/v1/admin/audit-logs?action=role.deleted&subject_id=spare").await;
    assert_eq!(deleted["data"][0]["details"]["permissions"], json!(["deal.read"]), "{deleted}");
}
