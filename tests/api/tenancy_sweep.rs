//! The cross-tenant sweep (issues 5 and 6): every route of the CRM records,
//! activities, approvals, access-control, deals, leads, inventory, maps and billing modules that takes an id is
//! called by another tenant's admin with this tenant's real ids — each
//! answers 404, and nothing of this tenant changes. A new route with an id
//! under these prefixes fails this test until it is swept.

use std::collections::BTreeMap;

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{body_of, TestApp};

const PREFIXES: &[&str] = &[
    "/v1/companies",
    "/v1/contacts",
    "/v1/custom-fields",
    "/v1/segments",
    "/v1/tasks",
    "/v1/activities",
    "/v1/notes",
    "/v1/admin/groups",
    "/v1/admin/roles",
    "/v1/admin/invitations",
    "/v1/admin/audit-logs",
    "/v1/approvals",
    "/v1/pipelines",
    "/v1/deals",
    "/v1/leads",
    "/v1/projects",
    "/v1/buildings",
    "/v1/units",
    "/v1/payment-plans",
    "/v1/maps",
    "/v1/billing",
];

fn id_of(v: &Value) -> String {
    v["data"]["id"].as_str().unwrap_or_else(|| panic!("no id in {v}")).to_string()
}

#[tokio::test]
async fn another_tenant_gets_404_for_every_id_of_this_one() {
    let owner = TestApp::with_plan(&["admin"], "DevPro").await;
    let rep = owner.colleague(&["sales_rep"]).await;
    let company = id_of(&body_of(owner.post("/v1/companies").json(&json!({"name": "Acme Corporation"}))).await);
    let contact = body_of(
        owner.post("/v1/contacts").json(&json!({"first_name": "John", "phone": crate::helpers::unique_phone(), "company_id": company})),
    )
    .await;
    let (contact, channel) = (id_of(&contact), contact["data"]["channels"][0]["id"].as_str().unwrap().to_string());
    let field = id_of(
        &body_of(
            owner
                .post("/v1/custom-fields/definitions")
                .json(&json!({"entity": "contact", "code": "budget", "label": "Budget", "type": "number"})),
        )
        .await,
    );
    let segment = id_of(
        &body_of(owner.post("/v1/segments").json(&json!({"name": "Leads", "entity": "contact", "filter": {"lifecycle": "lead"}}))).await,
    );
    let task = id_of(
        &body_of(
            rep.post("/v1/tasks").json(&json!({"title": "Call John", "priority": "high", "related": {"type": "contact", "id": contact}})),
        )
        .await,
    );
    let at = (chrono::Utc::now() + chrono::Duration::hours(2)).to_rfc3339();
    let reminder = body_of(rep.post(&format!("/v1/tasks/{task}/remind")).json(&json!({"remind_at": at}))).await;
    let reminder = reminder["data"]["reminders"][0]["id"].as_str().unwrap().to_string();
    let activity = id_of(
        &body_of(owner.post("/v1/activities").json(&json!({"type": "note", "title": "Met John", "started_at": "2026-11-20T10:00:00Z"})))
            .await,
    );
    let note = id_of(&body_of(owner.post("/v1/notes").json(&json!({"body": "private"}))).await);
    let group = id_of(&body_of(owner.post("/v1/admin/groups").json(&json!({"name": "Team", "code": "team"}))).await);
    let role =
        body_of(owner.post("/v1/admin/roles").json(&json!({"code": "closer", "name": "Closer", "permissions": ["deal.read"]}))).await;
    let role = role["data"]["code"].as_str().unwrap_or_else(|| panic!("{role}")).to_string();
    let invited = body_of(
        owner
            .post("/v1/admin/users/invite")
            .json(&json!({"email": format!("sweep-{}@inv.example.com", owner.tenant.to_string().to_lowercase()), "roles": ["viewer"]})),
    )
    .await;
    let invitation = invited["data"]["invitation_id"].as_str().unwrap_or_else(|| panic!("{invited}")).to_string();
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let export = body_of(owner.post(&format!("/v1/admin/audit-logs/export?from={today}&to={today}"))).await;
    let export = id_of(&export);
    let policy = id_of(&body_of(owner.post("/v1/approvals/policies").json(&json!({"name": "P", "action_code": "task.complete", "object_type": "task", "conditions": [{"field": "priority", "op": "eq", "value": "high"}], "steps": [{"approver_mode": "role", "approver_ref": "admin"}]}))).await);
    let request = body_of(rep.post(&format!("/v1/tasks/{task}/complete"))).await;
    let request = request["data"]["approval_request"]["id"].as_str().unwrap_or_else(|| panic!("{request}")).to_string();
    let pipeline = body_of(owner.post("/v1/pipelines").json(&json!({"name": "Sales"}))).await;
    let (pipeline, stage) = (id_of(&pipeline), pipeline["data"]["stages"][1]["id"].as_str().unwrap().to_string());
    let deal = id_of(&body_of(owner.post("/v1/deals").json(&json!({"name": "Acme renewal", "amount": 100}))).await);
    let lead = id_of(&body_of(owner.post("/v1/leads").json(&json!({"first_name": "Sara", "email": "sara@sweep.example"}))).await);
    let project = id_of(&body_of(owner.post("/v1/projects").json(&json!({"name": "Palm Residences"}))).await);
    let building = id_of(&body_of(owner.post("/v1/buildings").json(&json!({"project_id": project, "name": "Tower A"}))).await);
    let unit = id_of(
        &body_of(owner.post("/v1/units").json(&json!({"building_id": building, "code": "A-1", "unit_type_code": "APT", "price": 100})))
            .await,
    );
    let component =
        id_of(&body_of(owner.post(&format!("/v1/units/{unit}/components")).json(&json!({"component_type_code": "ROOM"}))).await);
    let reserved = body_of(owner.post(&format!("/v1/units/{unit}/reservations")).json(&json!({"kind": "courtesy_hold"}))).await;
    let reservation = reserved["data"]["reservation"]["id"].as_str().unwrap_or_else(|| panic!("{reserved}")).to_string();
    let media = body_of(
        owner
            .post(&format!("/v1/units/{unit}/media"))
            .json(&json!({"media_type": "image", "content_type": "image/png", "file_name": "a.png"})),
    )
    .await;
    let media = media["data"]["media"]["id"].as_str().unwrap_or_else(|| panic!("{media}")).to_string();
    let entry = body_of(owner.post(&format!("/v1/units/{unit}/waitlist")).json(&json!({"contact_id": contact}))).await;
    let entry = entry["data"]["id"].as_str().unwrap_or_else(|| panic!("{entry}")).to_string();
    let plan = id_of(
        &body_of(
            owner
                .post("/v1/payment-plans")
                .json(&json!({"name": "All now", "lines": [{"label": "All", "percent": 100, "due": "after_reservation"}]})),
        )
        .await,
    );
    let made = body_of(owner.post("/v1/maps/overlays").json(&json!({"name": "Site", "project_id": project, "file_type": "png"}))).await;
    let overlay = made["data"]["overlay"]["id"].as_str().unwrap_or_else(|| panic!("{made}")).to_string();
    crate::helpers::upload(&made["data"]["upload"], crate::maps::png(800, 600), "image/png").await;
    body_of(owner.post(&format!("/v1/maps/overlays/{overlay}/confirm"))).await;
    let layer =
        id_of(&body_of(owner.post(&format!("/v1/maps/overlays/{overlay}/layers")).json(&json!({"name": "Site", "kind": "site"}))).await);
    let square = json!({"type": "Polygon", "coordinates": [[[10, 10], [110, 10], [110, 110], [10, 110], [10, 10]]]});
    let shape = id_of(
        &body_of(
            owner
                .post(&format!("/v1/maps/overlays/{overlay}/shapes"))
                .json(&json!({"layer_id": layer, "kind": "unit", "unit_id": unit, "geom_geojson": square})),
        )
        .await,
    );
    // An invoice of the owner (a fixture: a close would touch other tests' tenants).
    let invoice = billing::invoices::Invoice {
        id: crm_kernel::EntityId::new(),
        tenant_id: owner.tenant,
        period: "2026-10".into(),
        period_start: "2026-10-01".into(),
        period_end: "2026-11-01".into(),
        period_starts_at: None,
        period_ends_at: None,
        lines: Vec::new(),
        total_amount: 0,
        currency: crm_kernel::Currency::parse("USD").unwrap(),
        status: crm_billing::invoice::InvoiceStatus::Draft,
        provider_invoice_id: None,
        provider_customer_id: None,
        sending_until: None,
        provider_error: None,
        created_at: crm_kernel::Timestamp::now(),
        finalized_at: None,
        paid_at: None,
        voided_at: None,
        version: 1,
    };
    crate::helpers::fixture_store().await.put(invoice.to_item().unwrap()).await.unwrap();
    let invoice = invoice.id.to_string();
    let before = owner.get_json(&format!("/v1/contacts/{contact}")).await;

    let ids: BTreeMap<&str, &str> = [
        ("/v1/companies/{id}", company.as_str()),
        ("/v1/contacts/{id}", contact.as_str()),
        ("/v1/custom-fields/definitions/{id}", field.as_str()),
        ("/v1/segments/{id}", segment.as_str()),
        ("/v1/tasks/{id}", task.as_str()),
        ("/v1/activities/{id}", activity.as_str()),
        ("/v1/notes/{id}", note.as_str()),
        ("/v1/admin/groups/{id}", group.as_str()),
        ("/v1/admin/roles/{id}", role.as_str()),
        ("/v1/admin/invitations/{id}", invitation.as_str()),
        ("/v1/admin/audit-logs/exports/{id}", export.as_str()),
        ("/v1/approvals/policies/{id}", policy.as_str()),
        ("/v1/approvals/requests/{id}", request.as_str()),
        ("/v1/pipelines/{id}", pipeline.as_str()),
        ("/v1/deals/{id}", deal.as_str()),
        ("/v1/leads/{id}", lead.as_str()),
        ("/v1/projects/{id}", project.as_str()),
        ("/v1/buildings/{id}", building.as_str()),
        ("/v1/units/{id}", unit.as_str()),
        ("/v1/payment-plans/{id}", plan.as_str()),
        ("/v1/maps/overlays/{id}", overlay.as_str()),
        ("/v1/maps/shapes/{id}", shape.as_str()),
        ("/v1/billing/invoices/{id}", invoice.as_str()),
    ]
    .into_iter()
    .collect();
    // Bodies valid in shape, so only the foreign id can be wrong.
    let body_for = |key: &str| -> Value {
        match key {
            k if k.ends_with("/verify/confirm") => json!({"code": "000000"}),
            k if k.ends_with("/opt-in") || k.ends_with("/opt-out") => json!({"channel_id": channel}),
            k if k.ends_with("/members") => json!({"user_id": rep.user.to_string()}),
            k if k.ends_with("/remind") => json!({"remind_at": at}),
            k if k.ends_with("/channels") => json!({"type": "email", "value": "x@stranger.example.com"}),
            k if k.ends_with("/move-stage") => json!({"stage_id": stage}),
            k if k.ends_with("/mark-lost") => json!({"reason_code": "price"}),
            k if k.ends_with("/score") => json!({"adjustment": 5}),
            k if k.ends_with("/stages") => json!({"name": "Intruder"}),
            k if k.ends_with("/status") => json!({"status": "unavailable"}),
            k if k.ends_with("/price") => json!({"price": 1}),
            k if k.ends_with("/reservations") => json!({"kind": "courtesy_hold"}),
            k if k.ends_with("/extend") => json!({"expires_at": at}),
            k if k.ends_with("/deposit") => json!({"amount": 100}),
            k if k.ends_with("/payment-schedule") => json!({"plan_id": plan}),
            k if k.ends_with("/components") => json!({"component_type_code": "BATH"}),
            k if k.ends_with("/waitlist") => json!({"contact_id": contact}),
            k if k.ends_with("/align") => json!({"method": "simple", "scale": 1}),
            k if k.ends_with("/link-unit") => json!({"unit_id": unit}),
            k if k.ends_with("/version") => json!({"version": 1}),
            _ => json!({}),
        }
    };

    let stranger = TestApp::with_plan(&["admin"], "DevPro").await;
    let mut swept = 0;
    for (key, _) in devserver::openapi::declared_access() {
        let Some((method, path)) = key.split_once(' ') else {
            continue; // `$default`
        };
        if !path.contains('{') || !PREFIXES.iter().any(|p| path.starts_with(p)) {
            continue;
        }
        let base = ids.iter().filter(|(tpl, _)| path.starts_with(&tpl.replace("/{id}", "/"))).map(|(tpl, id)| (*tpl, *id)).next();
        let (_, id) = base.unwrap_or_else(|| panic!("{key}: no id to sweep it with; add its resource to the sweep"));
        let url = path
            .replace("{id}", id)
            .replace("{channelId}", &channel)
            .replace("{reminderId}", &reminder)
            .replace("{stageId}", &stage)
            .replace("{componentId}", &component)
            .replace("{reservationId}", &reservation)
            .replace("{mediaId}", &media)
            .replace("{entryId}", &entry)
            .replace("{layerId}", &layer);
        assert!(!url.contains('{'), "{key}: a path parameter the sweep does not know");
        let m = Method::from_bytes(method.as_bytes()).unwrap();
        let resp = stranger.request(m.clone(), &url).json(&body_for(key)).send().await.unwrap();
        let status = resp.status().as_u16();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        assert_eq!(status, 404, "{key} with another tenant's id answered {status}: {body}");
        swept += 1;
    }
    assert_eq!(
        owner.get_json(&format!("/v1/billing/invoices/{invoice}")).await["data"]["id"],
        invoice.as_str(),
        "the owner still has its invoice"
    );
    assert!(swept >= 55, "only {swept} routes swept");
    assert_eq!(owner.get_json(&format!("/v1/contacts/{contact}")).await["data"], before["data"], "nothing of the owner changed");
    assert_eq!(owner.get_json(&format!("/v1/tasks/{task}")).await["data"]["status"], "open");
    assert_eq!(owner.get_json(&format!("/v1/deals/{deal}")).await["data"]["version"], 1, "the deal is untouched");
    assert_eq!(owner.get_json(&format!("/v1/leads/{lead}")).await["data"]["version"], 1, "the lead is untouched");
    assert_eq!(owner.get_json(&format!("/v1/pipelines/{pipeline}")).await["data"]["version"], 1, "the pipeline is untouched");
    let closer = owner.get_json(&format!("/v1/admin/roles/{role}/permissions")).await;
    assert_eq!(closer["data"]["role"]["name"], "Closer", "the role is untouched: {closer}");
    let u = owner.get_json(&format!("/v1/units/{unit}")).await;
    assert_eq!(
        (u["data"]["version"].as_u64(), u["data"]["status"].as_str(), u["data"]["price"].as_i64()),
        (Some(2), Some("hold"), Some(100)),
        "the unit is untouched: {u}"
    );
    assert_eq!(u["data"]["components"].as_array().map(Vec::len), Some(1), "{u}");
    let drawn = owner.get_json(&format!("/v1/maps/shapes/{shape}")).await;
    assert_eq!(
        (drawn["data"]["version"].as_u64(), drawn["data"]["label"].as_str()),
        (Some(1), Some("A-1")),
        "the shape is untouched: {drawn}"
    );
    let o = owner.get_json(&format!("/v1/maps/overlays/{overlay}")).await;
    assert_eq!((o["data"]["version"].as_u64(), o["data"]["public_link_id"].as_str()), (Some(2), None), "the overlay is untouched: {o}");
    let pending = owner.get_json("/v1/admin/invitations").await;
    assert_eq!(pending["data"][0]["resends"], 0, "the invitation is untouched: {pending}");
}
