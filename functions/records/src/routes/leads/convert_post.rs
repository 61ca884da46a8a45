//! `POST /v1/leads/{id}/convert` — the lead becomes a contact, maybe a
//! company, and optionally a deal, in **one transaction**:
//!
//! ```json
//! { "contact_id": "…",        // link this contact; else the contact the lead duplicates; else a new one
//!   "company_id": "…",        // link this company; else the one its email domain names; else a new one from company_name
//!   "create_company": true,    // false: no new company
//!   "deal": { "name": "…", "amount": 5000000, "currency": "USD", "pipeline_id": "…", "stage_id": "…", "close_date": "…" } }
//! ```
//!
//! The lead is kept, `converted`, with what it became. A retry — after a
//! timeout, a crash, or a second click racing the first — finds it
//! converted and answers the same conversion (`200`) without writing
//! anything: nothing is ever created twice. Owner, manager or admin, with
//! `lead.convert` (and `contact.create` / `company.create` / `deal.create`
//! for what it creates). `lead.converted`; the owner is told.

use crm_auth::{rbac, Principal};
use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, EntityId, Timestamp};
use crm_store::tx::Condition;
use crm_store::{StoreError, Tx};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::company::{Company, CompanyFields, COMPANY};
use crate::contact::{Contact, ContactFields, CONTACT};
use crate::lead::{Conversion, Lead};
use crate::{search_index, App};

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Body {
    #[serde(default)]
    contact_id: Option<EntityId>,
    #[serde(default)]
    company_id: Option<EntityId>,
    #[serde(default)]
    create_company: Option<bool>,
    #[serde(default)]
    deal: Option<Value>,
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let lead = super::load(app, &call).await?;
    let b: Body = if call.body_bytes()?.is_empty() { Body::default() } else { call.json()? };
    crm_records::write::require_edit(&p, lead.fields.owner_user_id)?;
    if let Some(c) = &lead.conversion {
        return Ok(done(&lead, c, false));
    }
    let t = p.tenant_id;
    let now = Timestamp::now();
    let owner = lead.fields.owner_user_id.or(Some(p.user_id));
    let mut tx = Tx::new();

    // What the lead duplicates now (contacts and companies made since count too).
    let dupes = crate::leads::duplicates(&app.store, t, &lead.fields).await?;
    // The contact: named, the lead's duplicate, or new.
    let found = dupes.iter().find(|d| d.kind == "contact").and_then(|d| EntityId::parse(&d.id).ok());
    let (contact_id, contact_created) = match b.contact_id.or(found) {
        Some(id) => {
            tx = tx.check("link:contact_id", &Contact::key(t, id), Condition::exists_without("merged_into_id"));
            (id, false)
        }
        None => (EntityId::new(), true),
    };
    // The company: named, recognised by the email domain, new from company_name, or none.
    let by_domain = dupes.iter().find(|d| d.kind == "company").and_then(|d| EntityId::parse(&d.id).ok());
    let (company_id, company_created) = match b.company_id.or(by_domain) {
        Some(id) => {
            tx = tx.check("link:company_id", &Company::key(t, id), Condition::exists());
            (Some(id), false)
        }
        None if b.create_company.unwrap_or(true) && lead.fields.company_name.is_some() => (Some(EntityId::new()), true),
        None => (None, false),
    };
    if contact_created {
        p.require(rbac::CONTACT_CREATE)?;
        tx = new_contact(&call, &p, &lead, contact_id, company_id, owner, now, tx)?;
    }
    if let (true, Some(id)) = (company_created, company_id) {
        p.require(rbac::COMPANY_CREATE)?;
        tx = new_company(&call, &p, &lead, id, owner, now, tx)?;
    }
    // The deal, if asked for.
    let mut deal = None;
    if let Some(d) = &b.deal {
        p.require(rbac::DEAL_CREATE)?;
        let (pipeline, stage) = crm_deals::write::placement(&app.store, t, d).await?;
        let mut body = d.clone();
        if let Some(o) = body.as_object_mut() {
            o.remove("pipeline_id");
            o.remove("stage_id");
            o.entry("name").or_insert_with(|| {
                json!(format!("{} — {}", lead.fields.company_name.clone().unwrap_or_else(|| lead.fields.full_name()), stage.name))
            });
        }
        let mut fields =
            crm_deals::deal::DealFields::apply(&crm_deals::deal::DealFields::blank(crm_kernel::Currency::parse("USD")?), &body, true)
                .map_err(|e| prefix(e, "deal"))?;
        fields.owner_user_id = owner;
        fields.contacts = vec![crm_deals::deal::Party { id: contact_id, role: "decision_maker".into() }];
        fields.companies = company_id.map(|id| crm_deals::deal::Party { id, role: "primary".into() }).into_iter().collect();
        let new = crm_deals::write::NewDeal { pipeline: &pipeline, stage: &stage, fields, lead_id: Some(lead.id), standalone: false };
        let (made, next) = crm_deals::write::create(&app.store, &p, Some(call.request_id()), new, tx).await?;
        tx = next;
        deal = Some(made);
    }

    // One update of the usage item takes every place the conversion needs.
    let limits: Vec<&str> = [(contact_created, "contacts.max"), (company_created, "companies.max"), (deal.is_some(), "deals.max")]
        .into_iter()
        .filter_map(|(made, l)| made.then_some(l))
        .collect();
    if !limits.is_empty() {
        tx = crm_records::write::take_quotas(tx, &p, &limits);
    }
    let conversion = Conversion {
        contact_id,
        contact_created,
        company_id,
        company_created,
        deal_id: deal.as_ref().map(|d| d.id),
        converted_at: now,
        converted_by: p.user_id,
    };
    let mut next = Lead { conversion: Some(conversion.clone()), updated_at: now, version: lead.version + 1, ..lead.clone() };
    next.fields.status = "converted".into();
    let data = json!({ "contact_id": contact_id, "contact_created": contact_created, "company_id": company_id, "company_created": company_created, "deal_id": conversion.deal_id });
    let tx = tx.put_if("lead", next.to_item()?, Condition::version_is(lead.version)).emit_audited(&crate::leads::event(
        &p,
        Some(call.request_id()),
        crm_events::types::LEAD_CONVERTED,
        &next,
        data,
    ));
    let tx = notify_converted(app, &p, &next, tx).await?;
    let failed = match app.store.transact(tx).await {
        Ok(()) => return Ok(done(&next, &conversion, true).etag(next.version)),
        Err(e) => e,
    };
    // A conversion racing this one won (its contact may have refused ours
    // first): answer what it made.
    if let StoreError::ConditionFailed { .. } = failed {
        if let Some(l) = app.store.get_as::<Lead>(&Lead::key(t, lead.id)).await?.filter(|l| l.conversion.is_some()) {
            return Ok(done(&l, l.conversion.as_ref().expect("converted"), false));
        }
    }
    match Err(failed) {
        Ok(()) => unreachable!("only failures get here"),
        Err(StoreError::ConditionFailed { label }) if label == "lead" => Err(AppError::PreconditionFailed),
        Err(StoreError::ConditionFailed { label }) if label.starts_with("link:") => {
            Err(AppError::invalid(label.trim_start_matches("link:"), "no such record in this tenant"))
        }
        Err(StoreError::ConditionFailed { label }) if label.starts_with("marker:") => Err(crate::contacts::duplicate(app, t, &label).await),
        Err(StoreError::ConditionFailed { label }) if label == "quotas" => {
            Err(crm_records::write::full_quota(&app.store, &p, &limits).await)
        }
        Err(e) => Err(crm_deals::write::refused(&p, e)),
    }
}

