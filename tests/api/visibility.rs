//! Who sees whose records (ADR 0013): everyone by
//! default; in `team` mode one's own, one's groups' and the roles below
//! one's own; admins everything; private contacts their owner and admins.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{body_of, TestApp};

async fn status(req: reqwest::RequestBuilder) -> u16 {
    req.send().await.unwrap().status().as_u16()
}

async fn contact(app: &TestApp, first_name: &str) -> String {
    let c = body_of(app.post("/v1/contacts").json(&json!({"first_name": first_name, "last_name": "Visibility"}))).await;
    c["data"]["id"].as_str().unwrap_or_else(|| panic!("{c}")).to_string()
}

fn names(list: &Value) -> Vec<String> {
    let mut n: Vec<String> = list["data"].as_array().unwrap().iter().map(|c| c["first_name"].as_str().unwrap().to_string()).collect();
    n.sort();
    n
}

fn titles(list: &Value) -> Vec<String> {
    let mut n: Vec<String> = list["data"].as_array().unwrap().iter().map(|t| t["title"].as_str().unwrap().to_string()).collect();
    n.sort();
    n
}

#[tokio::test]
async fn team_mode_limits_records_to_groups_and_managed_roles() {
    let admin = TestApp::with_plan(&["admin"], "DevPro").await;
    let (ann, ben, cat) = (admin.colleague(&["sales_rep"]).await, admin.colleague(&["sales_rep"]).await, admin.colleague(&["staff"]).await);
    let boss = admin.colleague(&["manager"]).await;
    let group = body_of(admin.post("/v1/admin/groups").json(&json!({"name": "North", "code": "north"}))).await;
    let members = format!("/v1/admin/groups/{}/members", group["data"]["id"].as_str().unwrap());
    for u in [&ann, &ben] {
        assert_eq!(status(admin.post(&members).json(&json!({"user_id": u.user.to_string()}))).await, 201);
    }
    assert_eq!(
        status(admin.post("/v1/admin/roles/hierarchy").json(&json!({"parent_role": "manager", "child_role": "sales_rep"}))).await,
        201
    );
    let (a, _b, c) = (contact(&ann, "Ann").await, contact(&ben, "Ben").await, contact(&cat, "Cat").await);
    let nobody =
        body_of(admin.post("/v1/contacts").json(&json!({"first_name": "Nobody", "last_name": "Visibility", "owner_user_id": null}))).await;
    assert_eq!(nobody["data"]["owner_user_id"], Value::Null);
    for (u, title) in [(&ann, "Ann's task"), (&ben, "Ben's task"), (&cat, "Cat's task")] {
        assert_eq!(status(u.post("/v1/tasks").json(&json!({"title": title}))).await, 201);
    }

    // Everyone sees everything until the tenant restricts it.
    assert_eq!(admin.get_json("/v1/admin/roles/visibility").await["data"]["mode"], "all");
    assert_eq!(status(cat.get(&format!("/v1/contacts/{a}"))).await, 200);
    assert_eq!(names(&cat.get_json("/v1/contacts?search=visibility").await), ["Ann", "Ben", "Cat", "Nobody"]);

    let bad = body_of(admin.request(Method::PUT, "/v1/admin/roles/visibility").json(&json!({"mode": "secret"}))).await;
    assert_eq!(bad["error"]["details"][0]["field"], "mode");
    assert_eq!(status(ann.request(Method::PUT, "/v1/admin/roles/visibility").json(&json!({"mode": "team"}))).await, 403);
    assert_eq!(status(admin.request(Method::PUT, "/v1/admin/roles/visibility").json(&json!({"mode": "team"}))).await, 200);

    // Ann sees her group (Ben) and unowned records, on the next request.
    assert_eq!(names(&ann.get_json("/v1/contacts").await), ["Ann", "Ben", "Nobody"]);
    assert_eq!(names(&ann.get_json("/v1/contacts?search=visibility").await), ["Ann", "Ben", "Nobody"]);
    assert_eq!(names(&ann.get_json(&format!("/v1/contacts?owner={}", cat.user)).await), Vec::<String>::new());
    assert_eq!(status(ann.get(&format!("/v1/contacts/{c}"))).await, 404, "out of her team: it does not exist for her");
    assert_eq!(status(ann.request(Method::PATCH, &format!("/v1/contacts/{c}")).json(&json!({"job_title": "x"}))).await, 404);
    assert_eq!(status(ann.get(&format!("/v1/timeline?subject_type=contact&subject_id={c}"))).await, 404);
    assert_eq!(titles(&ann.get_json("/v1/tasks?owner=all").await), ["Ann's task", "Ben's task"]);
    // Cat, in no group, sees her own; the manager sees every sales rep's; the admin all.
    assert_eq!(names(&cat.get_json("/v1/contacts").await), ["Cat", "Nobody"]);
    assert_eq!(names(&boss.get_json("/v1/contacts").await), ["Ann", "Ben", "Nobody"]);
    assert_eq!(titles(&boss.get_json("/v1/tasks?owner=all").await), ["Ann's task", "Ben's task"]);
    assert_eq!(names(&admin.get_json("/v1/contacts").await), ["Ann", "Ben", "Cat", "Nobody"]);
    assert_eq!(status(admin.get(&format!("/v1/contacts/{c}"))).await, 200);

    // Leaving the group narrows Ben's view at once; back to `all` restores it.
    assert_eq!(status(admin.request(Method::DELETE, &members).json(&json!({"user_id": ben.user.to_string()}))).await, 204);
    assert_eq!(names(&ben.get_json("/v1/contacts").await), ["Ben", "Nobody"]);
    assert_eq!(status(ben.get(&format!("/v1/contacts/{a}"))).await, 404);
    assert_eq!(status(admin.request(Method::PUT, "/v1/admin/roles/visibility").json(&json!({"mode": "all"}))).await, 200);
    assert_eq!(status(ben.get(&format!("/v1/contacts/{a}"))).await, 200);
}

