//! Pending invitations (`/v1/admin/invitations`): listed, sent again with
//! a new link (rate-limited), revoked (the seat, the email and the link go).

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{eventually, mailbox, send, TestApp, PIPELINE};

async fn invite(admin: &TestApp, email: &str) -> Value {
    let (status, body) = send(admin.post("/v1/admin/users/invite").json(&json!({"email": email, "roles": ["viewer"]}))).await;
    assert_eq!(status, 201, "{body}");
    body["data"].clone()
}

/// Every invitation link mailed to `to` so far, newest first.
async fn links(to: &str, at_least: usize) -> Vec<String> {
    eventually(&format!("{at_least} invitation mails to {to}"), PIPELINE, || async {
        let found: Vec<String> = mailbox(to)
            .await
            .iter()
            .filter(|m| m["template_code"] == "auth.invitation")
            .filter_map(|m| {
                let body = m["body"].as_str()?;
                Some(body[body.find("token=")? + 6..].split_whitespace().next()?.to_string())
            })
            .collect();
        (found.len() >= at_least).then_some(found)
    })
    .await
}

/// Moves the invitation's last send a minute back, as if the minute had passed.
async fn sent_a_minute_ago(admin: &TestApp, id: &str) {
    let store = crate::helpers::fixture_store().await;
    let key =
        identity::onetime::OneTime::key(identity::onetime::Purpose::Invitation, admin.tenant, crm_kernel::EntityId::parse(id).unwrap());
    let mut inv: identity::onetime::OneTime = store.get_as(&key).await.unwrap().unwrap();
    inv.payload["last_sent_at"] = json!(crm_kernel::Timestamp::now().plus_seconds(-61));
    store.put(inv.to_item(identity::onetime::Purpose::Invitation).unwrap()).await.unwrap();
}

async fn accept(token: &str) -> u16 {
    let url = format!("{}/v1/admin/users/accept-invite", crate::helpers::stack().url);
    let body = json!({"token": token, "full_name": "Invited Person", "password": "s3cret-pass-123"});
    reqwest::Client::new().post(url).json(&body).send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn pending_invitations_are_listed_resent_with_a_limit_and_revoked() {
    let admin = TestApp::with_plan(&["admin"], "DevFree").await;
    let tag = admin.tenant.to_string().to_lowercase();
    let (first, second) = (format!("first-{tag}@inv.example.com"), format!("second-{tag}@inv.example.com"));
    let one = invite(&admin, &first).await;
    let two = invite(&admin, &second).await;
    let listed = admin.get_json("/v1/admin/invitations").await["data"].clone();
    let emails: Vec<&str> = listed.as_array().unwrap().iter().filter_map(|i| i["email"].as_str()).collect();
    assert_eq!(emails, [first.as_str(), second.as_str()], "soonest to expire first");
    assert_eq!((listed[0]["roles"].clone(), listed[0]["invited_by"].as_str()), (json!(["viewer"]), Some(admin.user.to_string().as_str())));
    assert!(listed[0].get("hash").is_none() && !listed.to_string().contains("token"), "no secret in the list: {listed}");

    // Not within a minute of the last send; then a new link, the old one dead.
    let id = one["invitation_id"].as_str().unwrap();
    let old = links(&first, 1).await.remove(0);
    let resend = || send(admin.post(&format!("/v1/admin/invitations/{id}/resend")));
    let (status, early) = resend().await;
    assert_eq!((status, early["error"]["code"].as_str()), (429, Some("RATE_LIMIT_EXCEEDED")), "{early}");
    sent_a_minute_ago(&admin, id).await;
    let (status, resent) = resend().await;
    assert_eq!((status, resent["data"]["resends"].as_i64()), (202, Some(1)), "{resent}");
    let (status, again) = resend().await;
    assert_eq!(status, 429, "{again}");
    let new = links(&first, 2).await.remove(0);
    assert_ne!(new, old);
    assert_eq!(accept(&old).await, 400, "the first link no longer works");

    // A revoke: the seat and the email come back, the link dies, the list forgets it.
    let seats = admin.get_json("/v1/admin/seats").await["data"]["used"].as_i64().unwrap();
    let revoked = two["invitation_id"].as_str().unwrap();
    assert_eq!(send(admin.request(Method::DELETE, &format!("/v1/admin/invitations/{revoked}"))).await.0, 204);
    assert_eq!(admin.get_json("/v1/admin/seats").await["data"]["used"].as_i64(), Some(seats - 1), "its seat is free");
    assert_eq!(accept(&links(&second, 1).await.remove(0)).await, 400, "its link is dead");
    assert_eq!(send(admin.request(Method::DELETE, &format!("/v1/admin/invitations/{revoked}"))).await.0, 404, "once");
    let left: Vec<String> = admin.get_json("/v1/admin/invitations").await["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["email"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(left, vec![first.to_string()]);
    invite(&admin, &second).await;
    let audit = admin.get_json("/v1/admin/audit-logs?action=user.invitation.revoked").await;
    assert_eq!(audit["data"][0]["details"]["email"], second.as_str(), "{audit}");

    // The new link still works, and then the invitation is no longer pending.
    assert_eq!(accept(&new).await, 201);
    assert_eq!(send(admin.post(&format!("/v1/admin/invitations/{id}/resend"))).await.0, 404);

    // Another tenant, and a role the caller could not grant, reach nothing.
    let stranger = TestApp::with_plan(&["admin"], "DevFree").await;
    assert_eq!(stranger.get_json("/v1/admin/invitations").await["data"], json!([]));
    let pending = admin.get_json("/v1/admin/invitations").await["data"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(send(stranger.request(Method::DELETE, &format!("/v1/admin/invitations/{pending}"))).await.0, 404);
    assert_eq!(send(stranger.post(&format!("/v1/admin/invitations/{pending}/resend"))).await.0, 404);
    let rep = admin.colleague(&["sales_rep"]).await;
    assert_eq!(send(rep.get("/v1/admin/invitations")).await.0, 403);
}
