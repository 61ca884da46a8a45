//! Property inventory over HTTP (M3CoreCRM §7, ADR 0024): a catalogue of
//! projects, buildings, units and components typed by coded dictionaries;
//! prices with their history and approvals over a threshold; the status
//! machine; reservations that cannot double-sell and that expire on the
//! clock; units that follow their deal exactly once and never backwards;
//! payment schedules exact to the minor unit; the availability read model.

use crm_events::{Actor, DomainEvent, Subject};
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{body_of, bridge_message, drained, error_fields as fields, eventually, queue, sdk, send, TestApp, PIPELINE};

/// A project with one building, as `admin` (DevPro) makes them.
async fn site(app: &TestApp, policy: Value) -> (String, String) {
    let p =
        body_of(app.post("/v1/projects").json(&json!({"name": "Palm Residences", "location": "New Cairo", "reservation_policy": policy})))
            .await;
    let project = p["data"]["id"].as_str().unwrap_or_else(|| panic!("{p}")).to_string();
    let b = body_of(app.post("/v1/buildings").json(&json!({"project_id": project, "name": "Tower A", "floors": 12}))).await;
    (project, b["data"]["id"].as_str().unwrap_or_else(|| panic!("{b}")).to_string())
}

async fn unit(app: &TestApp, building: &str, code: &str, kind: &str, price: i64) -> Value {
    let u = body_of(app.post("/v1/units").json(&json!({
        "building_id": building, "code": code, "unit_type_code": kind, "price": price, "currency": "EGP",
        "size_sqm": 120.5, "bedrooms": 3, "bathrooms": 2, "floor": 4, "view": "garden",
        "virtual_tour_url": "https://tours.example.com/a", "name": "شقة ٤٠١",
    })))
    .await;
    assert!(u["data"]["id"].is_string(), "{u}");
    u["data"].clone()
}

async fn contact_and_deal(app: &TestApp, units: &[&str]) -> (String, String) {
    let c = body_of(app.post("/v1/contacts").json(&json!({"first_name": "Omar", "phone": crate::helpers::unique_phone()}))).await;
    let contact = c["data"]["id"].as_str().unwrap_or_else(|| panic!("{c}")).to_string();
    let d = body_of(app.post("/v1/deals").json(&json!({"name": "Omar — A-401", "amount": 250_000_000, "currency": "EGP", "units": units,
        "contacts": [{"id": contact}]})))
    .await;
    (contact, d["data"]["id"].as_str().unwrap_or_else(|| panic!("{d}")).to_string())
}

async fn availability(app: &TestApp, project: &str) -> Value {
    app.get_json(&format!("/v1/projects/{project}/availability")).await["data"].clone()
}

/// Waits until the project's availability read model says `expect` of units by status.
async fn availability_is(app: &TestApp, project: &str, expect: Value) -> Value {
    eventually("the availability read model", PIPELINE, || async {
        let a = availability(app, project).await;
        (a["by_status"] == expect).then_some(a)
    })
    .await
}