/// The answer: the lead and what it became (`201` when this call converted it).
fn done(lead: &Lead, c: &Conversion, created: bool) -> Reply {
    let body = json!({ "lead": lead, "conversion": c, "converted_now": created });
    if created {
        Reply::with_status(201, body)
    } else {
        Reply::ok(body)
    }
}

fn prefix(e: AppError, at: &str) -> AppError {
    match e.details() {
        [] => e,
        d => AppError::invalid_fields(
            d.iter().map(|f| crm_kernel::FieldError::new(format!("{at}.{}", f.field), f.message.clone())).collect(),
        ),
    }
}

#[allow(clippy::too_many_arguments)]
fn new_contact(
    call: &Call,
    p: &Principal,
    lead: &Lead,
    id: EntityId,
    company_id: Option<EntityId>,
    owner: Option<crm_kernel::UserId>,
    now: Timestamp,
    tx: Tx,
) -> Result<Tx, AppError> {
    let f = &lead.fields;
    let body = json!({
        "first_name": f.first_name, "last_name": f.last_name, "email": f.email.as_ref().map(|e| e.as_str()),
        "phone": f.phone.as_ref().map(|x| x.to_string()), "job_title": f.job_title, "lifecycle_stage": "prospect",
        "company_id": company_id, "owner_user_id": owner,
    });
    let fields = ContactFields::apply(&ContactFields::blank(), &body)?;
    let contact = Contact {
        id,
        tenant_id: p.tenant_id,
        fields,
        created_by: p.user_id,
        created_at: now,
        updated_at: now,
        merged_into_id: None,
        version: 1,
    };
    let event = crm_events::DomainEvent::caused_by(
        call,
        crm_events::types::CONTACT_CREATED,
        crate::contacts::subject(&contact),
        json!({ "full_name": contact.fields.full_name(), "company_id": company_id, "lifecycle_stage": "prospect", "lead_id": lead.id }),
    )?;
    let tx = tx.put_new("contact", contact.to_item()?).emit_audited(&event);
    let tx = crate::contacts::markers(tx, p.tenant_id, id, None, Some(&contact.fields))?;
    search_index::write(tx, p.tenant_id, CONTACT, id, &[], &contact.fields.terms())
}