#[tokio::test]
async fn private_contacts_are_seen_by_their_owner_and_admins_only() {
    let free = TestApp::with_plan(&["admin"], "DevFree").await;
    let refused = body_of(free.post("/v1/contacts").json(&json!({"first_name": "Secret", "private": true}))).await;
    assert_eq!(refused["error"]["code"], "PLAN_REQUIRED", "{refused}");

    let admin = TestApp::with_plan(&["admin"], "DevPro").await;
    let (owner, other) = (admin.colleague(&["sales_rep"]).await, admin.colleague(&["sales_rep"]).await);
    let unowned = body_of(owner.post("/v1/contacts").json(&json!({"first_name": "Secret", "private": true, "owner_user_id": null}))).await;
    assert_eq!(unowned["error"]["details"][0]["field"], "private", "{unowned}");
    let made = body_of(owner.post("/v1/contacts").json(&json!({"first_name": "Secret", "last_name": "Client", "private": true}))).await;
    let id = made["data"]["id"].as_str().unwrap().to_string();
    assert_eq!(made["data"]["private"], true);
    assert_eq!(
        status(owner.post("/v1/tasks").json(&json!({"title": "Call the secret client", "related": {"type": "contact", "id": id}}))).await,
        201
    );

    assert_eq!(status(owner.get(&format!("/v1/contacts/{id}"))).await, 200);
    assert_eq!(status(admin.get(&format!("/v1/contacts/{id}"))).await, 200);
    assert_eq!(status(other.get(&format!("/v1/contacts/{id}"))).await, 404);
    assert_eq!(status(other.get(&format!("/v1/timeline?subject_type=contact&subject_id={id}"))).await, 404);
    assert_eq!(other.get_json("/v1/contacts?search=secret").await["data"], json!([]));
    assert!(!other.get_json("/v1/contacts").await["data"].as_array().unwrap().iter().any(|c| c["id"] == id));
    assert_eq!(names(&owner.get_json("/v1/contacts?search=secret").await), ["Secret"]);
    assert_eq!(names(&admin.get_json("/v1/contacts?search=secret").await), ["Secret"]);

    // Made public again, everyone sees it.
    assert_eq!(status(owner.request(Method::PATCH, &format!("/v1/contacts/{id}")).json(&json!({"private": false}))).await, 200);
    assert_eq!(status(other.get(&format!("/v1/contacts/{id}"))).await, 200);
}
