//! Lifecycle notices (email and inbox, English and Arabic templates): the
//! user on suspend, deactivate and reactivate; the inviter when an
//! invitation is accepted; the admins when the seat limit is reached.

use serde_json::{json, Value};

use crate::helpers::{body_of, eventually, mailbox, send, token_from_mail, TestApp, PIPELINE};

fn fixture_email(user: &TestApp) -> String {
    format!("{}@fixture.example.com", user.user.to_string().to_lowercase())
}

/// The delivered email of `family` to `to`, once the worker sent it.
async fn mail_of(to: &str, family: &str) -> Value {
    eventually(&format!("{family} mail to {to}"), PIPELINE, || async {
        mailbox(to).await.into_iter().find(|m| m["template_code"] == family)
    })
    .await
}

/// The inbox entry of `family` for `user`, as an admin reads it.
async fn inbox_of(admin: &TestApp, user: &TestApp, family: &str) -> Value {
    eventually(&format!("{family} inbox entry"), PIPELINE, || async {
        let entries = admin.get_json(&format!("/v1/admin/notifications/{}", user.user)).await;
        entries["data"].as_array()?.iter().find(|e| e["meta"]["template_code"] == family).cloned()
    })
    .await
}

#[tokio::test]
async fn the_user_hears_of_a_suspension_a_deactivation_and_a_reactivation() {
    let admin = TestApp::with_plan(&["admin"], "DevPro").await;
    let rep = admin.colleague(&["sales_rep"]).await;
    let email = fixture_email(&rep);
    for (action, family) in [("suspend", "user.suspended"), ("reactivate", "user.reactivated"), ("deactivate", "user.deactivated")] {
        let (status, body) = send(admin.post(&format!("/v1/admin/users/{}/{action}", rep.user))).await;
        assert_eq!(status, 200, "{action}: {body}");
        let mail = mail_of(&email, family).await;
        assert!(mail["body"].as_str().unwrap().contains("Test tenant"), "{mail}");
        let entry = inbox_of(&admin, &rep, family).await;
        assert!(entry["body"].as_str().unwrap().contains("Test tenant"), "{entry}");
    }
    // In the user's language.
    let arabic = admin.colleague(&["viewer"]).await;
    let (status, body) =
        send(admin.request(reqwest::Method::PATCH, &format!("/v1/admin/users/{}", arabic.user)).json(&json!({"locale": "ar"}))).await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = send(admin.post(&format!("/v1/admin/users/{}/suspend", arabic.user))).await;
    assert_eq!(status, 200);
    let mail = mail_of(&fixture_email(&arabic), "user.suspended").await;
    assert!(mail["subject"].as_str().unwrap().contains("تعليق"), "{mail}");
}

#[tokio::test]
async fn the_inviter_hears_when_the_invitation_is_accepted() {
    let admin = TestApp::with_plan(&["admin"], "DevPro").await;
    let invitee = format!("joiner-{}@notices.example.com", admin.tenant.to_string().to_lowercase());
    let (status, body) = send(admin.post("/v1/admin/users/invite").json(&json!({"email": invitee, "roles": ["viewer"]}))).await;
    assert_eq!(status, 201, "{body}");
    let token = token_from_mail(&invitee, "auth.invitation").await;
    let accepted = crate::helpers::stack().url.clone() + "/v1/admin/users/accept-invite";
    let resp = reqwest::Client::new()
        .post(accepted)
        .json(&json!({"token": token, "full_name": "Nour Joiner", "password": "s3cret-pass-123"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let mail = mail_of(&fixture_email(&admin), "user.invitation_accepted").await;
    assert!(mail["body"].as_str().unwrap().contains("Nour Joiner") && mail["body"].as_str().unwrap().contains(&invitee), "{mail}");
    let entry = eventually("the inviter's inbox entry", PIPELINE, || async {
        admin.get_json("/v1/me/notifications").await["data"]
            .as_array()?
            .iter()
            .find(|e| e["meta"]["template_code"] == "user.invitation_accepted")
            .cloned()
    })
    .await;
    assert!(entry["body"].as_str().unwrap().contains("Nour Joiner"), "{entry}");
}

#[tokio::test]
async fn the_admins_hear_when_the_seats_run_out_and_the_event_is_audited() {
    // DevFree: 3 seats; the admin and a rep hold two. Only holders of seats.view hear.
    let admin = TestApp::with_plan(&["admin"], "DevFree").await;
    let rep = admin.colleague(&["sales_rep"]).await;
    let body = |n: u32| json!({"email": format!("seat{n}-{}@notices.example.com", admin.tenant.to_string().to_lowercase()), "full_name": "Seat", "password": "s3cret-pass-123", "roles": ["viewer"]});
    assert_eq!(send(admin.post("/v1/admin/users").json(&body(1))).await.0, 201);
    let refused = body_of(admin.post("/v1/admin/users").json(&body(2))).await;
    assert_eq!(refused["error"]["code"], "LIMIT_REACHED", "{refused}");
    let (status, invited) =
        send(admin.post("/v1/admin/users/invite").json(&json!({"email": "late@notices.example.com", "roles": ["viewer"]}))).await;
    assert_eq!((status, invited["error"]["code"].as_str()), (422, Some("LIMIT_REACHED")));

    let audit = admin.get_json("/v1/admin/audit-logs?action=tenant.seat.limit_reached").await;
    let entries = audit["data"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "each refusal is audited: {audit}");
    assert_eq!(
        (entries[0]["details"]["included"].as_i64(), entries[0]["actor"]["user_id"].as_str()),
        (Some(3), Some(admin.user.to_string().as_str()))
    );

    let mail = mail_of(&fixture_email(&admin), "tenant.seat_limit_reached").await;
    assert!(mail["body"].as_str().unwrap().contains("3 seats"), "{mail}");
    inbox_of(&admin, &admin, "tenant.seat_limit_reached").await;
    // Messages are written with the change that causes them: what is not queued is never sent.
    let queued = crate::helpers::queued_messages(admin.tenant).await;
    let notices: Vec<_> = queued.iter().filter(|m| m.template_code == "tenant.seat_limit_reached").collect();
    assert_eq!(notices.len(), 2, "one email and one inbox entry, once an hour, not once a refusal");
    assert!(
        notices.iter().all(|m| m.recipient_user_id == Some(admin.user) && m.recipient_user_id != Some(rep.user)),
        "a rep holds no seats.view"
    );
}