fn new_company(
    call: &Call,
    p: &Principal,
    lead: &Lead,
    id: EntityId,
    owner: Option<crm_kernel::UserId>,
    now: Timestamp,
    tx: Tx,
) -> Result<Tx, AppError> {
    let body = json!({ "name": lead.fields.company_name, "domain": lead.fields.company_domain(), "country": lead.fields.country, "owner_user_id": owner });
    let fields = CompanyFields::apply(&CompanyFields::blank(), &body).map_err(|e| prefix(e, "company"))?;
    let company = Company { id, tenant_id: p.tenant_id, fields, created_by: p.user_id, created_at: now, updated_at: now, version: 1 };
    let event = crm_events::DomainEvent::caused_by(
        call,
        crm_events::types::COMPANY_CREATED,
        crate::companies::subject(&company),
        json!({ "name": company.fields.name, "domain": company.fields.domain, "owner_user_id": owner, "lead_id": lead.id }),
    )?;
    let tx = tx.put_new("company", company.to_item()?).emit_audited(&event);
    search_index::write(tx, p.tenant_id, COMPANY, id, &[], &company.fields.terms())
}

async fn notify_converted(app: &App, p: &Principal, lead: &Lead, tx: Tx) -> Result<Tx, AppError> {
    let to = crm_notify::users::others(lead.fields.owner_user_id, p.user_id);
    let notice = crm_notify::users::Notice {
        family: "lead.converted",
        payload: json!({ "lead": lead.fields.full_name(), "lead_id": lead.id }),
        source: "records.lead.converted".into(),
    };
    crm_notify::users::queue(&app.store, p.tenant_id, Some(p.user_id), &to, notice, tx).await
}