#[tokio::test]
async fn the_catalogue_takes_only_active_codes_and_counts_its_units() {
    let admin = TestApp::with_plan(&["admin"], "DevPro").await;
    let codes = admin.get_json("/v1/admin/unit-type-codes").await;
    let globals: Vec<&str> = codes["data"].as_array().unwrap().iter().map(|c| c["code"].as_str().unwrap()).collect();
    assert_eq!(globals, ["APT", "STUDIO", "DUPLEX", "PENTHOUSE", "VILLA", "TWNH", "OFFICE", "RETAIL"]);
    let parts = admin.get_json("/v1/admin/component-type-codes").await;
    assert_eq!(parts["data"].as_array().unwrap().len(), 7, "{parts}");

    // A tenant code, then retired: a unit may no longer take it.
    let (status, sky) =
        send(admin.post("/v1/admin/unit-type-codes").json(&json!({"code": "SKY_VILLA", "label_en": "Sky villa", "label_ar": "فيلا معلقة"})))
            .await;
    assert_eq!(status, 201, "{sky}");
    let (status, bad) =
        send(admin.post("/v1/admin/unit-type-codes").json(&json!({"code": "sky_villa", "label_en": "x", "label_ar": "x"}))).await;
    assert_eq!((status, fields(&bad)), (400, vec!["code".to_string()]), "unit type codes are upper case: {bad}");
    let (project, building) = site(&admin, json!({})).await;
    let sky_unit = unit(&admin, &building, "A-1201", "SKY_VILLA", 900_000_000).await;
    assert_eq!(send(admin.request(Method::DELETE, "/v1/admin/unit-type-codes/SKY_VILLA")).await.0, 204);
    let retired =
        admin.post("/v1/units").json(&json!({"building_id": building, "code": "A-1202", "unit_type_code": "SKY_VILLA", "price": 1}));
    let (status, refused) = send(retired).await;
    assert_eq!((status, fields(&refused)), (400, vec!["unit_type_code".to_string()]), "{refused}");
    assert!(refused["error"]["details"][0]["message"].as_str().unwrap().contains("no longer in use"), "{refused}");
    let (status, unknown) =
        send(admin.post("/v1/units").json(&json!({"building_id": building, "code": "A-1203", "unit_type_code": "CASTLE", "price": 1})))
            .await;
    assert_eq!((status, fields(&unknown)), (400, vec!["unit_type_code".to_string()]), "{unknown}");
    assert_eq!(
        admin.get_json(&format!("/v1/units/{}", sky_unit["id"].as_str().unwrap())).await["data"]["unit_type_code"],
        "SKY_VILLA",
        "a retired code stays on its units"
    );
    // Another tenant's code is not a code here.
    let other = TestApp::with_plan(&["admin"], "DevPro").await;
    let (_, b2) = site(&other, json!({})).await;
    let (status, foreign) =
        send(other.post("/v1/units").json(&json!({"building_id": b2, "code": "X", "unit_type_code": "SKY_VILLA", "price": 1}))).await;
    assert_eq!((status, fields(&foreign)), (400, vec!["unit_type_code".to_string()]), "{foreign}");

    // Codes unique in a building; a building of another tenant is no building.
    let a401 = unit(&admin, &building, "A-401", "APT", 250_000_000).await;
    let (status, dup) =
        send(admin.post("/v1/units").json(&json!({"building_id": building, "code": "a-401", "unit_type_code": "APT", "price": 1}))).await;
    assert_eq!(status, 409, "{dup}");
    let (status, elsewhere) =
        send(admin.post("/v1/units").json(&json!({"building_id": b2, "code": "Z", "unit_type_code": "APT", "price": 1}))).await;
    assert_eq!((status, fields(&elsewhere)), (400, vec!["building_id".to_string()]), "{elsewhere}");
    let (status, https) = send(
        admin
            .request(Method::PATCH, &format!("/v1/units/{}", a401["id"].as_str().unwrap()))
            .json(&json!({"virtual_tour_url": "http://x.example.com", "price": 5})),
    )
    .await;
    assert_eq!((status, fields(&https)), (400, vec!["price".to_string(), "virtual_tour_url".to_string()]), "{https}");

    // Components carry a coded type and their dimensions.
    let u = a401["id"].as_str().unwrap();
    let (status, room) = send(
        admin
            .post(&format!("/v1/units/{u}/components"))
            .json(&json!({"component_type_code": "ROOM", "name": "Master bedroom", "length_m": 4.2, "width_m": 3.5})),
    )
    .await;
    assert_eq!(status, 201, "{room}");
    assert_eq!(room["data"]["area_sqm"], 14.7);
    let (status, bad) = send(admin.post(&format!("/v1/units/{u}/components")).json(&json!({"component_type_code": "MOAT"}))).await;
    assert_eq!((status, fields(&bad)), (400, vec!["component_type_code".to_string()]), "{bad}");
    let detail = admin.get_json(&format!("/v1/units/{u}")).await;
    assert_eq!(
        (detail["data"]["components"][0]["component_type_code"].as_str(), detail["data"]["bedrooms"].as_u64()),
        (Some("ROOM"), Some(3)),
        "{detail}"
    );

    // The project lists its buildings and counts its units; the building lists its units.
    let p = eventually("the project's counts", PIPELINE, || async {
        let p = admin.get_json(&format!("/v1/projects/{project}")).await;
        (p["data"]["units"]["total_units"] == 2).then_some(p)
    })
    .await;
    assert_eq!(p["data"]["buildings"][0]["name"], "Tower A", "{p}");
    let b = admin.get_json(&format!("/v1/buildings/{building}")).await;
    let codes: Vec<&str> = b["data"]["units"].as_array().unwrap().iter().map(|u| u["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["A-1201", "A-401"], "{b}");
    let (status, busy) = send(admin.request(Method::DELETE, &format!("/v1/buildings/{building}"))).await;
    assert_eq!(status, 409, "a building with units stays: {busy}");
    let (status, _) = send(admin.request(Method::DELETE, &format!("/v1/projects/{project}"))).await;
    assert_eq!(status, 409, "a project with buildings stays");

    // units.max is held in the transaction: narrowed to what exists, the next one is refused.
    let narrowed = admin.request(Method::PUT, "/v1/admin/entitlements/overrides/tenant").json(&json!({"limits": {"units.max": 2}}));
    assert_eq!(send(narrowed).await.0, 200);
    let relogged = admin.relogin().await;
    let (status, full) =
        send(relogged.post("/v1/units").json(&json!({"building_id": building, "code": "A-999", "unit_type_code": "APT", "price": 1})))
            .await;
    assert_eq!(
        (status, full["error"]["code"].as_str(), full["error"]["key"].as_str()),
        (422, Some("LIMIT_REACHED"), Some("units.max")),
        "{full}"
    );
}

#[tokio::test]
async fn twenty_parallel_reservations_of_one_unit_have_exactly_one_winner() {
    let admin = TestApp::with_plan(&["admin"], "DevPro").await;
    let (project, building) = site(&admin, json!({})).await;
    let u = unit(&admin, &building, "B-101", "APT", 300_000_000).await;
    let id = u["id"].as_str().unwrap().to_string();
    let (contact, deal) = contact_and_deal(&admin, &[]).await;
    let tries =
        (0..20).map(|_| send(admin.post(&format!("/v1/units/{id}/reservations")).json(&json!({"contact_id": contact, "deal_id": deal}))));
    let answers = futures::future::join_all(tries).await;
    let won: Vec<&Value> = answers.iter().filter(|(s, _)| *s == 201).map(|(_, b)| b).collect();
    let lost = answers.iter().filter(|(s, b)| *s == 409 && b["error"]["code"] == "UNIT_NOT_AVAILABLE").count();
    assert_eq!((won.len(), lost), (1, 19), "{answers:?}");
    let winner = &won[0]["data"];
    assert_eq!((winner["unit"]["status"].as_str(), winner["reservation"]["status"].as_str()), (Some("reserved"), Some("active")));
    let reservations = admin.get_json(&format!("/v1/units/{id}/reservations")).await;
    assert_eq!(reservations["data"].as_array().unwrap().len(), 1, "one reservation was written: {reservations}");
    let a = availability_is(&admin, &project, json!({"reserved": 1})).await;
    assert_eq!(a["value_available"], json!({}), "a reserved unit has no value available: {a}");

    // A reservation needs its contact and deal, each of this tenant; a hold refuses a deal.
    let other = unit(&admin, &building, "B-102", "APT", 1).await;
    let oid = other["id"].as_str().unwrap();
    let (status, missing) = send(admin.post(&format!("/v1/units/{oid}/reservations")).json(&json!({}))).await;
    assert_eq!((status, fields(&missing)), (400, vec!["contact_id".to_string(), "deal_id".to_string()]), "{missing}");
    let (status, bad) = send(
        admin
            .post(&format!("/v1/units/{oid}/reservations"))
            .json(&json!({"contact_id": contact, "deal_id": ulid::Ulid::new().to_string()})),
    )
    .await;
    assert_eq!((status, fields(&bad)), (400, vec!["deal_id".to_string()]), "{bad}");
    let (status, held) =
        send(admin.post(&format!("/v1/units/{oid}/reservations")).json(&json!({"kind": "courtesy_hold", "deal_id": deal}))).await;
    assert_eq!((status, fields(&held)), (400, vec!["deal_id".to_string()]), "{held}");
    assert_eq!(admin.get_json(&format!("/v1/units/{oid}")).await["data"]["status"], "available", "refused reservations change nothing");
}

#[tokio::test]
async fn courtesy_holds_are_limited_per_rep_and_an_expired_reservation_is_released_by_the_clock() {
    let admin = TestApp::with_plan(&["admin"], "DevPro").await;
    let rep = admin.colleague(&["sales_rep"]).await;
    let (project, building) = site(&admin, json!({"holds_per_user": 1})).await;
    let a = unit(&admin, &building, "C-1", "STUDIO", 100).await;
    let b = unit(&admin, &building, "C-2", "STUDIO", 200).await;
    let (a, b) = (a["id"].as_str().unwrap().to_string(), b["id"].as_str().unwrap().to_string());
    let (status, hold) = send(rep.post(&format!("/v1/units/{a}/reservations")).json(&json!({"kind": "courtesy_hold"}))).await;
    assert_eq!((status, hold["data"]["unit"]["status"].as_str()), (201, Some("hold")), "{hold}");
    let (status, second) = send(rep.post(&format!("/v1/units/{b}/reservations")).json(&json!({"kind": "courtesy_hold"}))).await;
    assert_eq!((status, second["error"]["code"].as_str()), (422, Some("LIMIT_REACHED")), "one hold per rep: {second}");
    let rid = hold["data"]["reservation"]["id"].as_str().unwrap();
    let (status, ext) = send(
        rep.post(&format!("/v1/units/{a}/reservations/{rid}/extend"))
            .json(&json!({"expires_at": (chrono::Utc::now() + chrono::Duration::hours(30)).to_rfc3339()})),
    )
    .await;
    assert_eq!((status, ext["error"]["code"].as_str()), (409, Some("HOLD_NOT_EXTENDABLE")), "{ext}");
    // Another rep may not release it; its own rep may, and the place is free again.
    let other_rep = admin.colleague(&["sales_rep"]).await;
    let (status, theirs) = send(other_rep.request(Method::DELETE, &format!("/v1/units/{a}/reservations/{rid}"))).await;
    assert_eq!((status, theirs["error"]["code"].as_str()), (403, Some("FORBIDDEN")), "{theirs}");
    assert_eq!(send(rep.request(Method::DELETE, &format!("/v1/units/{a}/reservations/{rid}"))).await.0, 204);
    assert_eq!(rep.get_json(&format!("/v1/units/{a}")).await["data"]["status"], "available");
    let (status, again) = send(rep.post(&format!("/v1/units/{b}/reservations")).json(&json!({"kind": "courtesy_hold"}))).await;
    assert_eq!(status, 201, "{again}");
    let rid_b = again["data"]["reservation"]["id"].as_str().unwrap().to_string();
    assert_eq!(send(rep.request(Method::DELETE, &format!("/v1/units/{b}/reservations/{rid_b}"))).await.0, 204);

    // A reservation that ends in a few seconds is released by its schedule.
    let (contact, deal) = contact_and_deal(&admin, &[]).await;
    let soon = (chrono::Utc::now() + chrono::Duration::seconds(3)).to_rfc3339();
    let (status, r) =
        send(rep.post(&format!("/v1/units/{a}/reservations")).json(&json!({"contact_id": contact, "deal_id": deal, "expires_at": soon})))
            .await;
    assert_eq!(status, 201, "{r}");
    let rid = r["data"]["reservation"]["id"].as_str().unwrap().to_string();
    let expired = eventually("the reservation's expiry", PIPELINE, || async {
        let list = rep.get_json(&format!("/v1/units/{a}/reservations")).await;
        list["data"].as_array().unwrap().iter().find(|x| x["id"] == rid.as_str() && x["status"] == "expired").cloned()
    })
    .await;
    assert_eq!(expired["end_reason"], "expired");
    let u = rep.get_json(&format!("/v1/units/{a}")).await;
    assert_eq!((u["data"]["status"].as_str(), u["data"]["reservation_id"].as_str()), (Some("available"), None), "{u}");
    availability_is(&admin, &project, json!({"available": 2})).await;
    eventually("unit.reservation.expired in the feed, by the system", PIPELINE, || async {
        admin.feed().await.into_iter().find(|e| e["event_type"] == "unit.reservation.expired" && e["actor"]["kind"] == "system")
    })
    .await;
    let rep_email = format!("{}@fixture.example.com", rep.user.to_string().to_lowercase());
    eventually("the rep hears the reservation expired", PIPELINE, || async {
        crate::helpers::mailbox(&rep_email).await.into_iter().find(|m| m["template_code"] == "unit.reservation_expired")
    })
    .await;

    // A term longer than the policy is refused at creation; an extension past it needs an approval.
    let (status, long) = send(rep.post(&format!("/v1/units/{a}/reservations")).json(&json!({"contact_id": contact, "deal_id": deal,
        "expires_at": (chrono::Utc::now() + chrono::Duration::days(45)).to_rfc3339()})))
    .await;
    assert_eq!((status, fields(&long)), (400, vec!["expires_at".to_string()]), "{long}");
    let r = body_of(rep.post(&format!("/v1/units/{a}/reservations")).json(&json!({"contact_id": contact, "deal_id": deal}))).await;
    let rid = r["data"]["reservation"]["id"].as_str().unwrap().to_string();
    let extend = |days: i64| {
        rep.post(&format!("/v1/units/{a}/reservations/{rid}/extend"))
            .json(&json!({"expires_at": (chrono::Utc::now() + chrono::Duration::days(days)).to_rfc3339()}))
    };
    let (status, within) = send(extend(20)).await;
    assert_eq!((status, within["data"]["extensions"].as_u64()), (200, Some(1)), "{within}");
    let (status, beyond) = send(extend(40)).await;
    assert_eq!((status, beyond["error"]["code"].as_str()), (422, Some("APPROVAL_REQUIRED")), "no policy, no extension: {beyond}");
    let policy = admin
        .post("/v1/approvals/policies")
        .json(&json!({"name": "Long holds", "action_code": "unit.reservation.extend", "object_type": "unit",
        "conditions": [{"field": "days_total", "op": "gt", "value": 30}], "steps": [{"approver_mode": "role", "approver_ref": "admin"}]}));
    assert_eq!(send(policy).await.0, 201);
    let until = (chrono::Utc::now() + chrono::Duration::days(40)).to_rfc3339();
    let ask = || rep.post(&format!("/v1/units/{a}/reservations/{rid}/extend")).json(&json!({"expires_at": until}));
    let (status, held) = send(ask()).await;
    assert_eq!(status, 202, "{held}");
    let request = held["data"]["approval_request"]["id"].as_str().unwrap();
    assert_eq!(
        body_of(admin.post(&format!("/v1/approvals/requests/{request}/approve")).json(&json!({}))).await["data"]["state"],
        "approved"
    );
    let (status, done) = send(ask()).await;
    assert_eq!((status, done["data"]["extensions"].as_u64()), (200, Some(2)), "approved, it goes through: {done}");
}

#[tokio::test]
async fn units_follow_their_deal_once_and_a_stale_event_changes_nothing() {
    let admin = TestApp::with_plan(&["admin"], "DevPro").await;
    let (project, building) = site(&admin, json!({})).await;
    let reserved = unit(&admin, &building, "D-1", "APT", 250_000_000).await;
    let listed = unit(&admin, &building, "D-2", "VILLA", 900_000_000).await;
    let (r_id, l_id) = (reserved["id"].as_str().unwrap().to_string(), listed["id"].as_str().unwrap().to_string());
    let (contact, deal) = contact_and_deal(&admin, &[&l_id]).await;
    let (status, r) =
        send(admin.post(&format!("/v1/units/{r_id}/reservations")).json(&json!({"contact_id": contact, "deal_id": deal}))).await;
    assert_eq!(status, 201, "{r}");
    let rid = r["data"]["reservation"]["id"].as_str().unwrap().to_string();
    let (status, deposit) =
        send(admin.post(&format!("/v1/units/{r_id}/reservations/{rid}/deposit")).json(&json!({"amount": 5_000_000, "reference": "TRX-1"})))
            .await;
    assert_eq!((status, deposit["data"]["deposit"]["amount"].as_i64()), (200, Some(5_000_000)), "{deposit}");

    let (status, won) = send(admin.post(&format!("/v1/deals/{deal}/mark-won"))).await;
    assert_eq!(status, 200, "{won}");
    let sold = |id: String| {
        let admin = &admin;
        async move {
            eventually("the unit sold", PIPELINE, || async {
                let u = admin.get_json(&format!("/v1/units/{id}")).await;
                (u["data"]["status"] == "sold").then_some(u["data"].clone())
            })
            .await
        }
    };
    let (a, b) = (sold(r_id.clone()).await, sold(l_id.clone()).await);
    assert_eq!((a["deal_id"].as_str(), b["deal_id"].as_str()), (Some(deal.as_str()), Some(deal.as_str())));
    let list = admin.get_json(&format!("/v1/units/{r_id}/reservations")).await;
    assert_eq!(list["data"][0]["status"], "converted", "the reservation converted: {list}");
    availability_is(&admin, &project, json!({"sold": 2})).await;

    // The same deal.won delivered again, and a stale deal.lost: nothing changes.
    let sqs = aws_sdk_sqs::Client::new(&sdk().await);
    let (url, _) = queue("InventoryReactorQueue");
    let event = |kind| {
        DomainEvent::new(
            admin.tenant,
            kind,
            Actor::system(),
            Subject { kind: "deal".into(), id: deal.clone() },
            json!({"unit_ids": [r_id, l_id]}),
        )
    };
    for e in [event(crm_events::types::DEAL_WON), event(crm_events::types::DEAL_WON), event(crm_events::types::DEAL_LOST)] {
        sqs.send_message().queue_url(&url).message_body(bridge_message(&e)).send().await.unwrap();
    }
    drained(&url).await;
    for (id, was) in [(&r_id, &a), (&l_id, &b)] {
        let now = admin.get_json(&format!("/v1/units/{id}")).await["data"].clone();
        assert_eq!((now["status"].as_str(), now["version"].as_u64()), (Some("sold"), was["version"].as_u64()), "{now}");
    }

    // Lost for real: both go back to available.
    let (status, lost) = send(admin.post(&format!("/v1/deals/{deal}/mark-lost")).json(&json!({"reason_code": "price"}))).await;
    assert_eq!(status, 200, "{lost}");
    availability_is(&admin, &project, json!({"available": 2})).await;
    let u = admin.get_json(&format!("/v1/units/{r_id}")).await;
    assert_eq!(u["data"]["deal_id"], Value::Null, "{u}");
    // A late deal.won for a lost deal is stale too.
    sqs.send_message().queue_url(&url).message_body(bridge_message(&event(crm_events::types::DEAL_WON))).send().await.unwrap();
    drained(&url).await;
    assert_eq!(admin.get_json(&format!("/v1/units/{l_id}")).await["data"]["status"], "available");
    // A deal names only units of its tenant.
    let (status, bad) =
        send(admin.post("/v1/deals").json(&json!({"name": "x", "amount": 1, "units": [ulid::Ulid::new().to_string()]}))).await;
    assert_eq!((status, fields(&bad)), (400, vec!["units[0]".to_string()]), "{bad}");
}

#[tokio::test]
async fn the_status_machine_refuses_by_rule_and_a_sale_without_a_deal_needs_approval() {
    let admin = TestApp::with_plan(&["admin"], "DevPro").await;
    let (_, building) = site(&admin, json!({})).await;
    let u = unit(&admin, &building, "E-1", "OFFICE", 100_000).await;
    let id = u["id"].as_str().unwrap().to_string();
    let set = |body: Value| admin.request(Method::PATCH, &format!("/v1/units/{id}/status")).json(&body);
    let (status, held) = send(set(json!({"status": "hold"}))).await;
    assert_eq!((status, held["data"]["status"].as_str()), (200, Some("hold")), "{held}");
    let (status, r) = send(set(json!({"status": "reserved"}))).await;
    assert_eq!((status, r["error"]["code"].as_str()), (409, Some("RESERVE_WITH_A_RESERVATION")), "{r}");
    let (status, r) = send(set(json!({"status": "sold"}))).await;
    assert_eq!((status, r["error"]["code"].as_str()), (422, Some("APPROVAL_REQUIRED")), "{r}");
    let (status, r) = send(set(json!({"status": "gone"}))).await;
    assert_eq!((status, fields(&r)), (400, vec!["status".to_string()]), "{r}");
    let stale =
        admin.request(Method::PATCH, &format!("/v1/units/{id}/status")).header("If-Match", "\"1\"").json(&json!({"status": "available"}));
    assert_eq!(send(stale).await.0, 412);

    let policy = admin
        .post("/v1/approvals/policies")
        .json(&json!({"name": "Sales without a deal", "action_code": "unit.status.sold", "object_type": "unit",
        "conditions": [{"field": "has_deal", "op": "eq", "value": false}], "steps": [{"approver_mode": "role", "approver_ref": "admin"}]}));
    assert_eq!(send(policy).await.0, 201);
    let manager = admin.colleague(&["manager"]).await;
    let sell = || manager.request(Method::PATCH, &format!("/v1/units/{id}/status")).json(&json!({"status": "sold"}));
    let (status, waiting) = send(sell()).await;
    assert_eq!((status, waiting["data"]["held_for_approval"].as_bool()), (202, Some(true)), "{waiting}");
    assert_eq!(admin.get_json(&format!("/v1/units/{id}")).await["data"]["status"], "hold", "held, nothing changed");
    let request = waiting["data"]["approval_request"]["id"].as_str().unwrap();
    body_of(admin.post(&format!("/v1/approvals/requests/{request}/approve")).json(&json!({}))).await;
    let (status, sold) = send(sell()).await;
    assert_eq!((status, sold["data"]["status"].as_str()), (200, Some("sold")), "{sold}");
    let (status, r) = send(set(json!({"status": "available"}))).await;
    assert_eq!((status, r["error"]["code"].as_str()), (409, Some("SOLD_IS_FINAL")), "{r}");
    let (status, r) = send(admin.request(Method::DELETE, &format!("/v1/units/{id}"))).await;
    assert_eq!((status, r["error"]["code"].as_str()), (409, Some("SOLD_IS_FINAL")), "{r}");
}

#[tokio::test]
async fn prices_keep_their_history_wait_for_approval_over_a_threshold_and_take_effect_later() {
    let admin = TestApp::with_plan(&["admin"], "DevPro").await;
    let (project, building) = site(&admin, json!({})).await;
    let u = unit(&admin, &building, "F-1", "APT", 1_000_000).await;
    let id = u["id"].as_str().unwrap().to_string();
    let price = |body: Value| admin.post(&format!("/v1/units/{id}/price")).json(&body);
    let (status, small) = send(price(json!({"price": 1_200_000, "note": "list update"}))).await;
    assert_eq!((status, small["data"]["price"].as_i64()), (200, Some(1_200_000)), "{small}");

    // Finance approves changes above $5k (500 000 minor units).
    let policy = admin.post("/v1/approvals/policies").json(&json!({"name": "Finance: big price changes", "action_code": "unit.price.update", "object_type": "unit",
        "conditions": [{"field": "change_abs", "op": "gt", "value": 500_000}], "steps": [{"approver_mode": "role", "approver_ref": "admin"}]}));
    assert_eq!(send(policy).await.0, 201);
    let rep = admin.colleague(&["manager"]).await;
    let big = || rep.post(&format!("/v1/units/{id}/price")).json(&json!({"price": 2_000_000}));
    let (status, held) = send(big()).await;
    assert_eq!(status, 202, "{held}");
    assert_eq!(held["data"]["approval_request"]["payload"]["change_abs"], 800_000);
    assert_eq!(admin.get_json(&format!("/v1/units/{id}")).await["data"]["price"], 1_200_000, "held: the price stays");
    let request = held["data"]["approval_request"]["id"].as_str().unwrap();
    body_of(admin.post(&format!("/v1/approvals/requests/{request}/approve")).json(&json!({}))).await;
    let (status, done) = send(big()).await;
    assert_eq!((status, done["data"]["price"].as_i64()), (200, Some(2_000_000)), "{done}");
    // Another currency is not a small change: it needs an approval of its own.
    let (status, dollars) = send(rep.post(&format!("/v1/units/{id}/price")).json(&json!({"price": 2_000_000, "currency": "USD"}))).await;
    assert_eq!((status, dollars["error"]["code"].as_str()), (422, Some("APPROVAL_REQUIRED")), "{dollars}");
    let history = admin.get_json(&format!("/v1/units/{id}/prices")).await;
    let prices: Vec<i64> = history["data"].as_array().unwrap().iter().map(|e| e["price"].as_i64().unwrap()).collect();
    assert_eq!(prices, [2_000_000, 1_200_000, 1_000_000], "every change is in the history, newest first: {history}");
    assert_eq!(history["data"][0]["previous_price"], 1_200_000);

    // A future price waits for its time, then the clock applies it.
    let at = (chrono::Utc::now() + chrono::Duration::seconds(3)).to_rfc3339();
    let (status, scheduled) = send(price(json!({"price": 2_100_000, "effective_at": at}))).await;
    assert_eq!(
        (status, scheduled["data"]["price"].as_i64(), scheduled["data"]["scheduled_price"]["price"].as_i64()),
        (200, Some(2_000_000), Some(2_100_000)),
        "{scheduled}"
    );
    let applied = eventually("the scheduled price", PIPELINE, || async {
        let u = admin.get_json(&format!("/v1/units/{id}")).await;
        (u["data"]["price"] == 2_100_000).then_some(u["data"].clone())
    })
    .await;
    assert_eq!(applied["scheduled_price"], Value::Null);
    let a = eventually("the value available", PIPELINE, || async {
        let a = availability(&admin, &project).await;
        (a["value_available"]["EGP"] == 2_100_000).then_some(a)
    })
    .await;
    assert_eq!(a["by_status_and_type"]["available"]["APT"], 1, "{a}");
}

#[tokio::test]
async fn a_payment_schedule_sums_to_the_price_exactly() {
    let admin = TestApp::with_plan(&["admin"], "DevPro").await;
    let (project, building) = site(&admin, json!({})).await;
    let patch = admin.request(Method::PATCH, &format!("/v1/projects/{project}")).json(&json!({"handover_date": "2028-06-30"}));
    assert_eq!(send(patch).await.0, 200);
    let (status, bad) = send(admin.post("/v1/payment-plans").json(&json!({"name": "Short", "lines": [
        {"label": "Down", "percent": 10, "due": "after_reservation"}, {"label": "Rest", "percent": 89.99, "due": "on_handover"}]})))
    .await;
    assert_eq!((status, fields(&bad)), (400, vec!["lines".to_string()]), "{bad}");
    let plan = body_of(admin.post("/v1/payment-plans").json(&json!({"name": "Thirds", "lines": [
        {"label": "Down payment", "percent": 33.33, "due": "after_reservation", "days": 0},
        {"label": "Installment", "percent": 33.33, "due": "after_contract", "days": 90},
        {"label": "Handover", "percent": 33.34, "due": "on_handover"}]})))
    .await;
    let plan = plan["data"]["id"].as_str().unwrap_or_else(|| panic!("{plan}")).to_string();
    let u = unit(&admin, &building, "G-1", "DUPLEX", 333_333_337).await;
    let id = u["id"].as_str().unwrap();
    let (contact, deal) = contact_and_deal(&admin, &[]).await;
    let r = body_of(admin.post(&format!("/v1/units/{id}/reservations")).json(&json!({"contact_id": contact, "deal_id": deal}))).await;
    let rid = r["data"]["reservation"]["id"].as_str().unwrap();
    let s = body_of(
        admin
            .post(&format!("/v1/units/{id}/payment-schedule"))
            .json(&json!({"plan_id": plan, "reservation_id": rid, "contract_date": "2027-01-15"})),
    )
    .await;
    let lines = s["data"]["installments"].as_array().unwrap_or_else(|| panic!("{s}"));
    let amounts: Vec<i64> = lines.iter().map(|l| l["amount"].as_i64().unwrap()).collect();
    assert_eq!(amounts.iter().sum::<i64>(), 333_333_337, "{s}");
    assert_eq!(amounts, [111_100_001, 111_100_001, 111_133_335], "the remainder goes to the last line");
    let due: Vec<&str> = lines.iter().map(|l| l["due_date"].as_str().unwrap_or("")).collect();
    assert_eq!(&due[1..], ["2027-04-15", "2028-06-30"], "{s}");
    let (status, missing) =
        send(admin.post(&format!("/v1/units/{id}/payment-schedule")).json(&json!({"plan_id": ulid::Ulid::new().to_string()}))).await;
    assert_eq!((status, fields(&missing)), (400, vec!["plan_id".to_string()]), "{missing}");
}

#[tokio::test]
async fn unit_media_upload_within_the_policy_and_the_storage_refuses_the_rest() {
    let admin = TestApp::with_plan(&["admin"], "DevPro").await;
    let (_, building) = site(&admin, json!({})).await;
    let u = unit(&admin, &building, "H-1", "VILLA", 1).await;
    let id = u["id"].as_str().unwrap();
    let (status, bad) = send(
        admin
            .post(&format!("/v1/units/{id}/media"))
            .json(&json!({"media_type": "image", "content_type": "image/svg+xml", "file_name": "plan.svg"})),
    )
    .await;
    assert_eq!((status, fields(&bad)), (400, vec!["content_type".to_string()]), "{bad}");
    let (status, made) = send(
        admin
            .post(&format!("/v1/units/{id}/media"))
            .json(&json!({"media_type": "image", "content_type": "image/png", "file_name": "living.png", "caption": "Living room"})),
    )
    .await;
    assert_eq!(status, 201, "{made}");
    let form = &made["data"]["upload"];
    let key = form["fields"]["key"].as_str().unwrap();
    assert!(key.starts_with(&format!("media/{}/units/{id}/", admin.tenant)), "the tenant's prefix: {key}");
    let mid = made["data"]["media"]["id"].as_str().unwrap();
    let (status, early) = send(admin.post(&format!("/v1/units/{id}/media/{mid}/confirm"))).await;
    assert_eq!((status, early["error"]["code"].as_str()), (422, Some("UPLOAD_MISSING")), "{early}");

    // Outside the policy, the storage refuses: another content type, an empty file.
    let mut other_type = form.clone();
    other_type["fields"]["Content-Type"] = json!("text/html");
    let (status, body) = crate::helpers::upload(&other_type, b"<script>".to_vec(), "text/html").await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = crate::helpers::upload(form, Vec::new(), "image/png").await;
    assert_eq!(status, 400, "an empty file is below the policy's range: {body}");
    assert!(body.contains("EntityTooSmall"), "{body}");

    let png = [&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A][..], &[0u8; 1024][..]].concat();
    let (status, body) = crate::helpers::upload(form, png, "image/png").await;
    assert!(status < 300, "{status} {body}");
    let (status, ready) = send(admin.post(&format!("/v1/units/{id}/media/{mid}/confirm"))).await;
    assert_eq!((status, ready["data"]["status"].as_str(), ready["data"]["size"].as_i64()), (200, Some("ready"), Some(1032)), "{ready}");
    let list = admin.get_json(&format!("/v1/units/{id}/media")).await;
    assert!(list["data"][0]["download_url"].as_str().is_some_and(|u| u.contains("living") || u.contains("X-Amz-Signature")), "{list}");
    eventually("unit.media.added in the feed", PIPELINE, || async {
        admin.feed().await.into_iter().find(|e| e["event_type"] == "unit.media.added")
    })
    .await;
}

#[tokio::test]
async fn a_bulk_edit_moves_each_unit_through_its_own_rules_and_tells_deal_owners() {
    let free = TestApp::admin().await;
    let (status, gated) =
        send(free.post("/v1/units/bulk").json(&json!({"unit_ids": [ulid::Ulid::new().to_string()], "status": "hold"}))).await;
    assert_eq!((status, gated["error"]["feature"].as_str()), (402, Some("units.bulkEdit")), "{gated}");

    let admin = TestApp::with_plan(&["admin"], "DevPro").await;
    let owner = admin.colleague(&["sales_rep"]).await;
    let owner_email = format!("{}@fixture.example.com", owner.user.to_string().to_lowercase());
    let owner = owner.user.to_string();
    let (_, building) = site(&admin, json!({})).await;
    let mut ids = Vec::new();
    for (code, price) in [("K-1", 1_000_000), ("K-2", 2_000_000), ("K-3", 3_000_000)] {
        ids.push(unit(&admin, &building, code, "APT", price).await["id"].as_str().unwrap().to_string());
    }
    let (contact, deal) = contact_and_deal(&admin, &[]).await;
    let assign = admin.request(Method::PATCH, &format!("/v1/deals/{deal}")).json(&json!({"owner_user_id": owner}));
    assert_eq!(send(assign).await.0, 200);
    let reserved =
        send(admin.post(&format!("/v1/units/{}/reservations", ids[2])).json(&json!({"contact_id": contact, "deal_id": deal}))).await;
    assert_eq!(reserved.0, 201, "{:?}", reserved.1);

    // Up 10 %: every unit, each with its history.
    let (status, up) = send(admin.post("/v1/units/bulk").json(&json!({"unit_ids": ids, "price": {"change_pct": 10}}))).await;
    assert_eq!((status, up["data"]["updated"].as_u64()), (200, Some(3)), "{up}");
    let mut prices = Vec::new();
    for id in &ids {
        prices.push(admin.get_json(&format!("/v1/units/{id}")).await["data"]["price"].as_i64().unwrap());
    }
    assert_eq!(prices, [1_100_000, 2_200_000, 3_300_000]);

    // A status for all: the reserved one refuses by its rule, the others move.
    let (status, hold) =
        send(admin.post("/v1/units/bulk").json(&json!({"unit_ids": ids, "status": "hold", "note": "launch freeze"}))).await;
    assert_eq!((status, hold["data"]["updated"].as_u64(), hold["data"]["refused"].as_u64()), (200, Some(2), Some(1)), "{hold}");
    let refused = hold["data"]["results"].as_array().unwrap().iter().find(|r| r["outcome"] == "refused").unwrap();
    assert_eq!(
        (refused["unit_id"].as_str(), refused["error_code"].as_str()),
        (Some(ids[2].as_str()), Some("RESERVATION_ACTIVE")),
        "{hold}"
    );

    // Sold in bulk: the reserved unit is sold to its reservation's deal, and the deal's owner hears of it.
    let (status, sold) = send(admin.post("/v1/units/bulk").json(&json!({"unit_ids": [ids[2]], "status": "sold"}))).await;
    assert_eq!((status, sold["data"]["updated"].as_u64()), (200, Some(1)), "{sold}");
    let u = admin.get_json(&format!("/v1/units/{}", ids[2])).await;
    assert_eq!((u["data"]["status"].as_str(), u["data"]["deal_id"].as_str()), (Some("sold"), Some(deal.as_str())), "{u}");
    let told = eventually("the deal owner's notice", PIPELINE, || async {
        crate::helpers::mailbox(&owner_email).await.into_iter().find(|m| m["template_code"] == "unit.status_changed")
    })
    .await;
    assert!(told.to_string().contains("K-3"), "{told}");
    let (status, bad) = send(admin.post("/v1/units/bulk").json(&json!({"unit_ids": ids, "price": {"set": 1, "change_pct": 5}}))).await;
    assert_eq!((status, fields(&bad)), (400, vec!["price.set".to_string()]), "{bad}");
}

#[tokio::test]
async fn reservations_sales_and_price_changes_tell_their_people() {
    let admin = TestApp::with_plan(&["admin"], "DevPro").await;
    let (agent, seller, finance, watcher) = (
        admin.colleague(&["sales_rep"]).await,
        admin.colleague(&["sales_rep"]).await,
        admin.colleague(&["viewer"]).await,
        admin.colleague(&["viewer"]).await,
    );
    let email = |u: &TestApp| format!("{}@fixture.example.com", u.user.to_string().to_lowercase());
    let group = |name: &str, code: &str, member: &TestApp| {
        let (admin, name, code, member) = (&admin, name.to_string(), code.to_string(), member.user.to_string());
        async move {
            let g = body_of(admin.post("/v1/admin/groups").json(&json!({"name": name, "code": code}))).await;
            let id = g["data"]["id"].as_str().unwrap_or_else(|| panic!("{g}")).to_string();
            let (status, added) = send(admin.post(&format!("/v1/admin/groups/{id}/members")).json(&json!({"user_id": member}))).await;
            assert!(status < 300, "{added}");
            id
        }
    };
    let sales = group("Sales", "sales", &seller).await;
    let fin = group("Finance", "finance", &finance).await;
    let (project, building) = site(&admin, json!({})).await;
    let teams = admin
        .request(Method::PATCH, &format!("/v1/projects/{project}"))
        .json(&json!({"sales_team_group_id": sales, "finance_group_id": fin}));
    assert_eq!(send(teams).await.0, 200);
    let (status, bad) = send(
        admin
            .request(Method::PATCH, &format!("/v1/projects/{project}"))
            .json(&json!({"marketing_group_id": ulid::Ulid::new().to_string()})),
    )
    .await;
    assert_eq!((status, fields(&bad)), (400, vec!["marketing_group_id".to_string()]), "a group of this tenant: {bad}");
    let u =
        body_of(admin.post("/v1/units").json(&json!({"building_id": building, "code": "N-1", "unit_type_code": "APT", "price": 1_000_000,
        "owner_user_id": agent.user, "watchers": [watcher.user]})))
        .await;
    let id = u["data"]["id"].as_str().unwrap_or_else(|| panic!("{u}")).to_string();
    let mail = |to: String, family: &'static str| async move {
        eventually(&format!("{family} to {to}"), PIPELINE, || async {
            crate::helpers::mailbox(&to).await.into_iter().find(|m| m["template_code"] == family)
        })
        .await
    };

    let (contact, deal) = contact_and_deal(&admin, &[]).await;
    assert_eq!(
        send(admin.post(&format!("/v1/units/{id}/reservations")).json(&json!({"contact_id": contact, "deal_id": deal}))).await.0,
        201
    );
    mail(email(&agent), "unit.reserved").await;
    mail(email(&seller), "unit.reserved").await;
    assert_eq!(send(admin.post(&format!("/v1/units/{id}/price")).json(&json!({"price": 1_100_000}))).await.0, 200);
    let priced = mail(email(&watcher), "unit.price_changed").await;
    assert!(priced.to_string().contains("N-1"), "{priced}");
    assert_eq!(send(admin.post(&format!("/v1/deals/{deal}/mark-won"))).await.0, 200);
    mail(email(&finance), "unit.sold").await;
}

