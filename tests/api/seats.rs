//! The seat view (`GET /v1/admin/seats`, `seats.view`): included, used,
//! available and who holds them, adding up after creates, invites and
//! deactivations.

use serde_json::{json, Value};

use crate::helpers::{body_of, send, TestApp};

async fn seats(app: &TestApp) -> Value {
    let (status, body) = send(app.get("/v1/admin/seats")).await;
    assert_eq!(status, 200, "{body}");
    body["data"].clone()
}

fn holders(seats: &Value) -> Vec<String> {
    seats["holders"].as_array().unwrap().iter().map(|h| h["user_id"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn seats_add_up_after_creates_invites_and_deactivations() {
    // DevFree includes 3 seats; the admin holds the first.
    let admin = TestApp::with_plan(&["admin"], "DevFree").await;
    let first = seats(&admin).await;
    assert_eq!((first["included"].as_i64(), first["used"].as_i64(), first["available"].as_i64()), (Some(3), Some(1), Some(2)), "{first}");
    assert_eq!(holders(&first), vec![admin.user.to_string()]);

    let rep = admin.colleague(&["sales_rep"]).await;
    let body = |n: u32| json!({ "email": format!("seat{n}-{}@seats.example.com", admin.tenant.to_string().to_lowercase()), "full_name": "Seat Holder", "password": "s3cret-pass-123", "roles": ["viewer"] });
    let created = body_of(admin.post("/v1/admin/users").json(&body(1))).await;
    let id = created["data"]["id"].as_str().expect("a user").to_string();
    let full = seats(&admin).await;
    assert_eq!((full["used"].as_i64(), full["available"].as_i64()), (Some(3), Some(0)), "{full}");
    let mut held = holders(&full);
    held.sort();
    let mut want = vec![admin.user.to_string(), rep.user.to_string(), id.clone()];
    want.sort();
    assert_eq!(held, want);

    // The plan is full: a fourth is refused, and the count does not move.
    let (status, refused) = send(admin.post("/v1/admin/users").json(&body(2))).await;
    assert_eq!((status, refused["error"]["code"].as_str()), (422, Some("LIMIT_REACHED")), "{refused}");
    assert_eq!(seats(&admin).await["used"], 3);

    // A deactivation frees the seat and leaves the holders; an invitation takes it back.
    let (status, _) = send(admin.post(&format!("/v1/admin/users/{id}/deactivate"))).await;
    assert_eq!(status, 200);
    let after = seats(&admin).await;
    assert_eq!((after["used"].as_i64(), after["available"].as_i64()), (Some(2), Some(1)), "{after}");
    assert!(!holders(&after).contains(&id), "{after}");
    let invitee = format!("seat-invite-{}@seats.example.com", admin.tenant.to_string().to_lowercase());
    let (status, invited) = send(admin.post("/v1/admin/users/invite").json(&json!({"email": invitee, "roles": ["viewer"]}))).await;
    assert_eq!(status, 201, "{invited}");
    let pending = seats(&admin).await;
    assert_eq!(
        (pending["used"].as_i64(), pending["available"].as_i64()),
        (Some(3), Some(0)),
        "a pending invitation holds a seat: {pending}"
    );
    let (status, refused) =
        send(admin.post("/v1/admin/users/invite").json(&json!({"email": format!("x{invitee}"), "roles": ["viewer"]}))).await;
    assert_eq!((status, refused["error"]["code"].as_str()), (422, Some("LIMIT_REACHED")));

    // Only `seats.view` shows them; another tenant sees its own.
    assert_eq!(send(rep.get("/v1/admin/seats")).await.0, 403);
    let stranger = TestApp::with_plan(&["admin"], "DevFree").await;
    assert_eq!(holders(&seats(&stranger).await), vec![stranger.user.to_string()]);
    assert_eq!(send(admin.get("/v1/admin/seats?per_page=5")).await.0, 400, "an unknown parameter is refused");
}
