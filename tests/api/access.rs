//! Groups, role hierarchy and entitlement overrides over HTTP (ADR 0011):
//! membership, hierarchy and overrides change what a user may do on
//! their very next request; no cycles; user > group (max) > tenant > plan.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{body_of, TestApp};

async fn group(app: &TestApp, body: Value) -> String {
    let g = body_of(app.post("/v1/admin/groups").json(&body)).await;
    g["data"]["id"].as_str().unwrap_or_else(|| panic!("{g}")).to_string()
}

async fn status(req: reqwest::RequestBuilder) -> u16 {
    req.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn group_membership_grants_and_revokes_roles_instantly() {
    let admin = TestApp::admin().await;
    let rep = admin.colleague(&["sales_rep"]).await;
    let gid = group(&admin, json!({"name": "Sales managers", "code": "sales_managers", "default_roles": ["manager"]})).await;
    assert_eq!(status(rep.get("/v1/admin/users")).await, 403, "a rep cannot list users");

    let members = format!("/v1/admin/groups/{gid}/members");
    assert_eq!(status(admin.post(&members).json(&json!({"user_id": rep.user.to_string()}))).await, 201);
    assert_eq!(status(rep.get("/v1/admin/users")).await, 200, "a manager by membership, on the next request");
    let g = admin.get_json(&format!("/v1/admin/groups/{gid}")).await;
    assert_eq!(g["data"]["members"][0]["user_id"], rep.user.to_string());

    // A deactivated group grants nothing; reactivated, it grants again.
    assert_eq!(status(admin.request(Method::PATCH, &format!("/v1/admin/groups/{gid}")).json(&json!({"is_active": false}))).await, 200);
    assert_eq!(status(rep.get("/v1/admin/users")).await, 403);
    assert_eq!(status(admin.request(Method::PATCH, &format!("/v1/admin/groups/{gid}")).json(&json!({"is_active": true}))).await, 200);
    assert_eq!(status(rep.get("/v1/admin/users")).await, 200);

    // A group with members cannot be deleted; removing the member revokes at once.
    assert_eq!(status(admin.request(Method::DELETE, &format!("/v1/admin/groups/{gid}"))).await, 409);
    assert_eq!(status(admin.request(Method::DELETE, &members).json(&json!({"user_id": rep.user.to_string()}))).await, 204);
    assert_eq!(status(rep.get("/v1/admin/users")).await, 403);
    assert_eq!(status(admin.request(Method::DELETE, &format!("/v1/admin/groups/{gid}"))).await, 204);

    // Codes are unique; DevFree holds 3 groups; a rep cannot manage groups; foreign ids are 404.
    group(&admin, json!({"name": "A", "code": "team_a"})).await;
    let dup = body_of(admin.post("/v1/admin/groups").json(&json!({"name": "A again", "code": "team_a"}))).await;
    assert_eq!(dup["error"]["code"], "CONFLICT");
    group(&admin, json!({"name": "B", "code": "team_b"})).await;
    group(&admin, json!({"name": "C", "code": "team_c"})).await;
    let full = body_of(admin.post("/v1/admin/groups").json(&json!({"name": "D", "code": "team_d"}))).await;
    assert_eq!((full["error"]["code"].as_str(), full["error"]["limit"].as_i64()), (Some("LIMIT_REACHED"), Some(3)));
    let bad = body_of(admin.post("/v1/admin/groups").json(&json!({"name": "", "code": "Bad Code", "default_roles": ["boss"]}))).await;
    assert_eq!(bad["error"]["details"].as_array().unwrap().len(), 3, "{bad}");
    assert_eq!(status(rep.post("/v1/admin/groups").json(&json!({"name": "X", "code": "x"}))).await, 403);
    let stranger = TestApp::admin().await;
    assert_eq!(status(stranger.get(&format!("/v1/admin/groups/{gid}"))).await, 404);
    let listed = admin.get_json("/v1/admin/groups").await;
    let names: Vec<&str> = listed["data"].as_array().unwrap().iter().map(|g| g["name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["A", "B", "C"]);
}

#[tokio::test]
async fn a_parent_role_inherits_its_children_without_cycles() {
    let admin = TestApp::admin().await;
    let viewer = admin.colleague(&["viewer"]).await;
    assert_eq!(status(viewer.post("/v1/contacts").json(&json!({"first_name": "Amr"}))).await, 403);
    let edge = json!({"parent_role": "viewer", "child_role": "sales_rep"});
    assert_eq!(status(admin.post("/v1/admin/roles/hierarchy").json(&edge)).await, 201);
    assert_eq!(status(viewer.post("/v1/contacts").json(&json!({"first_name": "Amr"}))).await, 201, "viewers now inherit rep rights");
    let cycle = body_of(admin.post("/v1/admin/roles/hierarchy").json(&json!({"parent_role": "sales_rep", "child_role": "viewer"}))).await;
    assert_eq!(cycle["error"]["code"], "ROLE_CYCLE");
    let tree = admin.get_json("/v1/admin/roles/hierarchy").await;
    assert_eq!(tree["data"]["edges"], json!([edge]));
    assert_eq!(tree["data"]["inherits_from"]["viewer"], json!(["sales_rep"]));
    assert_eq!(status(viewer.post("/v1/admin/roles/hierarchy").json(&edge)).await, 403);
    assert_eq!(status(admin.request(Method::DELETE, "/v1/admin/roles/hierarchy").json(&edge)).await, 200);
    assert_eq!(status(viewer.post("/v1/contacts").json(&json!({"first_name": "Amr"}))).await, 403);
}

#[tokio::test]
async fn overrides_apply_user_over_group_over_tenant_over_plan() {
    let admin = TestApp::admin().await;
    let definition = json!({"entity": "contact", "code": "budget", "label": "Budget", "type": "number"});
    let refused = body_of(admin.post("/v1/custom-fields/definitions").json(&definition)).await;
    assert_eq!(
        (refused["error"]["code"].as_str(), refused["error"]["feature"].as_str()),
        (Some("PLAN_REQUIRED"), Some("contacts.customFields"))
    );

    // The operator sells the feature and a larger contacts allowance; the
    // tenant keeps the feature off for everyone but one group…
    let grant = reqwest::Client::new()
        .put(format!("{}/v1/ops/tenants/{}/entitlements", crate::helpers::stack().url, admin.tenant))
        .header("x-operator-key", crate::helpers::OPERATOR_KEY)
        .json(&json!({"features": {"contacts.customFields": true}, "limits": {"contacts.max": 5000}}));
    assert_eq!(status(grant).await, 200);
    let tenant = "/v1/admin/entitlements/overrides/tenant";
    assert_eq!(status(admin.request(Method::PUT, tenant).json(&json!({"features": {"contacts.customFields": false}}))).await, 200);
    assert_eq!(status(admin.post("/v1/custom-fields/definitions").json(&definition)).await, 402, "off tenant-wide");
    // …and a group override turns it on for its members.
    let gid = group(&admin, json!({"name": "Power users", "code": "power"})).await;
    let put = admin
        .request(Method::PUT, &format!("/v1/admin/entitlements/overrides/group?id={gid}"))
        .json(&json!({"features": {"contacts.customFields": true}, "limits": {"contacts.max": 5000}}))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    admin.post(&format!("/v1/admin/groups/{gid}/members")).json(&json!({"user_id": admin.user.to_string()})).send().await.unwrap();
    assert_eq!(status(admin.post("/v1/custom-fields/definitions").json(&definition)).await, 201);
    // …and a user override beats it.
    let me = format!("/v1/admin/entitlements/overrides/user?id={}", admin.user);
    assert_eq!(status(admin.request(Method::PUT, &me).json(&json!({"features": {"contacts.customFields": false}}))).await, 200);
    let again = json!({"entity": "contact", "code": "budget2", "label": "Budget 2", "type": "number"});
    assert_eq!(status(admin.post("/v1/custom-fields/definitions").json(&again)).await, 402);
    let eff = admin.get_json(&format!("/v1/admin/entitlements/effective?userId={}", admin.user)).await;
    let feature = eff["data"]["features"].as_array().unwrap().iter().find(|f| f["key"] == "contacts.customFields").unwrap().clone();
    assert_eq!((feature["enabled"].as_bool(), feature["source"].as_str()), (Some(false), Some("user")));
    let limit = eff["data"]["limits"].as_array().unwrap().iter().find(|l| l["key"] == "contacts.max").unwrap().clone();
    assert_eq!(
        (limit["value"].as_i64(), limit["source"].as_str(), limit["group_id"].as_str()),
        (Some(5000), Some("group"), Some(gid.as_str()))
    );
    let users_max = eff["data"]["limits"].as_array().unwrap().iter().find(|l| l["key"] == "users.max").unwrap().clone();
    assert_eq!((users_max["value"].as_i64(), users_max["source"].as_str()), (Some(3), Some("plan")));

    // Unknown keys are refused; scopes and ids are checked.
    let bad =
        body_of(admin.request(Method::PUT, "/v1/admin/entitlements/overrides/tenant").json(&json!({"features": {"teleport": true}}))).await;
    assert_eq!(bad["error"]["details"][0]["field"], "features.teleport");
    assert_eq!(status(admin.get("/v1/admin/entitlements/overrides/planet")).await, 404);
    let stranger = TestApp::admin().await;
    assert_eq!(status(stranger.get(&format!("/v1/admin/entitlements/overrides/group?id={gid}"))).await, 404);
    assert_eq!(status(stranger.get(&format!("/v1/admin/entitlements/effective?userId={}", admin.user))).await, 404);
}

#[tokio::test]
async fn a_tenant_override_sets_contacts_max_and_the_count_holds_it() {
    let admin = TestApp::admin().await;
    let put = admin
        .request(Method::PUT, "/v1/admin/entitlements/overrides/tenant")
        .json(&json!({"limits": {"contacts.max": 2}}))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    let mut ids = Vec::new();
    for name in ["Ola", "Sara"] {
        let c = body_of(admin.post("/v1/contacts").json(&json!({"first_name": name}))).await;
        ids.push(c["data"]["id"].as_str().unwrap().to_string());
    }
    let full = body_of(admin.post("/v1/contacts").json(&json!({"first_name": "Mona"}))).await;
    assert_eq!(
        (full["error"]["code"].as_str(), full["error"]["key"].as_str(), full["error"]["limit"].as_i64()),
        (Some("LIMIT_REACHED"), Some("contacts.max"), Some(2))
    );
    assert_eq!(status(admin.request(Method::DELETE, &format!("/v1/contacts/{}", ids[0]))).await, 204);
    assert_eq!(status(admin.post("/v1/contacts").json(&json!({"first_name": "Mona"}))).await, 201, "a deleted contact frees its place");
}
