//! Bulk user actions (`POST /v1/admin/users/bulk`): each user through the
//! single route's rules and audited on its own; failures reported per user.

use serde_json::{json, Value};

use crate::helpers::{send, TestApp};

fn outcome<'a>(reply: &'a Value, user: &TestApp) -> &'a Value {
    reply["data"]["results"].as_array().unwrap().iter().find(|r| r["user_id"] == user.user.to_string()).unwrap()
}

#[tokio::test]
async fn a_bulk_suspend_and_role_change_report_each_user_and_audit_each() {
    let admin = TestApp::with_plan(&["admin"], "DevPro").await;
    let (a, b) = (admin.colleague(&["sales_rep"]).await, admin.colleague(&["viewer"]).await);
    let owner = admin.colleague(&["super_admin"]).await;
    let stranger = TestApp::with_plan(&["admin"], "DevPro").await;
    let ids = json!([
        a.user.to_string(),
        b.user.to_string(),
        owner.user.to_string(),
        admin.user.to_string(),
        stranger.user.to_string(),
        "not-an-id"
    ]);

    let (status, reply) = send(admin.post("/v1/admin/users/bulk").json(&json!({"action": "suspend", "user_ids": ids}))).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!((reply["data"]["succeeded"].as_u64(), reply["data"]["failed"].as_u64()), (Some(2), Some(4)), "{reply}");
    assert_eq!((outcome(&reply, &a)["ok"].as_bool(), outcome(&reply, &a)["user"]["status"].as_str()), (Some(true), Some("suspended")));
    assert_eq!(outcome(&reply, &owner)["status"], 403, "an admin does not suspend an owner");
    assert_eq!(outcome(&reply, &admin)["status"], 403, "nor itself");
    assert_eq!(outcome(&reply, &stranger)["status"], 404, "another tenant's user is unknown here");
    let bad = reply["data"]["results"].as_array().unwrap().iter().find(|r| r["user_id"] == "not-an-id").unwrap();
    assert_eq!((bad["status"].as_u64(), bad["error"]["code"].as_str()), (Some(404), Some("NOT_FOUND")));
    assert_eq!(send(a.get("/v1/notes")).await.0, 401, "the suspension applies on the next request");
    assert_eq!(stranger.get_json(&format!("/v1/admin/users/{}", stranger.user)).await["data"]["status"], "active");
    for user in [&a, &b] {
        let audit = admin.get_json(&format!("/v1/admin/audit-logs?action=user.suspended&subject_id={}", user.user)).await;
        assert_eq!(audit["data"].as_array().unwrap().len(), 1, "each user audited: {audit}");
    }

    // A second run: the suspended fail as the single route would, the rest go on.
    let (_, again) = send(admin.post("/v1/admin/users/bulk").json(&json!({"action": "suspend", "user_ids": [a.user.to_string()]}))).await;
    assert_eq!((outcome(&again, &a)["status"].as_u64(), outcome(&again, &a)["error"]["code"].as_str()), (Some(409), Some("CONFLICT")));

    let (status, roles) = send(
        admin.post("/v1/admin/users/bulk").json(&json!({"action": "assign_roles", "user_ids": [a.user.to_string(), b.user.to_string(), owner.user.to_string()], "roles": ["manager"]})),
    )
    .await;
    assert_eq!((status, roles["data"]["succeeded"].as_u64()), (200, Some(2)), "{roles}");
    assert_eq!(outcome(&roles, &b)["user"]["roles"], json!(["manager"]));
    assert_eq!(outcome(&roles, &owner)["status"], 403);

    // Bad requests change nothing.
    for body in [
        json!({"action": "assign_roles", "user_ids": [b.user.to_string()]}),
        json!({"action": "suspend", "user_ids": [b.user.to_string()], "roles": ["viewer"]}),
        json!({"action": "assign_roles", "user_ids": [b.user.to_string()], "roles": ["emperor"]}),
        json!({"action": "explode", "user_ids": [b.user.to_string()]}),
        json!({"action": "suspend", "user_ids": []}),
        json!({"action": "suspend", "user_ids": (0..101).map(|i| i.to_string()).collect::<Vec<_>>()}),
    ] {
        let (status, body) = send(admin.post("/v1/admin/users/bulk").json(&body)).await;
        assert_eq!(status, 400, "{body}");
    }
    assert_eq!(admin.get_json(&format!("/v1/admin/users/{}", b.user)).await["data"]["status"], "suspended");
    let viewer = admin.colleague(&["viewer"]).await;
    let (status, _) = send(viewer.post("/v1/admin/users/bulk").json(&json!({"action": "suspend", "user_ids": [b.user.to_string()]}))).await;
    assert_eq!(status, 403, "a bulk action needs the permission of its single route");
}
