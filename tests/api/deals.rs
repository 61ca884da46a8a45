//! Deals and pipelines over HTTP (ADR 0015; SalesOS opportunities):
//! pipelines and stages managed and plan-gated; deals created, linked,
//! moved, won and lost with their stage history; the board and forecast
//! read models equal to the deals; concurrent moves resolved by version;
//! big deals held for a manager's approval; owners and watchers told;
//! another tenant sees nothing.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{body_of, error_fields as fields, eventually, mailbox, send, TestApp};

async fn pipeline(app: &TestApp, body: Value) -> Value {
    let p = body_of(app.post("/v1/pipelines").json(&body)).await;
    assert!(p["data"]["id"].is_string(), "{p}");
    p["data"].clone()
}

fn stage<'a>(p: &'a Value, name: &str) -> &'a str {
    p["stages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .and_then(|s| s["id"].as_str())
        .unwrap_or_else(|| panic!("no {name} in {p}"))
}

async fn deal(app: &TestApp, body: Value) -> Value {
    let d = body_of(app.post("/v1/deals").json(&body)).await;
    assert!(d["data"]["id"].is_string(), "{d}");
    d["data"].clone()
}

#[tokio::test]
async fn pipelines_and_stages_are_managed_and_a_second_pipeline_needs_the_plan() {
    let free = TestApp::admin().await;
    assert_eq!(free.get_json("/v1/pipelines").await["data"], json!([]));
    let bad =
        body_of(free.post("/v1/pipelines").json(&json!({"stages": [{"name": "A", "probability_pct": 140}, {"is_win": "yes"}]}))).await;
    assert_eq!(fields(&bad), vec!["stages[0].probability_pct", "stages[1].is_win", "stages[1].name", "name"], "{bad}");
    let rules =
        body_of(free.post("/v1/pipelines").json(&json!({"name": "P", "stages": [{"name": "A"}, {"name": "W", "is_win": true}]}))).await;
    assert_eq!(rules["error"]["message"].as_str().map(|m| m.contains("one win stage and one loss stage")), Some(true), "{rules}");

    let sales = pipeline(&free, json!({"name": "Sales"})).await;
    assert_eq!((sales["is_default"].as_bool(), sales["stages"].as_array().unwrap().len()), (Some(true), 6), "default stages: {sales}");
    let (status, second) = send(free.post("/v1/pipelines").json(&json!({"name": "Renewals"}))).await;
    assert_eq!(
        (status, second["error"]["code"].as_str(), second["error"]["feature"].as_str()),
        (402, Some("PLAN_REQUIRED"), Some("deals.multiPipelines")),
        "{second}"
    );

    // Stages: added before the win stage, reordered, re-weighted; one with deals stays.
    let pid = sales["id"].as_str().unwrap();
    let (status, added) =
        send(free.post(&format!("/v1/pipelines/{pid}/stages")).json(&json!({"name": "Demo", "probability_pct": 40}))).await;
    assert_eq!(status, 201, "{added}");
    let names: Vec<&str> = added["data"]["stages"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["Qualification", "Needs analysis", "Proposal", "Negotiation", "Demo", "Won", "Lost"]);
    let demo = stage(&added["data"], "Demo").to_string();
    let moved = body_of(
        free.request(Method::PATCH, &format!("/v1/pipelines/{pid}/stages/{demo}")).json(&json!({"position": 1, "probability_pct": 20})),
    )
    .await;
    assert_eq!(
        (moved["data"]["stages"][1]["name"].as_str(), moved["data"]["stages"][1]["probability_pct"].as_u64()),
        (Some("Demo"), Some(20))
    );
    let stale = free
        .request(Method::PATCH, &format!("/v1/pipelines/{pid}/stages/{demo}"))
        .header("If-Match", "\"1\"")
        .json(&json!({"name": "Demo call"}));
    assert_eq!(send(stale).await.0, 412);
    deal(&free, json!({"name": "Pilot", "amount": 100, "stage_id": demo})).await;
    let (status, busy) = send(free.request(Method::DELETE, &format!("/v1/pipelines/{pid}/stages/{demo}"))).await;
    assert_eq!(status, 409, "a stage with deals stays: {busy}");
    let nego = stage(&moved["data"], "Negotiation").to_string();
    assert_eq!(send(free.request(Method::DELETE, &format!("/v1/pipelines/{pid}/stages/{nego}"))).await.0, 204);
    let stages = free.get_json(&format!("/v1/pipelines/{pid}/stages")).await;
    let counts: Vec<(String, u64)> = stages["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap().into(), s["deal_count"].as_u64().unwrap()))
        .collect();
    assert_eq!(counts.iter().find(|(n, _)| n == "Demo").map(|c| c.1), Some(1));
    assert!(counts.iter().all(|(n, _)| n != "Negotiation"));
    let (status, _) = send(free.request(Method::DELETE, &format!("/v1/pipelines/{pid}"))).await;
    assert_eq!(status, 409, "the default pipeline stays");

    // On DevPro a second pipeline is fine; a pipeline with deals cannot go, an empty one can.
    let pro = TestApp::with_plan(&["admin"], "DevPro").await;
    let first = pipeline(&pro, json!({"name": "New business"})).await;
    let renewals = pipeline(&pro, json!({"name": "Renewals", "stages": [{"name": "Due", "probability_pct": 60}, {"name": "Renewed", "is_win": true}, {"name": "Churned", "is_loss": true}]})).await;
    assert_eq!(renewals["is_default"], false);
    let made = body_of(
        pro.request(Method::PATCH, &format!("/v1/pipelines/{}", renewals["id"].as_str().unwrap())).json(&json!({"is_default": true})),
    )
    .await;
    assert_eq!(made["data"]["is_default"], true);
    assert_eq!(
        pro.get_json(&format!("/v1/pipelines/{}", first["id"].as_str().unwrap())).await["data"]["is_default"],
        false,
        "one default at a time"
    );
    let landed = deal(&pro, json!({"name": "Renewal 2027", "amount": 5000})).await;
    assert_eq!(landed["pipeline_id"], renewals["id"], "new deals land in the default pipeline");
    assert_eq!(send(pro.request(Method::DELETE, &format!("/v1/pipelines/{}", first["id"].as_str().unwrap()))).await.0, 204);

    // Another tenant's pipeline does not exist for us.
    for path in [format!("/v1/pipelines/{pid}"), format!("/v1/pipelines/{pid}/board"), format!("/v1/pipelines/{pid}/stages")] {
        assert_eq!(send(pro.get(&path)).await.0, 404, "{path}");
    }
    assert_eq!(send(pro.post(&format!("/v1/pipelines/{pid}/stages")).json(&json!({"name": "X"}))).await.0, 404);
}

#[tokio::test]
async fn a_deal_moves_through_its_stages_is_won_or_lost_and_keeps_its_history() {
    let admin = TestApp::with_plan(&["admin"], "DevPro").await;
    let rep = admin.colleague(&["sales_rep"]).await;
    let viewer = admin.colleague(&["viewer"]).await;
    let acme =
        body_of(rep.post("/v1/companies").json(&json!({"name": "Acme", "domain": "acme-deals.example"}))).await["data"]["id"].clone();
    let john = body_of(rep.post("/v1/contacts").json(&json!({"first_name": "John", "last_name": "Doe"}))).await["data"]["id"].clone();

    // The tenant's first deal brings the default pipeline with it.
    let stray = body_of(rep.post("/v1/deals").json(&json!({"name": "Acme", "stage": "x"}))).await;
    assert_eq!(fields(&stray), vec!["stage"], "a field the body does not know is refused: {stray}");
    let bad = body_of(rep.post("/v1/deals").json(&json!({"amount": -5, "currency": "XYZ", "close_date": "soon"}))).await;
    assert_eq!(fields(&bad), vec!["amount", "currency", "close_date", "name"], "{bad}");
    let (status, unknown) = send(
        rep.post("/v1/deals").json(&json!({"name": "Ghost", "contacts": [{"id": "01J00000000000000000000000", "role": "influencer"}]})),
    )
    .await;
    assert_eq!((status, fields(&unknown)), (400, vec!["contacts[0]".to_string()]), "{unknown}");
    let d = deal(
        &rep,
        json!({"name": "Acme Enterprise License", "amount": 12_000_000, "currency": "USD", "close_date": "2026-12-15",
        "contacts": [{"id": john, "role": "decision_maker"}], "companies": [{"id": acme, "role": "primary"}], "discount_pct": 5}),
    )
    .await;
    assert_eq!(
        (d["value"].as_f64(), d["status"].as_str(), d["owner_user_id"].as_str()),
        (Some(120000.0), Some("open"), Some(rep.user.to_string().as_str()))
    );
    let id = d["id"].as_str().unwrap().to_string();
    let pipelines = rep.get_json("/v1/pipelines").await;
    assert_eq!(pipelines["data"].as_array().unwrap().len(), 1, "one default pipeline, made once");
    let p = pipelines["data"][0].clone();
    assert_eq!(d["stage_id"].as_str(), Some(stage(&p, "Qualification")));

    // Deal custom fields (deals.customFields).
    let def = body_of(
        admin
            .post("/v1/custom-fields/definitions")
            .json(&json!({"entity": "deal", "code": "region", "label": "Region", "type": "select", "options": ["mena", "eu"]})),
    )
    .await;
    assert!(def["data"]["id"].is_string(), "{def}");
    let tagged = body_of(rep.request(Method::PATCH, &format!("/v1/deals/{id}")).json(&json!({"custom_fields": {"region": "mena"}}))).await;
    assert_eq!(tagged["data"]["custom_fields"]["region"], "mena", "{tagged}");
    let wrong = body_of(rep.request(Method::PATCH, &format!("/v1/deals/{id}")).json(&json!({"custom_fields": {"region": "mars"}}))).await;
    assert_eq!(fields(&wrong), vec!["custom_fields.region"]);

    // Patches keep the stage; moves go through move-stage.
    let (status, refused) =
        send(rep.request(Method::PATCH, &format!("/v1/deals/{id}")).json(&json!({"stage_id": stage(&p, "Proposal"), "status": "won"})))
            .await;
    assert_eq!((status, fields(&refused)), (400, vec!["status".to_string(), "stage_id".to_string()]));
    let patched =
        body_of(rep.request(Method::PATCH, &format!("/v1/deals/{id}")).json(&json!({"amount": 11_000_000, "discount_pct": 8}))).await;
    assert_eq!((patched["data"]["amount"].as_i64(), patched["data"]["version"].as_u64()), (Some(11_000_000), Some(3)));
    assert_eq!(send(viewer.request(Method::PATCH, &format!("/v1/deals/{id}")).json(&json!({"name": "x"}))).await.0, 403);

    let moved = body_of(rep.post(&format!("/v1/deals/{id}/move-stage")).json(&json!({"stage_id": stage(&p, "Proposal")}))).await;
    assert_eq!(moved["data"]["stage_id"].as_str(), Some(stage(&p, "Proposal")), "{moved}");
    let (status, to_won) = send(rep.post(&format!("/v1/deals/{id}/move-stage")).json(&json!({"stage_id": stage(&p, "Won")}))).await;
    assert_eq!((status, fields(&to_won)), (400, vec!["stage_id".to_string()]), "won with mark-won");
    let (status, no_reason) = send(rep.post(&format!("/v1/deals/{id}/mark-lost")).json(&json!({"reason_code": "bored"}))).await;
    assert_eq!((status, fields(&no_reason)), (400, vec!["reason_code".to_string()]));
    let lost =
        body_of(rep.post(&format!("/v1/deals/{id}/mark-lost")).json(&json!({"reason_code": "competitor", "note": "Went with Globex"})))
            .await;
    assert_eq!((lost["data"]["status"].as_str(), lost["data"]["lost_reason_code"].as_str()), (Some("lost"), Some("competitor")));
    let reopened = body_of(rep.post(&format!("/v1/deals/{id}/move-stage")).json(&json!({"stage_id": stage(&p, "Negotiation")}))).await;
    assert_eq!((reopened["data"]["status"].as_str(), reopened["data"]["closed_at"].clone()), (Some("open"), Value::Null));
    let won = body_of(rep.post(&format!("/v1/deals/{id}/mark-won"))).await;
    assert_eq!((won["data"]["status"].as_str(), won["data"]["stage_id"].as_str()), (Some("won"), Some(stage(&p, "Won"))));

    let history = rep.get_json(&format!("/v1/deals/{id}/history")).await;
    let path: Vec<(Option<&str>, &str, &str)> = history["data"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["from_stage"].as_str(), e["to_stage"].as_str().unwrap(), e["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        path,
        vec![
            (None, "Qualification", "open"),
            (Some("Qualification"), "Proposal", "open"),
            (Some("Proposal"), "Lost", "lost"),
            (Some("Lost"), "Negotiation", "open"),
            (Some("Negotiation"), "Won", "won")
        ]
    );
    assert!(history["data"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .skip(1)
        .all(|e| e["seconds_in_previous"].as_i64().is_some() && e["by"] == rep.user.to_string().as_str()));

    // Lists filter by status, stage, amount and dates; the board and forecast count the deal where it is.
    let other = deal(&rep, json!({"name": "Globex pilot", "amount": 5_000_000, "close_date": "2027-01-10"})).await;
    let ids = |v: Value| v["data"].as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    assert_eq!(ids(rep.get_json("/v1/deals?status=won").await), vec![id.clone()]);
    let (john, acme) = (john.as_str().unwrap(), acme.as_str().unwrap());
    assert_eq!(ids(rep.get_json(&format!("/v1/deals?contact={john}")).await), vec![id.clone()], "a contact's deals");
    assert_eq!(ids(rep.get_json(&format!("/v1/deals?company={acme}&status=won")).await), vec![id.clone()]);
    assert_eq!(ids(rep.get_json(&format!("/v1/deals?company={acme}&status=open")).await), Vec::<String>::new());
    assert_eq!(ids(rep.get_json("/v1/deals?min_amount=6000000").await), vec![id.clone()]);
    assert_eq!(
        ids(rep.get_json(&format!("/v1/deals?stage={}", stage(&p, "Qualification"))).await),
        vec![other["id"].as_str().unwrap().to_string()]
    );
    assert_eq!(
        ids(rep.get_json("/v1/deals?close_from=2027-01-01&close_to=2027-01-31").await),
        vec![other["id"].as_str().unwrap().to_string()]
    );
    assert_eq!(
        fields(&body_of(rep.get("/v1/deals?status=gone&min_amount=lots&from=yesterday")).await),
        vec!["status", "from", "min_amount"]
    );
    let board = rep.get_json(&format!("/v1/pipelines/{}/board", p["id"].as_str().unwrap())).await;
    let column = |name: &str| board["data"]["stages"].as_array().unwrap().iter().find(|s| s["stage"]["name"] == name).cloned().unwrap();
    assert_eq!((column("Won")["count"].as_i64(), column("Won")["totals"]["USD"].as_i64()), (Some(1), Some(11_000_000)));
    assert_eq!(column("Lost")["count"], 0);
    assert_eq!(
        (board["data"]["value"]["amounts"]["USD"].as_i64(), board["data"]["weighted"]["USD"].as_i64()),
        (Some(5_000_000), Some(500_000))
    );
    let forecast = admin.get_json(&format!("/v1/pipelines/{}/forecast", p["id"].as_str().unwrap())).await;
    let months: Vec<(&str, Option<i64>, Option<i64>)> = forecast["data"]["months"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["month"].as_str().unwrap(), m["won"]["amounts"]["USD"].as_i64(), m["weighted"]["USD"].as_i64()))
        .collect();
    assert_eq!(months, vec![("2026-12", Some(11_000_000), None), ("2027-01", None, Some(500_000))]);

    // Deleting gives the quota back and empties the column; another tenant gets 404s.
    let stranger = TestApp::with_plan(&["admin"], "DevPro").await;
    for (m, path) in [
        (Method::GET, format!("/v1/deals/{id}")),
        (Method::PATCH, format!("/v1/deals/{id}")),
        (Method::POST, format!("/v1/deals/{id}/mark-lost")),
        (Method::POST, format!("/v1/deals/{id}/move-stage")),
        (Method::GET, format!("/v1/deals/{id}/history")),
        (Method::DELETE, format!("/v1/deals/{id}")),
    ] {
        let (status, _) =
            send(stranger.request(m.clone(), &path).json(&json!({"name": "x", "reason_code": "price", "stage_id": stage(&p, "Proposal")})))
                .await;
        assert_eq!(status, 404, "{m} {path}");
    }
    assert_eq!(stranger.get_json("/v1/deals").await["data"], json!([]));
    assert_eq!(send(rep.request(Method::DELETE, &format!("/v1/deals/{id}"))).await.0, 403, "reps do not delete deals");
    assert_eq!(send(admin.request(Method::DELETE, &format!("/v1/deals/{id}")).header("If-Match", "\"1\"")).await.0, 412);
    assert_eq!(send(admin.request(Method::DELETE, &format!("/v1/deals/{id}"))).await.0, 204);
    let board = rep.get_json(&format!("/v1/pipelines/{}/board", p["id"].as_str().unwrap())).await;
    assert_eq!(board["data"]["stages"].as_array().unwrap().iter().map(|s| s["count"].as_i64().unwrap()).sum::<i64>(), 1);
    assert_eq!(rep.get_json(&format!("/v1/deals?contact={john}")).await["data"], json!([]), "a deleted deal leaves no link");
}

#[tokio::test]
async fn concurrent_moves_of_one_deal_resolve_by_version() {
    let app = TestApp::with_plan(&["admin"], "DevPro").await;
    let p = pipeline(&app, json!({"name": "Sales"})).await;
    let d = deal(&app, json!({"name": "Contested", "amount": 1000})).await;
    let id = d["id"].as_str().unwrap();
    let mv = |s: &str| app.post(&format!("/v1/deals/{id}/move-stage")).header("If-Match", "\"1\"").json(&json!({"stage_id": s})).send();
    let (a, b) = tokio::join!(mv(stage(&p, "Proposal")), mv(stage(&p, "Negotiation")));
    let mut statuses = vec![a.unwrap().status().as_u16(), b.unwrap().status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, vec![200, 412], "one move wins, the other is told it is stale");
    let now = app.get_json(&format!("/v1/deals/{id}")).await;
    assert_eq!(now["data"]["version"], 2);
    let board = app.get_json(&format!("/v1/pipelines/{}/board", p["id"].as_str().unwrap())).await;
    assert_eq!(board["data"]["stages"].as_array().unwrap().iter().map(|s| s["count"].as_i64().unwrap()).sum::<i64>(), 1, "counted once");
    // Without If-Match both read the same version too; still one change per version.
    let mv = |s: &str| app.post(&format!("/v1/deals/{id}/move-stage")).json(&json!({"stage_id": s})).send();
    let (a, b) = tokio::join!(mv(stage(&p, "Qualification")), mv(stage(&p, "Needs analysis")));
    let (a, b) = (a.unwrap().status().as_u16(), b.unwrap().status().as_u16());
    assert!(matches!((a, b), (200, 200) | (200, 412) | (412, 200)), "{a} {b}");
    let history = app.get_json(&format!("/v1/deals/{id}/history")).await;
    let final_version = app.get_json(&format!("/v1/deals/{id}")).await["data"]["version"].as_u64().unwrap();
    assert_eq!(history["data"]["entries"].as_array().unwrap().len() as u64, final_version, "one history entry per version");
}

/// A tiny deterministic generator (the sequence is printed on failure).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

#[tokio::test]
async fn board_totals_equal_the_sum_of_the_deals_after_random_creates_moves_wins_and_deletes() {
    let app = TestApp::with_plan(&["admin"], "DevPro").await;
    let p = pipeline(&app, json!({"name": "Random"})).await;
    let pid = p["id"].as_str().unwrap().to_string();
    let open: Vec<String> =
        ["Qualification", "Needs analysis", "Proposal", "Negotiation"].iter().map(|n| stage(&p, n).to_string()).collect();
    let seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64;
    let mut rng = Lcg(seed);
    let mut ids: Vec<String> = Vec::new();
    let mut log = Vec::new();
    for _ in 0..40 {
        let op = if ids.is_empty() { 0 } else { rng.next(6) };
        let pick = if ids.is_empty() { 0 } else { rng.next(ids.len() as u64) as usize };
        let (status, what) = match op {
            0 => {
                let cur = ["USD", "EGP"][rng.next(2) as usize];
                let body = json!({"name": "R", "amount": rng.next(1_000_000), "currency": cur, "stage_id": open[rng.next(4) as usize],
                    "close_date": format!("2027-0{}-01", 1 + rng.next(3))});
                let (s, d) = send(app.post("/v1/deals").json(&body)).await;
                if let Some(id) = d["data"]["id"].as_str() {
                    ids.push(id.to_string());
                }
                (s, format!("create {body}"))
            }
            1 => (
                send(app.post(&format!("/v1/deals/{}/move-stage", ids[pick])).json(&json!({"stage_id": open[rng.next(4) as usize]})))
                    .await
                    .0,
                format!("move {pick}"),
            ),
            2 => (send(app.post(&format!("/v1/deals/{}/mark-won", ids[pick]))).await.0, format!("win {pick}")),
            3 => (
                send(app.post(&format!("/v1/deals/{}/mark-lost", ids[pick])).json(&json!({"reason_code": "price"}))).await.0,
                format!("lose {pick}"),
            ),
            4 => (
                send(
                    app.request(Method::PATCH, &format!("/v1/deals/{}", ids[pick]))
                        .json(&json!({"amount": rng.next(1_000_000), "close_date": null})),
                )
                .await
                .0,
                format!("patch {pick}"),
            ),
            _ => {
                let id = ids.remove(pick);
                (send(app.request(Method::DELETE, &format!("/v1/deals/{id}"))).await.0, format!("delete {pick}"))
            }
        };
        assert!(status < 300, "seed {seed}: {what} → {status}");
        log.push(what);
    }
    // The deals as they are, read one by one.
    let mut expected: std::collections::BTreeMap<(String, String), (i64, i64)> = Default::default();
    for id in &ids {
        let d = app.get_json(&format!("/v1/deals/{id}")).await["data"].clone();
        let e = expected.entry((d["stage_id"].as_str().unwrap().into(), d["currency"].as_str().unwrap().into())).or_default();
        e.0 += 1;
        e.1 += d["amount"].as_i64().unwrap();
    }
    let board = app.get_json(&format!("/v1/pipelines/{pid}/board?per_stage=100")).await;
    for column in board["data"]["stages"].as_array().unwrap() {
        let sid = column["stage"]["id"].as_str().unwrap();
        let count: i64 = expected.iter().filter(|((s, _), _)| s == sid).map(|(_, (n, _))| n).sum();
        assert_eq!(column["count"].as_i64(), Some(count), "seed {seed} {log:?}: count of {}", column["stage"]["name"]);
        assert_eq!(column["deals"].as_array().unwrap().len() as i64, count, "seed {seed}: the column lists its deals");
        for cur in ["USD", "EGP"] {
            let sum = expected.get(&(sid.to_string(), cur.to_string())).map(|e| e.1).filter(|s| *s != 0);
            assert_eq!(column["totals"][cur].as_i64(), sum, "seed {seed} {log:?}: {cur} total of {}", column["stage"]["name"]);
        }
    }
}

#[tokio::test]
async fn a_big_deal_waits_for_a_manager_before_it_is_won_and_owners_and_watchers_are_told() {
    let admin = TestApp::with_plan(&["admin"], "DevPro").await;
    let rep = admin.colleague(&["sales_rep"]).await;
    let manager = admin.colleague(&["manager"]).await;
    let watcher = admin.colleague(&["sales_rep"]).await;
    for (name, field, value) in [("Deals over $100k", "amount_major", json!(100000)), ("Discounts over 10 %", "discount_pct", json!(10))] {
        let p = body_of(admin.post("/v1/approvals/policies").json(&json!({
            "name": name, "action_code": "deal.mark.win", "object_type": "deal",
            "conditions": [{"field": field, "op": "gt", "value": value}],
            "steps": [{"approver_mode": "role", "approver_ref": "manager"}],
        })))
        .await;
        assert!(p["data"]["id"].is_string(), "{p}");
    }
    let small = deal(&rep, json!({"name": "Small", "amount": 5_000_000, "discount_pct": 5})).await;
    assert_eq!(
        body_of(rep.post(&format!("/v1/deals/{}/mark-won", small["id"].as_str().unwrap()))).await["data"]["status"],
        "won",
        "under both thresholds"
    );
    let discounted = deal(&rep, json!({"name": "Discounted", "amount": 1_000_000, "discount_pct": 15})).await;
    let (status, held) = send(rep.post(&format!("/v1/deals/{}/mark-won", discounted["id"].as_str().unwrap()))).await;
    assert_eq!((status, held["data"]["approval_request"]["state"].as_str()), (202, Some("pending")), "{held}");

    // Assigned by the admin to the rep, watched by a colleague.
    let big = deal(&admin, json!({"name": "Acme Enterprise License", "amount": 12_000_000, "owner_user_id": rep.user.to_string(), "watchers": [watcher.user.to_string()]})).await;
    let id = big["id"].as_str().unwrap().to_string();
    eventually("the owner's assignment notice", crate::helpers::PIPELINE, || async {
        rep.get_json("/v1/me/notifications").await["data"]
            .as_array()
            .and_then(|a| a.iter().find(|e| e["meta"]["template_code"] == "deal.assigned").cloned())
    })
    .await;
    let (status, held) = send(rep.post(&format!("/v1/deals/{id}/mark-won"))).await;
    assert_eq!(status, 202, "{held}");
    let rid = held["data"]["approval_request"]["id"].as_str().unwrap().to_string();
    assert_eq!(held["data"]["approval_request"]["approvers"], json!([manager.user.to_string()]));
    assert_eq!(rep.get_json(&format!("/v1/deals/{id}")).await["data"]["status"], "open", "blocked until approved");
    let (status, again) = send(rep.post(&format!("/v1/deals/{id}/request-approval"))).await;
    assert_eq!(
        (status, again["data"]["approval_request"]["id"].as_str()),
        (202, Some(rid.as_str())),
        "the waiting request, not a second one"
    );
    let decided = body_of(manager.post(&format!("/v1/approvals/requests/{rid}/approve")).json(&json!({"comment": "Good margin"}))).await;
    assert_eq!(decided["data"]["state"], "approved", "{decided}");
    let won = body_of(rep.post(&format!("/v1/deals/{id}/mark-won"))).await;
    assert_eq!(won["data"]["status"], "won", "{won}");

    // Moves tell the owner and the watchers, not whoever moved it.
    let watcher_email = format!("{}@fixture.example.com", watcher.user.to_string().to_lowercase());
    eventually("the watcher's won email", crate::helpers::PIPELINE, || async {
        mailbox(&watcher_email).await.into_iter().find(|m| m["template_code"] == "deal.won")
    })
    .await;
    // The notices are queued in the move's own transaction: none names the rep.
    let won_notices: Vec<_> =
        crate::helpers::queued_messages(rep.tenant).await.into_iter().filter(|m| m.template_code == "deal.won").collect();
    assert!(won_notices.iter().any(|m| m.recipient_user_id == Some(watcher.user)), "the watcher's notice is there");
    assert!(won_notices.iter().all(|m| m.recipient_user_id != Some(rep.user)), "the rep won it: no notice to themselves");
}

#[tokio::test]
async fn a_deal_has_a_timeline_its_moves_can_wait_for_approval_and_teams_see_their_own() {
    let admin = TestApp::with_plan(&["admin"], "DevPro").await;
    let (ann, ben) = (admin.colleague(&["sales_rep"]).await, admin.colleague(&["sales_rep"]).await);
    let p = pipeline(&admin, json!({"name": "Sales"})).await;
    let mine = deal(&ann, json!({"name": "Ann's deal", "amount": 1000, "discount_pct": 15})).await;
    let theirs = deal(&ben, json!({"name": "Ben's deal", "amount": 2000})).await;
    let (mid, tid) = (mine["id"].as_str().unwrap().to_string(), theirs["id"].as_str().unwrap().to_string());

    // The deal view's timeline: a call logged on it, and a task linking it.
    body_of(ann.post("/v1/activities").json(&json!({"type": "call", "title": "Discovery call", "subject": {"type": "deal", "id": mid}})))
        .await;
    body_of(ann.post("/v1/tasks").json(&json!({"title": "Send the quote", "links": [{"type": "deal", "id": mid}]}))).await;
    let timeline = ann.get_json(&format!("/v1/timeline?subject_type=deal&subject_id={mid}")).await;
    let titles: Vec<(&str, bool)> = timeline["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["data"]["title"].as_str().unwrap(), e["linked"].as_bool().unwrap()))
        .collect();
    assert_eq!(titles, vec![("Send the quote", true), ("Discovery call", false)]);

    // A discount over 10 % holds a stage move until a manager (here: an admin, none being a manager) approves.
    let policy = body_of(admin.post("/v1/approvals/policies").json(&json!({
        "name": "Discounts over 10 %", "action_code": "deal.stage.move", "object_type": "deal",
        "conditions": [{"field": "discount_pct", "op": "gt", "value": 10}], "steps": [{"approver_mode": "role", "approver_ref": "manager"}],
    })))
    .await;
    assert!(policy["data"]["id"].is_string(), "{policy}");
    let (status, held) = send(ann.post(&format!("/v1/deals/{mid}/move-stage")).json(&json!({"stage_id": stage(&p, "Proposal")}))).await;
    assert_eq!((status, held["data"]["approval_request"]["action_code"].as_str()), (202, Some("deal.stage.move")), "{held}");
    let rid = held["data"]["approval_request"]["id"].as_str().unwrap();
    assert_eq!(ann.get_json(&format!("/v1/deals/{mid}")).await["data"]["stage_id"].as_str(), Some(stage(&p, "Qualification")));
    assert_eq!(body_of(admin.post(&format!("/v1/approvals/requests/{rid}/approve")).json(&json!({}))).await["data"]["state"], "approved");
    let moved = body_of(ann.post(&format!("/v1/deals/{mid}/move-stage")).json(&json!({"stage_id": stage(&p, "Proposal")}))).await;
    assert_eq!(moved["data"]["stage_id"].as_str(), Some(stage(&p, "Proposal")), "{moved}");

    // Team visibility: each rep sees their own deals; the board's totals are what they see.
    assert_eq!(send(admin.request(Method::PUT, "/v1/admin/roles/visibility").json(&json!({"mode": "team"}))).await.0, 200);
    let names = |v: Value| v["data"].as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    assert_eq!(names(ann.get_json("/v1/deals").await), vec!["Ann's deal"]);
    assert_eq!(send(ann.get(&format!("/v1/deals/{tid}"))).await.0, 404, "another team's deal is not there");
    assert_eq!(send(ann.get(&format!("/v1/timeline?subject_type=deal&subject_id={tid}"))).await.0, 404);
    let board = ann.get_json(&format!("/v1/pipelines/{}/board", p["id"].as_str().unwrap())).await;
    assert_eq!((board["data"]["scope"].as_str(), board["data"]["value"]["amounts"]["USD"].as_i64()), (Some("visible_deals"), Some(1000)));
    assert_eq!(send(ann.get(&format!("/v1/pipelines/{}/forecast", p["id"].as_str().unwrap()))).await.0, 403);
    assert_eq!(names(admin.get_json("/v1/deals").await).len(), 2, "admins see every deal");
}

#[tokio::test]
async fn a_merged_contact_keeps_its_deals_and_lost_reasons_are_a_dictionary() {
    let app = TestApp::admin().await;
    let contact = |name: &str| {
        let app = &app;
        let body = json!({"first_name": name, "phone": crate::helpers::unique_phone()});
        async move { body_of(app.post("/v1/contacts").json(&body)).await["data"]["id"].as_str().unwrap().to_string() }
    };
    let (source, target) = (contact("Duplicate").await, contact("Keeper").await);
    let d = deal(&app, json!({"name": "Merged deal", "amount": 700, "contacts": [{"id": source, "role": "influencer"}]})).await;
    let merged = body_of(app.post("/v1/contacts/merge").json(&json!({"target_id": target, "source_id": source}))).await;
    assert!(merged["success"].as_bool().unwrap_or(false), "{merged}");
    let moved = eventually("the deal to follow the merge", crate::helpers::PIPELINE, || async {
        let list = app.get_json(&format!("/v1/deals?contact={target}")).await;
        list["data"].as_array().and_then(|a| a.first().cloned())
    })
    .await;
    assert_eq!((moved["id"].clone(), moved["contacts"].clone()), (d["id"].clone(), json!([{"id": target, "role": "influencer"}])));
    assert_eq!(app.get_json(&format!("/v1/deals?contact={source}")).await["data"], json!([]));

    let reasons = app.get_json("/v1/deals/lost-reasons").await;
    let codes: Vec<&str> = reasons["data"].as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap()).collect();
    assert!(codes.contains(&"competitor") && reasons["data"][0]["label"]["ar"].is_string(), "{reasons}");
}