#[tokio::test]
async fn a_waitlist_queues_behind_a_reservation_and_the_first_in_line_hears_when_it_ends() {
    let admin = TestApp::with_plan(&["admin"], "DevPro").await;
    let rep = admin.colleague(&["sales_rep"]).await;
    let (_, building) = site(&admin, json!({})).await;
    let u = unit(&admin, &building, "W-1", "APT", 1).await;
    let id = u["id"].as_str().unwrap().to_string();
    let (contact, deal) = contact_and_deal(&admin, &[]).await;
    let (status, early) = send(rep.post(&format!("/v1/units/{id}/waitlist")).json(&json!({"contact_id": contact}))).await;
    assert_eq!((status, early["error"]["code"].as_str()), (409, Some("UNIT_AVAILABLE")), "{early}");
    let r = body_of(admin.post(&format!("/v1/units/{id}/reservations")).json(&json!({"contact_id": contact, "deal_id": deal}))).await;
    let rid = r["data"]["reservation"]["id"].as_str().unwrap_or_else(|| panic!("{r}")).to_string();
    let (other, _) = contact_and_deal(&admin, &[]).await;
    let (status, first) =
        send(rep.post(&format!("/v1/units/{id}/waitlist")).json(&json!({"contact_id": other, "note": "wants a garden view"}))).await;
    assert_eq!(status, 201, "{first}");
    let (status, again) = send(rep.post(&format!("/v1/units/{id}/waitlist")).json(&json!({"contact_id": other}))).await;
    assert_eq!(status, 409, "one entry per contact: {again}");
    let (third, _) = contact_and_deal(&admin, &[]).await;
    assert_eq!(send(admin.post(&format!("/v1/units/{id}/waitlist")).json(&json!({"contact_id": third}))).await.0, 201);
    let queue = admin.get_json(&format!("/v1/units/{id}/waitlist")).await;
    let order: Vec<&str> = queue["data"].as_array().unwrap().iter().map(|e| e["contact_id"].as_str().unwrap()).collect();
    assert_eq!(order, [other.as_str(), third.as_str()], "first come first: {queue}");

    assert_eq!(send(admin.request(Method::DELETE, &format!("/v1/units/{id}/reservations/{rid}"))).await.0, 204);
    let rep_email = format!("{}@fixture.example.com", rep.user.to_string().to_lowercase());
    let told = eventually("the first in line hears", PIPELINE, || async {
        crate::helpers::mailbox(&rep_email).await.into_iter().find(|m| m["template_code"] == "unit.available")
    })
    .await;
    assert!(told.to_string().contains("W-1"), "{told}");
    let entry = first["data"]["id"].as_str().unwrap();
    assert_eq!(send(rep.request(Method::DELETE, &format!("/v1/units/{id}/waitlist/{entry}"))).await.0, 204);
    assert_eq!(admin.get_json(&format!("/v1/units/{id}/waitlist")).await["data"].as_array().unwrap().len(), 1);
}

