//! Contacts over HTTP: create, read, edit, delete; duplicates blocked on
//! email and phone — also when created at the same instant; search by
//! Arabic or accented names, email and phone; lists by company and owner;
//! another tenant's ids.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{body_of, eventually, unique_phone, TestApp};

async fn create(app: &TestApp, body: Value) -> (u16, Value) {
    let resp = app.post("/v1/contacts").json(&body).send().await.unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

fn email() -> String {
    format!("{}@people.example.com", ulid::Ulid::new().to_string().to_lowercase())
}

#[tokio::test]
async fn duplicates_are_blocked_on_email_and_phone_and_released_on_delete() {
    let app = TestApp::with_roles(&["manager"]).await;
    let acme: Value = body_of(app.post("/v1/companies").json(&json!({"name": "Acme Corporation"}))).await;
    let acme_id = acme["data"]["id"].as_str().unwrap().to_string();
    let (mail, phone) = (email(), unique_phone());
    let (s, bob) = create(&app, json!({"first_name": "Bob", "last_name": "Wilson", "email": mail.to_uppercase(), "phone": phone, "company_id": acme_id, "lifecycle_stage": "customer"})).await;
    assert_eq!(s, 201, "{bob}");
    let bob_id = bob["data"]["id"].as_str().unwrap().to_string();
    assert_eq!((bob["data"]["email"].as_str(), bob["data"]["full_name"].as_str()), (Some(mail.as_str()), Some("Bob Wilson")));

    let (s, dup) = create(&app, json!({"first_name": "Robert", "email": mail})).await;
    assert_eq!((s, dup["error"]["code"].as_str()), (409, Some("CONFLICT")));
    assert!(dup["error"]["message"].as_str().unwrap().contains(&bob_id), "names the holder: {dup}");
    assert_eq!(create(&app, json!({"first_name": "Rob", "phone": phone})).await.0, 409);
    let (s, jane) = create(&app, json!({"first_name": "Jane", "email": email(), "company_id": acme_id})).await;
    assert_eq!(s, 201);
    let jane_id = jane["data"]["id"].as_str().unwrap().to_string();
    let taken = app.request(Method::PATCH, &format!("/v1/contacts/{jane_id}")).json(&json!({"email": mail})).send().await.unwrap();
    assert_eq!(taken.status(), 409, "an update cannot take another contact's email");

    // Lists: the company's contacts by name, the customers.
    let of_acme = app.get_json(&format!("/v1/contacts?company={acme_id}")).await;
    let names: Vec<&str> = of_acme["data"].as_array().unwrap().iter().map(|c| c["full_name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["Bob Wilson", "Jane"]);
    assert_eq!(app.get_json("/v1/contacts?lifecycle=customer").await["data"].as_array().unwrap().len(), 1);
    let bad =
        body_of(app.post("/v1/contacts").json(&json!({"first_name": "X", "company_id": crm_kernel::EntityId::new().to_string()}))).await;
    assert_eq!(bad["error"]["details"][0]["field"], "company_id");

    // Deleting Bob releases his email and phone.
    assert_eq!(app.request(Method::DELETE, &format!("/v1/contacts/{bob_id}")).send().await.unwrap().status(), 204);
    assert_eq!(create(&app, json!({"first_name": "Bobby", "email": mail, "phone": phone})).await.0, 201);
}

#[tokio::test]
async fn simultaneous_creates_of_one_email_leave_exactly_one_contact() {
    let app = TestApp::with_roles(&["sales_rep"]).await;
    let mail = email();
    let results = futures::future::join_all((0..8).map(|i| create(&app, json!({"first_name": format!("Twin {i}"), "email": mail})))).await;
    let statuses: Vec<u16> = results.iter().map(|(s, _)| *s).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 201 || *s == 409), "{statuses:?}");
    let found = app.get_json(&format!("/v1/contacts?search={mail}")).await;
    assert_eq!(found["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn search_finds_arabic_and_accented_names_emails_and_phones_within_the_tenant() {
    let app = TestApp::with_roles(&["manager"]).await;
    let phone = unique_phone();
    let mail = email();
    create(&app, json!({"first_name": "أحمد", "last_name": "مصطفى"})).await;
    create(&app, json!({"first_name": "Zoë", "last_name": "Ünal", "email": mail, "phone": phone})).await;
    let names =
        |v: Value| -> Vec<String> { v["data"].as_array().unwrap().iter().map(|c| c["full_name"].as_str().unwrap().to_string()).collect() };
    assert_eq!(names(app.get_json("/v1/contacts?search=احمد").await), vec!["أحمد مصطفى"]);
    assert_eq!(names(app.get_json("/v1/contacts?search=مصطفي").await), vec!["أحمد مصطفى"]);
    assert_eq!(names(app.get_json("/v1/contacts?search=zoe%20un").await), vec!["Zoë Ünal"]);
    assert_eq!(names(app.get_json(&format!("/v1/contacts?search={}", &mail[..12])).await), vec!["Zoë Ünal"]);
    let local = format!("0{}", &phone[3..]);
    assert_eq!(names(app.get_json(&format!("/v1/contacts?search={local}")).await), vec!["Zoë Ünal"], "the local way: {local}");

    let other = TestApp::with_roles(&["manager"]).await;
    assert_eq!(other.get_json("/v1/contacts?search=احمد").await["data"], json!([]));
    let id = app.get_json("/v1/contacts?search=zoe").await["data"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(other.get(&format!("/v1/contacts/{id}")).send().await.unwrap().status(), 404);
    assert_eq!(other.request(Method::DELETE, &format!("/v1/contacts/{id}")).send().await.unwrap().status(), 404);
    // The same email is free in another tenant.
    assert_eq!(create(&other, json!({"first_name": "Zoe", "email": mail})).await.0, 201);
}

#[tokio::test]
async fn dedupe_check_previews_and_merge_keeps_the_target_and_tombstones_the_source() {
    let app = TestApp::with_roles(&["manager"]).await;
    let acme: Value = body_of(app.post("/v1/companies").json(&json!({"name": "Acme Corporation"}))).await;
    let acme_id = acme["data"]["id"].as_str().unwrap().to_string();
    let (mail, other_mail, phone) = (email(), email(), unique_phone());
    let (_, target) = create(&app, json!({"first_name": "Bob", "last_name": "Wilson", "email": mail, "company_id": acme_id})).await;
    let (_, source) =
        create(&app, json!({"first_name": "Bob", "last_name": "Wilson", "email": other_mail, "phone": phone, "job_title": "CFO"})).await;
    let (tid, sid) = (target["data"]["id"].as_str().unwrap().to_string(), source["data"]["id"].as_str().unwrap().to_string());

    let check = body_of(
        app.post("/v1/contacts/dedupe/check")
            .json(&json!({"first_name": "Bob", "last_name": "Wilson", "email": mail, "company_id": acme_id})),
    )
    .await;
    assert_eq!(check["data"]["blocking"], json!([{"contact_id": tid, "reason": "email"}]));
    let check =
        body_of(app.post("/v1/contacts/dedupe/check").json(&json!({"first_name": "bob", "last_name": "wilson", "company_id": acme_id})))
            .await;
    assert_eq!(
        (check["data"]["suggestions"][0]["contact_id"].as_str(), check["data"]["suggestions"][0]["reason"].as_str()),
        (Some(tid.as_str()), Some("name_company"))
    );

    let merged = body_of(app.post("/v1/contacts/merge").json(&json!({"target_id": tid, "source_id": sid}))).await;
    let kept = &merged["data"]["target"];
    assert_eq!(
        (kept["id"].as_str(), kept["email"].as_str(), kept["phone"].as_str(), kept["job_title"].as_str()),
        (Some(tid.as_str()), Some(mail.as_str()), Some(phone.as_str()), Some("CFO"))
    );
    let emails: Vec<(&str, bool)> = kept["channels"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["type"] == "email")
        .map(|c| (c["value"].as_str().unwrap(), c["is_primary"].as_bool().unwrap()))
        .collect();
    assert_eq!(emails, vec![(mail.as_str(), true), (other_mail.as_str(), false)], "the source's email joins the target's channels");
    // The source is a tombstone: readable, pointing at the target, in no list or search, unchangeable.
    let s = app.get_json(&format!("/v1/contacts/{sid}")).await;
    assert_eq!(s["data"]["merged_into_id"], tid.as_str());
    let listed: Vec<String> =
        app.get_json("/v1/contacts").await["data"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_string()).collect();
    assert_eq!(listed, vec![tid.clone()]);
    let found = app.get_json(&format!("/v1/contacts?search={other_mail}")).await;
    assert_eq!(found["data"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect::<Vec<_>>(), vec![tid.as_str()]);
    assert_eq!(
        app.request(Method::PATCH, &format!("/v1/contacts/{sid}")).json(&json!({"first_name": "X"})).send().await.unwrap().status(),
        409
    );
    assert_eq!(app.post("/v1/contacts/merge").json(&json!({"target_id": tid, "source_id": sid})).send().await.unwrap().status(), 409);
    // The source's addresses now belong to the target.
    assert_eq!(create(&app, json!({"first_name": "Copy", "phone": phone})).await.0, 409);
    let (s, dup) = create(&app, json!({"first_name": "Robert", "email": other_mail})).await;
    assert!(s == 409 && dup["error"]["message"].as_str().unwrap().contains(&tid), "{dup}");
    let rep = app.colleague(&["sales_rep"]).await;
    assert_eq!(rep.post("/v1/contacts/merge").json(&json!({"target_id": tid, "source_id": sid})).send().await.unwrap().status(), 403);
}

#[tokio::test]
async fn a_merge_moves_the_sources_notes_tasks_and_activities_to_the_target() {
    let app = TestApp::with_roles(&["manager"]).await;
    let (_, target) = create(&app, json!({"first_name": "Hany", "email": email()})).await;
    let (_, source) = create(&app, json!({"first_name": "Hany", "last_name": "Saad", "phone": unique_phone()})).await;
    let (tid, sid) = (target["data"]["id"].as_str().unwrap().to_string(), source["data"]["id"].as_str().unwrap().to_string());
    let on_source = json!({"type": "contact", "id": sid});
    body_of(app.post("/v1/notes").json(&json!({"body": "Prefers WhatsApp", "subject": on_source}))).await;
    let task = body_of(app.post("/v1/tasks").json(&json!({"title": "Send the brochure", "related": on_source}))).await;
    body_of(app.post("/v1/activities").json(
        &json!({"type": "call", "title": "First call", "direction": "inbound", "started_at": "2026-11-20T10:00:00Z", "subject": on_source}),
    ))
    .await;
    body_of(app.post("/v1/notes").json(&json!({"body": "Target's own note", "subject": {"type": "contact", "id": tid}}))).await;

    assert_eq!(app.post("/v1/contacts/merge").json(&json!({"target_id": tid, "source_id": sid})).send().await.unwrap().status(), 200);
    let timeline = eventually("the source's timeline on the target", crate::helpers::PIPELINE, || async {
        let t = app.get_json(&format!("/v1/timeline?subject_type=contact&subject_id={tid}")).await;
        (t["data"].as_array().map(Vec::len) == Some(4)).then_some(t)
    })
    .await;
    let mut kinds: Vec<&str> = timeline["data"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    kinds.sort();
    assert_eq!(kinds, vec!["activity", "note", "note", "task"]);
    let left = app.get_json(&format!("/v1/timeline?subject_type=contact&subject_id={sid}")).await;
    assert_eq!(left["data"], json!([]));
    let moved = app.get_json(&format!("/v1/tasks/{}", task["data"]["id"].as_str().unwrap())).await;
    assert_eq!(moved["data"]["related"], json!({"type": "contact", "id": tid}));
}
