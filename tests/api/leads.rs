//! Leads over HTTP (ADR 0015): created, imported and captured from web
//! forms; scored by the tenant's rules with the parts shown; assigned
//! round-robin (race-free) or by rules; checked against contacts and
//! companies; converted into a contact, a company and a deal in one
//! transaction that nothing is ever made twice by; owners told; another
//! tenant sees nothing.

use std::collections::HashMap;

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{body_of, error_fields as fields, eventually, send, TestApp};

async fn lead(app: &TestApp, body: Value) -> Value {
    let l = body_of(app.post("/v1/leads").json(&body)).await;
    assert!(l["data"]["id"].is_string(), "{l}");
    l["data"].clone()
}

async fn notice(app: &TestApp, family: &str) -> Value {
    eventually(&format!("{family} in the inbox"), crate::helpers::PIPELINE, || async {
        app.get_json("/v1/me/notifications").await["data"]
            .as_array()
            .and_then(|a| a.iter().find(|e| e["meta"]["template_code"] == family).cloned())
    })
    .await
}

#[tokio::test]
async fn leads_are_scored_by_rules_assigned_in_turn_and_checked_against_contacts_and_companies() {
    let admin = TestApp::with_plan(&["admin"], "DevPro").await;
    let (rep1, rep2) = (admin.colleague(&["sales_rep"]).await, admin.colleague(&["sales_rep"]).await);
    let bad =
        body_of(admin.post("/v1/leads").json(&json!({"email": "nope", "source": "tv", "status": "converted", "country": "UAE"}))).await;
    assert_eq!(fields(&bad), vec!["email", "country", "source", "status", "first_name"], "{bad}");

    let rules = json!({"notify_threshold": 50, "rules": [
        {"label": "Referral", "field": "source", "op": "eq", "value": "referral", "points": 30},
        {"label": "Decision maker", "field": "job_title", "op": "contains", "value": "director", "points": 25},
        {"label": "Free mailbox", "field": "email_domain", "op": "in", "value": ["gmail.com", "yahoo.com"], "points": -10},
    ]});
    let (status, _) = send(TestApp::admin().await.request(Method::PUT, "/v1/leads/scoring-rules").json(&rules)).await;
    assert_eq!(status, 402, "scoring rules need leads.scoring");
    assert_eq!(send(rep1.request(Method::PUT, "/v1/leads/scoring-rules").json(&rules)).await.0, 403, "reps do not set the rules");
    let bad_rules = body_of(
        admin
            .request(Method::PUT, "/v1/leads/scoring-rules")
            .json(&json!({"rules": [{"label": "x", "field": "salary", "op": "eq", "value": 1, "points": 5}]})),
    )
    .await;
    assert_eq!(fields(&bad_rules), vec!["rules[0].field"]);
    assert_eq!(body_of(admin.request(Method::PUT, "/v1/leads/scoring-rules").json(&rules)).await["data"]["version"], 1);
    let stranger_pool = json!({"mode": "round_robin", "pool": [rep1.user.to_string(), crm_kernel::UserId::new().to_string()]});
    assert_eq!(send(admin.request(Method::PUT, "/v1/leads/assignment").json(&stranger_pool)).await.0, 400, "only the tenant's users");
    let pool = json!({"mode": "rules", "pool": [rep1.user.to_string(), rep2.user.to_string()], "rules": [{"source": "campaign", "user_id": rep2.user.to_string()}]});
    assert_eq!(body_of(admin.request(Method::PUT, "/v1/leads/assignment").json(&pool)).await["data"]["mode"], "rules");

    // Six leads at once: three each, whatever the interleaving.
    let made = futures::future::join_all(
        (0..6).map(|i| lead(&admin, json!({"first_name": format!("Rr{i}"), "email": format!("rr{i}@rr.example")}))),
    )
    .await;
    let mut per_owner: HashMap<String, usize> = HashMap::new();
    for l in &made {
        assert_eq!(l["assigned_by"], "round_robin");
        *per_owner.entry(l["owner_user_id"].as_str().unwrap().to_string()).or_default() += 1;
    }
    assert_eq!((per_owner.get(&rep1.user.to_string()), per_owner.get(&rep2.user.to_string())), (Some(&3), Some(&3)), "{per_owner:?}");
    let campaign = lead(&admin, json!({"first_name": "Camp", "phone": "+201001112233", "source": "campaign"})).await;
    assert_eq!(
        (campaign["owner_user_id"].as_str(), campaign["assigned_by"].as_str()),
        (Some(rep2.user.to_string().as_str()), Some("rule:0"))
    );
    notice(&rep2, "lead.assigned").await;

    // Scores come with their parts; the threshold tells the owner.
    let hot = lead(&admin, json!({"first_name": "Sara", "email": "sara@gmail.com", "source": "referral", "job_title": "Sales Director", "owner_user_id": rep1.user.to_string()})).await;
    assert_eq!(hot["score"], 45);
    let parts: Vec<(String, i64)> = hot["score_parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["rule"].as_str().unwrap().into(), p["points"].as_i64().unwrap()))
        .collect();
    assert_eq!(parts, vec![("Referral".into(), 30), ("Decision maker".into(), 25), ("Free mailbox".into(), -10)]);
    let id = hot["id"].as_str().unwrap().to_string();
    let bumped = body_of(admin.post(&format!("/v1/leads/{id}/score")).json(&json!({"adjustment": 10, "reason": "Asked for a demo"}))).await;
    assert_eq!((bumped["data"]["score"].as_i64(), bumped["data"]["score_parts"][3]["rule"].as_str()), (Some(55), Some("manual")));
    let n = notice(&rep1, "lead.score_threshold").await;
    assert!(n["body"].as_str().unwrap().contains("55"), "{n}");
    let set = body_of(admin.post(&format!("/v1/leads/{id}/score")).json(&json!({"score": 20}))).await;
    assert_eq!((set["data"]["score"].as_i64(), set["data"]["score_adjustment"].as_i64()), (Some(20), Some(-25)));

    // Duplicates: a contact with the email, a company with the domain.
    let contact = body_of(admin.post("/v1/contacts").json(&json!({"first_name": "Omar", "email": "omar@globex-leads.example"}))).await
        ["data"]["id"]
        .clone();
    let company =
        body_of(admin.post("/v1/companies").json(&json!({"name": "Globex", "domain": "globex-leads.example"}))).await["data"]["id"].clone();
    let dup =
        lead(&admin, json!({"first_name": "Omar", "email": "omar@globex-leads.example", "owner_user_id": admin.user.to_string()})).await;
    let found: Vec<(String, String)> = dup["duplicates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["type"].as_str().unwrap().into(), d["id"].as_str().unwrap().into()))
        .collect();
    assert_eq!(
        found,
        vec![
            ("contact".to_string(), contact.as_str().unwrap().to_string()),
            ("company".to_string(), company.as_str().unwrap().to_string())
        ]
    );

    // Lists: by status, source, score, search; statuses move but `converted` is the conversion's.
    let qualified = body_of(rep1.request(Method::PATCH, &format!("/v1/leads/{id}")).json(&json!({"status": "qualified"}))).await;
    assert_eq!(qualified["data"]["status"], "qualified", "{qualified}");
    assert_eq!(
        fields(&body_of(rep1.request(Method::PATCH, &format!("/v1/leads/{id}")).json(&json!({"status": "converted"}))).await),
        vec!["status"]
    );
    assert_eq!(
        send(rep2.request(Method::PATCH, &format!("/v1/leads/{id}")).json(&json!({"status": "contacted"}))).await.0,
        403,
        "not their lead"
    );
    let ids = |v: Value| v["data"].as_array().unwrap().iter().map(|l| l["id"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    assert_eq!(ids(admin.get_json("/v1/leads?status=qualified").await), vec![id.clone()]);
    assert_eq!(ids(admin.get_json("/v1/leads?source=campaign").await), vec![campaign["id"].as_str().unwrap().to_string()]);
    assert_eq!(ids(admin.get_json("/v1/leads?min_score=15").await), vec![id.clone()]);
    assert_eq!(ids(admin.get_json("/v1/leads?search=sara").await), vec![id.clone()]);
    assert_eq!(fields(&body_of(admin.get("/v1/leads?status=hot&min_score=x")).await), vec!["status", "min_score"]);

    // Another tenant sees none of it.
    let other = TestApp::with_plan(&["admin"], "DevPro").await;
    assert_eq!(other.get_json("/v1/leads").await["data"], json!([]));
    for (m, path) in [
        (Method::GET, format!("/v1/leads/{id}")),
        (Method::PATCH, format!("/v1/leads/{id}")),
        (Method::POST, format!("/v1/leads/{id}/score")),
        (Method::POST, format!("/v1/leads/{id}/convert")),
        (Method::DELETE, format!("/v1/leads/{id}")),
    ] {
        assert_eq!(send(other.request(m.clone(), &path).json(&json!({"adjustment": 1}))).await.0, 404, "{m} {path}");
    }
    assert_eq!(other.get_json("/v1/leads/assignment").await["data"]["mode"], "manual");
    assert_eq!(send(admin.request(Method::DELETE, &format!("/v1/leads/{id}"))).await.0, 204);
    assert_eq!(send(admin.get(&format!("/v1/leads/{id}"))).await.0, 404);
}

#[tokio::test]
async fn conversion_makes_contact_company_and_deal_at_once_and_never_twice() {
    let admin = TestApp::admin().await;
    let owner = admin.colleague(&["sales_rep"]).await;
    let l = lead(
        &admin,
        json!({"first_name": "Nadia", "last_name": "Kamal", "email": "nadia@initech-conv.example", "phone": "+201002223344",
        "company_name": "Initech", "job_title": "CTO", "country": "EG", "owner_user_id": owner.user.to_string()}),
    )
    .await;
    let id = l["id"].as_str().unwrap().to_string();

    // No room for a company: the whole conversion is refused and nothing is left behind.
    let cap = format!("/v1/admin/entitlements/overrides/user?id={}", admin.user);
    assert_eq!(send(admin.request(Method::PUT, &cap).json(&json!({"limits": {"companies.max": 0}}))).await.0, 200);
    let (status, full) = send(admin.post(&format!("/v1/leads/{id}/convert")).json(&json!({"deal": {"amount": 5_000_000}}))).await;
    assert_eq!((status, full["error"]["code"].as_str()), (422, Some("LIMIT_REACHED")), "{full}");
    assert_eq!(admin.get_json("/v1/contacts").await["data"], json!([]), "no contact without its company");
    assert_eq!(admin.get_json("/v1/deals").await["data"], json!([]), "no deal either");
    assert_eq!(admin.get_json(&format!("/v1/leads/{id}")).await["data"]["status"], "new");
    assert_eq!(send(admin.request(Method::PUT, &cap).json(&json!({"limits": {"companies.max": 500}}))).await.0, 200);

    let (status, done) =
        send(admin.post(&format!("/v1/leads/{id}/convert")).json(&json!({"deal": {"amount": 5_000_000, "close_date": "2027-03-31"}})))
            .await;
    assert_eq!(status, 201, "{done}");
    let c = done["data"]["conversion"].clone();
    assert_eq!((c["contact_created"].as_bool(), c["company_created"].as_bool()), (Some(true), Some(true)));
    assert_eq!(done["data"]["lead"]["status"], "converted");
    let contact = admin.get_json(&format!("/v1/contacts/{}", c["contact_id"].as_str().unwrap())).await["data"].clone();
    assert_eq!(
        (contact["email"].as_str(), contact["company_id"].clone(), contact["owner_user_id"].as_str()),
        (Some("nadia@initech-conv.example"), c["company_id"].clone(), Some(owner.user.to_string().as_str()))
    );
    let company = admin.get_json(&format!("/v1/companies/{}", c["company_id"].as_str().unwrap())).await["data"].clone();
    assert_eq!((company["name"].as_str(), company["domain"].as_str()), (Some("Initech"), Some("initech-conv.example")));
    let deal = admin.get_json(&format!("/v1/deals/{}", c["deal_id"].as_str().unwrap())).await["data"].clone();
    assert_eq!(
        (deal["lead_id"].as_str(), deal["amount"].as_i64(), deal["contacts"][0]["id"].clone(), deal["companies"][0]["role"].as_str()),
        (Some(id.as_str()), Some(5_000_000), c["contact_id"].clone(), Some("primary"))
    );
    notice(&owner, "lead.converted").await;

    // A retry (the answer was lost) answers the same conversion and makes nothing.
    let (status, again) = send(admin.post(&format!("/v1/leads/{id}/convert")).json(&json!({"deal": {"amount": 1}}))).await;
    assert_eq!((status, again["data"]["conversion"].clone(), again["data"]["converted_now"].as_bool()), (200, c.clone(), Some(false)));
    assert_eq!(admin.get_json("/v1/contacts").await["data"].as_array().unwrap().len(), 1);
    assert_eq!(admin.get_json("/v1/deals").await["data"].as_array().unwrap().len(), 1);
    assert_eq!(
        send(admin.request(Method::PATCH, &format!("/v1/leads/{id}")).json(&json!({"first_name": "N"}))).await.0,
        409,
        "a converted lead stays as it was"
    );

    // Two clicks at once: one conversion, the same answer twice.
    let twin = lead(&admin, json!({"first_name": "Hany", "email": "hany@gmail.com"})).await;
    let tid = twin["id"].as_str().unwrap();
    let go = || send(admin.post(&format!("/v1/leads/{tid}/convert")).json(&json!({})));
    let ((s1, a), (s2, b)) = tokio::join!(go(), go());
    let mut statuses = vec![s1, s2];
    statuses.sort();
    assert_eq!(statuses, vec![200, 201], "{a} {b}");
    assert_eq!(a["data"]["conversion"]["contact_id"], b["data"]["conversion"]["contact_id"]);
    assert_eq!(a["data"]["conversion"]["company_id"], Value::Null, "a free mailbox and no company name: no company");
    assert_eq!(admin.get_json("/v1/contacts").await["data"].as_array().unwrap().len(), 2);

    // A lead matching a contact links it instead of making another.
    let known = lead(&admin, json!({"first_name": "Nadia", "email": "nadia@initech-conv.example", "company_name": "Initech"})).await;
    let linked = body_of(admin.post(&format!("/v1/leads/{}/convert", known["id"].as_str().unwrap())).json(&json!({}))).await;
    let lc = linked["data"]["conversion"].clone();
    assert_eq!(
        (lc["contact_id"].clone(), lc["contact_created"].as_bool(), lc["company_id"].clone(), lc["company_created"].as_bool()),
        (c["contact_id"].clone(), Some(false), c["company_id"].clone(), Some(false)),
        "{linked}"
    );
    let wrong = body_of(
        admin
            .post(&format!(
                "/v1/leads/{}/convert",
                lead(&admin, json!({"first_name": "Z", "phone": "+201009998877"})).await["id"].as_str().unwrap()
            ))
            .json(&json!({"contact_id": crm_kernel::EntityId::new().to_string()})),
    )
    .await;
    assert_eq!(fields(&wrong), vec!["contact_id"], "{wrong}");
}

#[tokio::test]
async fn web_forms_capture_leads_with_a_key_and_keep_bots_out() {
    let admin = TestApp::with_plan(&["admin"], "DevPro").await;
    let rep = admin.colleague(&["sales_rep"]).await;
    body_of(admin.request(Method::PUT, "/v1/leads/assignment").json(&json!({"mode": "round_robin", "pool": [rep.user.to_string()]}))).await;
    let key = body_of(admin.post("/v1/admin/api-keys").json(&json!({"name": "website form", "permissions": ["lead.create"]}))).await
        ["data"]["secret"]
        .as_str()
        .unwrap()
        .to_string();
    let capture = |body: Value| {
        reqwest::Client::new().post(format!("{}/v1/leads/capture", admin.url)).header("x-api-key", key.clone()).json(&body).send()
    };

    let r = capture(json!({"first_name": "Mona", "email": "mona@forms.example", "message": "Call me", "form": "pricing", "website": ""}))
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let listed = admin.get_json("/v1/leads?search=mona").await["data"][0].clone();
    assert_eq!(
        (listed["source"].as_str(), listed["owner_user_id"].as_str(), listed["message"].as_str()),
        (Some("web"), Some(rep.user.to_string().as_str()), Some("[form: pricing] Call me"))
    );
    let bot = capture(json!({"first_name": "Bot", "email": "bot@spam.example", "website": "http://spam.example"})).await.unwrap();
    assert_eq!(bot.status(), 202, "a bot is answered like a person");
    assert_eq!(admin.get_json("/v1/leads?search=bot").await["data"], json!([]), "and nothing is written");
    let bad = capture(json!({"first_name": "X", "email": "x@forms.example", "owner_user_id": rep.user.to_string()})).await.unwrap();
    assert_eq!(bad.status(), 400);
    assert_eq!(
        send(admin.post("/v1/leads/capture").json(&json!({"first_name": "Me", "email": "me@x.example"}))).await.0,
        403,
        "people use POST /v1/leads"
    );

    // The key is limited per minute, in fixed one-minute windows. A burst of
    // twice the limit plus one lands in at most two windows (it takes far
    // less than a minute), so one of them overflows whatever the clock says.
    let burst = 2 * records::routes::leads::capture_post::PER_MINUTE + 1;
    let answers = futures::future::join_all(
        (0..burst).map(|i| capture(json!({"first_name": format!("F{i}"), "email": format!("f{i}@flood.example")}))),
    )
    .await;
    let statuses: Vec<u16> = answers.iter().map(|r| r.as_ref().unwrap().status().as_u16()).collect();
    assert!(statuses.iter().all(|s| [202, 429].contains(s)), "{statuses:?}");
    let limited = answers
        .iter()
        .flatten()
        .find(|r| r.status() == 429)
        .map(|r| r.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_string));
    assert!(limited.flatten().is_some(), "a flood hits the per-key limit, with Retry-After");
}

#[tokio::test]
async fn a_leads_import_previews_duplicates_then_creates_through_a_job() {
    let admin = TestApp::with_plan(&["admin"], "DevPro").await;
    body_of(admin.post("/v1/contacts").json(&json!({"first_name": "Known", "email": "known@imp-leads.example"}))).await;
    lead(&admin, json!({"first_name": "Earlier", "email": "earlier@imp-leads.example"})).await;
    let csv = "First Name,Last Name,Email,Source,Country\n\
               Ali,Hassan,ali@imp-leads.example,referral,eg\n\
               Ali,Again,ali@imp-leads.example,,\n\
               Bad,,not-an-email,,\n\
               Known,Person,known@imp-leads.example,,\n\
               Earlier,Lead,earlier@imp-leads.example,,\n";
    let refused = send(TestApp::admin().await.post("/v1/leads/import").json(&json!({}))).await;
    assert_eq!((refused.0, refused.1["error"]["feature"].as_str()), (402, Some("leads.import")));
    let mut counts = Vec::new();
    for dry_run in [true, false] {
        let made = body_of(admin.post("/v1/leads/import").json(&json!({"filename": "fair.csv", "dry_run": dry_run}))).await;
        let id = made["data"]["job"]["id"].as_str().unwrap().to_string();
        let (status, answer) = crate::helpers::upload(&made["data"]["upload"], csv.as_bytes().to_vec(), "text/csv").await;
        assert!((200..300).contains(&status), "upload: {status} {answer}");
        assert_eq!(admin.post(&format!("/v1/jobs/{id}/start")).send().await.unwrap().status(), 202);
        let job = eventually("the leads import", crate::helpers::PIPELINE, || async {
            let j = admin.get_json(&format!("/v1/jobs/{id}")).await;
            matches!(j["data"]["status"].as_str(), Some("completed" | "failed")).then_some(j["data"].clone())
        })
        .await;
        assert_eq!(job["status"], "completed", "{job}");
        let c = &job["counts"];
        counts.push((c["processed"].as_u64(), c["created"].as_u64(), c["duplicates"].as_u64(), c["failed"].as_u64()));
        let dups: Vec<(u64, bool)> = job["duplicates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| (d["row"].as_u64().unwrap(), d["imported"].as_bool().unwrap_or(false)))
            .collect();
        assert_eq!(dups, vec![(2, false), (4, true), (5, false)], "{job}");
        assert_eq!(job["errors"][0]["row"], 3);
        let leads = admin.get_json("/v1/leads?source=import").await["data"].as_array().unwrap().len();
        assert_eq!(leads, if dry_run { 0 } else { 1 }, "a dry run writes nothing (Ali is a referral)");
    }
    assert_eq!(counts, vec![(Some(5), Some(2), Some(2), Some(1)); 2], "the preview says what the import does");
    let ali = admin.get_json("/v1/leads?search=ali").await["data"][0].clone();
    assert_eq!((ali["source"].as_str(), ali["country"].as_str()), (Some("referral"), Some("EG")));
}