/// Starts a units import of `csv` (uploaded to its presigned form) and waits for the job's end.
async fn units_import(app: &TestApp, csv: &str, dry_run: bool) -> Value {
    let (status, made) = send(app.post("/v1/units/import").json(&json!({"filename": "units.csv", "dry_run": dry_run}))).await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(made["data"]["job"]["type"], "units_import");
    let id = made["data"]["job"]["id"].as_str().unwrap().to_string();
    let (status, answer) = crate::helpers::upload(&made["data"]["upload"], csv.as_bytes().to_vec(), "text/csv").await;
    assert!((200..300).contains(&status), "upload: {status} {answer}");
    assert_eq!(send(app.post(&format!("/v1/jobs/{id}/start"))).await.0, 202);
    crate::imports::finished(app, &id, PIPELINE).await
}

#[tokio::test]
async fn units_import_through_the_jobs_checking_every_row_and_export_as_the_list_filters() {
    let admin = TestApp::with_plan(&["admin"], "DevPro").await;
    let (project, a) = site(&admin, json!({})).await;
    let b = body_of(admin.post("/v1/buildings").json(&json!({"project_id": project, "name": "Tower B", "floors": 8}))).await;
    let b = b["data"]["id"].as_str().unwrap().to_string();
    let held = unit(&admin, &a, "A-101", "APT", 100_000_000).await;
    let stranger = TestApp::with_plan(&["admin"], "DevPro").await;
    let (_, foreign) = site(&stranger, json!({})).await;
    let csv = format!(
        "Building ID,Code,Name,Unit Type Code,Floor,Size SQM,Bedrooms,Price,Currency\n\
         {a},A-101,,APT,1,90,2,1,EGP\n\
         {a},A-102,شقة ١٠٢,APT,1,95.5,2,150000000,EGP\n\
         {b},A-102,,APT,1,95.5,2,150000000,EGP\n\
         {a},a-102,,STUDIO,1,40,0,90000000,EGP\n\
         {a},A-103,,NOPE,1,40,0,90000000,EGP\n\
         {foreign},A-104,,APT,1,40,1,90000000,EGP\n\
         {a},A-105,,APT,1,40,many,90000000,EGP\n\
         {a},=A-106,,VILLA,2,300,5,300000000,EGP\n"
    );
    let expected = json!({"processed": 8, "created": 3, "duplicates": 2, "failed": 3, "exported": 0});
    let dry = units_import(&admin, &csv, true).await;
    assert_eq!((dry["status"].as_str(), &dry["counts"]), (Some("completed"), &expected), "{dry}");
    let before = admin.get_json(&format!("/v1/units?building={a}")).await;
    assert_eq!(before["data"].as_array().unwrap().len(), 1, "a dry run writes nothing: {before}");

    let done = units_import(&admin, &csv, false).await;
    assert_eq!((done["status"].as_str(), &done["counts"]), (Some("completed"), &expected), "{done}");
    let errors: Vec<(u64, &str)> =
        done["errors"].as_array().unwrap().iter().map(|e| (e["row"].as_u64().unwrap(), e["field"].as_str().unwrap())).collect();
    assert_eq!(errors, [(5, "unit_type_code"), (6, "building_id"), (7, "bedrooms")], "{}", done["errors"]);
    let dupes: Vec<(u64, Value)> =
        done["duplicates"].as_array().unwrap().iter().map(|d| (d["row"].as_u64().unwrap(), d["unit_id"].clone())).collect();
    assert_eq!(dupes, [(1, held["id"].clone()), (4, Value::Null)], "the unit holding the code, else an earlier row");

    // Written as the API writes a unit: listed, counted, priced with a history, in the availability model.
    let in_a = admin.get_json(&format!("/v1/units?building={a}")).await;
    let codes: Vec<&str> = in_a["data"].as_array().unwrap().iter().map(|u| u["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["=A-106", "A-101", "A-102"], "{in_a}");
    let a102 = in_a["data"].as_array().unwrap().iter().find(|u| u["code"] == "A-102").unwrap().clone();
    assert_eq!(
        (a102["name"].as_str(), a102["size_sqm"].as_f64(), a102["status"].as_str()),
        (Some("شقة ١٠٢"), Some(95.5), Some("available"))
    );
    let history = admin.get_json(&format!("/v1/units/{}/prices", a102["id"].as_str().unwrap())).await;
    assert_eq!(history["data"][0]["price"], 150_000_000, "{history}");
    let (status, kept) = send(admin.request(Method::DELETE, &format!("/v1/buildings/{b}"))).await;
    assert_eq!(status, 409, "the building's tally counts its imported unit: {kept}");
    availability_is(&admin, &project, json!({"available": 4})).await;
    assert_eq!(units_import(&admin, &csv, false).await["counts"]["created"], 0, "a second import of the file finds every code taken");

    // The export: the units the list's filter finds, cells a spreadsheet would run quoted.
    let (status, export) = send(admin.post("/v1/units/export").json(&json!({"project": project, "type": "APT"}))).await;
    assert_eq!(status, 202, "{export}");
    let job = crate::imports::finished(&admin, export["data"]["id"].as_str().unwrap(), PIPELINE).await;
    assert_eq!((job["status"].as_str(), job["counts"]["exported"].as_u64()), (Some("completed"), Some(3)), "{job}");
    let file = reqwest::get(job["download"]["url"].as_str().unwrap()).await.unwrap().text().await.unwrap();
    let mut rows = csv::Reader::from_reader(file.as_bytes());
    let header: Vec<String> = rows.headers().unwrap().iter().map(str::to_string).collect();
    assert_eq!(&header[..4], ["id", "project_id", "building_id", "code"]);
    let records: Vec<csv::StringRecord> = rows.records().map(Result::unwrap).collect();
    let mut exported: Vec<String> = records.iter().map(|r| r[3].to_string()).collect();
    exported.sort();
    assert_eq!(exported, ["A-101", "A-102", "A-102"], "{file}");
    let everything = body_of(admin.post("/v1/units/export").json(&json!({"building": a}))).await;
    let all = crate::imports::finished(&admin, everything["data"]["id"].as_str().unwrap(), PIPELINE).await;
    let file = reqwest::get(all["download"]["url"].as_str().unwrap()).await.unwrap().text().await.unwrap();
    assert!(file.contains("'=A-106"), "a formula-like cell is quoted for spreadsheets: {file}");

    // Bad input changes nothing; the plan gates both; another tenant never sees the job.
    let (status, bad) = send(admin.post("/v1/units/export").json(&json!({"status": "gone", "min_price": -1}))).await;
    assert_eq!(status, 400, "{bad}");
    let failed = units_import(&admin, "code,status\nA-1,sold\n", false).await;
    assert_eq!(failed["status"], "failed");
    let why = failed["failure"].as_str().unwrap();
    assert!(why.contains("columns.status") && why.contains("columns.building_id"), "{why}");
    assert_eq!(stranger.get(&format!("/v1/jobs/{}", job["id"].as_str().unwrap())).send().await.unwrap().status(), 404);
    let free = TestApp::with_roles(&["admin"]).await;
    assert_eq!(send(free.post("/v1/units/import").json(&json!({}))).await.0, 402);
    assert_eq!(send(free.post("/v1/units/export").json(&json!({}))).await.0, 402);
    let viewer = admin.colleague(&["viewer"]).await;
    assert_eq!(send(viewer.post("/v1/units/import").json(&json!({}))).await.0, 403, "importing units takes unit.update");
}

#[tokio::test]
async fn units_carry_custom_attributes_checked_against_the_tenants_definitions() {
    let admin = TestApp::with_plan(&["admin"], "DevPro").await;
    for def in [
        json!({"entity": "unit", "code": "sea_view", "label": "Sea view", "type": "bool"}),
        json!({"entity": "unit", "code": "plot_no", "label": "Plot", "type": "text", "unique": true}),
    ] {
        let (status, made) = send(admin.post("/v1/custom-fields/definitions").json(&def)).await;
        assert_eq!(status, 201, "{made}");
    }
    let (_, a) = site(&admin, json!({})).await;
    let body =
        |code: &str, custom: Value| json!({"building_id": a, "code": code, "unit_type_code": "VILLA", "price": 1, "custom_fields": custom});
    let (status, first) = send(admin.post("/v1/units").json(&body("V-1", json!({"sea_view": true, "plot_no": "P-1"})))).await;
    assert_eq!((status, &first["data"]["custom_fields"]), (201, &json!({"sea_view": true, "plot_no": "P-1"})), "{first}");
    let (status, taken) = send(admin.post("/v1/units").json(&body("V-2", json!({"plot_no": "P-1"})))).await;
    assert_eq!(status, 409, "a unique value is held by one unit: {taken}");
    let (status, unknown) = send(admin.post("/v1/units").json(&body("V-2", json!({"pool": true})))).await;
    assert_eq!((status, fields(&unknown)), (400, vec!["custom_fields.pool".to_string()]), "{unknown}");
    let id = first["data"]["id"].as_str().unwrap();
    let (status, freed) =
        send(admin.request(Method::PATCH, &format!("/v1/units/{id}")).json(&json!({"custom_fields": {"plot_no": null}}))).await;
    assert_eq!((status, &freed["data"]["custom_fields"]), (200, &json!({"sea_view": true})), "{freed}");
    let (status, second) = send(admin.post("/v1/units").json(&body("V-2", json!({"plot_no": "P-1"})))).await;
    assert_eq!(status, 201, "freed by the patch: {second}");
    let second = second["data"]["id"].as_str().unwrap();
    let recased = admin.request(Method::PATCH, &format!("/v1/units/{second}")).json(&json!({"custom_fields": {"plot_no": "p-1"}}));
    assert_eq!(send(recased).await.0, 200, "a change of case keeps the value's claim");
    let (status, cleared) =
        send(admin.request(Method::PATCH, &format!("/v1/units/{id}")).json(&json!({"custom_fields": {"sea_view": null}}))).await;
    assert_eq!((status, &cleared["data"]["custom_fields"]), (200, &json!({})), "the last value removed: {cleared}");

    // The import fills them from custom.{code} columns, typed by the definition.
    let done =
        units_import(&admin, &format!("building_id,code,unit_type_code,custom.sea_view\n{a},V-3,VILLA,yes\n{a},V-4,VILLA,maybe\n"), false)
            .await;
    assert_eq!(done["counts"]["created"], 1, "{done}");
    assert_eq!(done["errors"][0]["field"], "custom_fields.sea_view");
    let listed = admin.get_json(&format!("/v1/units?building={a}")).await;
    let v3 = listed["data"].as_array().unwrap().iter().find(|u| u["code"] == "V-3").cloned().unwrap();
    assert_eq!(v3["custom_fields"], json!({"sea_view": true}));

    let free = TestApp::with_roles(&["admin"]).await;
    let (_, b) = site(&free, json!({})).await;
    let plain = json!({"building_id": b, "code": "F-1", "unit_type_code": "APT", "price": 1, "custom_fields": {"sea_view": true}});
    assert_eq!(send(free.post("/v1/units").json(&plain)).await.0, 402, "custom attributes take units.customFields");
}
