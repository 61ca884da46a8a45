//! Converting a lead — the I/O around the pure [`crate::conversion::plan`]:
//! read what the lead duplicates now, place the deal (the deals port),
//! write the contact, company, deal, quotas, the converted lead, its
//! events and notices in **one transaction**, and answer a retry or a
//! racing second conversion with what the first one made.

use crm_auth::{rbac, Principal};
use crm_deals::deal::DealChanges;
use crm_events::audit::AuditExt;
use crm_events::{types, Actor, DomainEvent};
use crm_kernel::fields::Input;
use crm_kernel::{AppError, EntityId, FieldError, Timestamp};
use crm_store::tx::Condition;
use crm_store::{StoreError, Tx};
use serde_json::json;

use crate::company::{Company, CompanyFields, COMPANY};
use crate::contact::{Contact, ContactFields, CONTACT};
use crate::conversion::{self, ConvertRequest, Plan, Target};
use crate::lead::Lead;
use crate::{search_index, App};

/// What came of a conversion request.
pub enum Converted {
    /// This request converted it.
    Now(Box<Lead>),
    /// It was converted already (a retry, or a conversion that raced this one).
    Already(Box<Lead>),
}

/// Converts `lead` for `p` as `asked`.
pub async fn convert(app: &App, p: &Principal, request_id: &str, lead: Lead, asked: &ConvertRequest) -> Result<Converted, AppError> {
    if lead.conversion.is_some() {
        return Ok(Converted::Already(Box::new(lead)));
    }
    let t = p.tenant_id;
    let now = Timestamp::now();
    let dupes = super::duplicates(&app.store, t, &lead.fields).await?;
    let plan = conversion::plan(&lead, asked, &dupes, p.user_id);
    let mut tx = Tx::new();
    match plan.contact {
        Target::Link(id) => tx = tx.check("link:contact_id", &Contact::key(t, id), Condition::exists_without("merged_into_id")),
        Target::Create(id) => {
            p.require(rbac::CONTACT_CREATE)?;
            tx = new_contact(p, request_id, &lead, &plan, id, now, tx)?;
        }
    }
    match plan.company {
        Some(Target::Link(id)) => tx = tx.check("link:company_id", &Company::key(t, id), Condition::exists()),
        Some(Target::Create(id)) => {
            p.require(rbac::COMPANY_CREATE)?;
            tx = new_company(p, request_id, &lead, &plan, id, now, tx)?;
        }
        None => {}
    }
    let mut deal_id = None;
    if let Some(body) = &asked.deal {
        p.require(rbac::DEAL_CREATE)?;
        let (made, next) = new_deal(app, p, request_id, &lead, &plan, body.clone(), tx).await?;
        tx = next;
        deal_id = Some(made);
    }
    // One update of the usage item takes every place the conversion needs.
    let limits = plan.quotas(deal_id.is_some());
    if !limits.is_empty() {
        tx = crm_records::write::take_quotas(tx, p, &limits);
    }
    let c = plan.conversion(deal_id, p.user_id, now);
    let next = conversion::converted(&lead, c.clone(), now);
    let data = json!({ "contact_id": c.contact_id, "contact_created": c.contact_created, "company_id": c.company_id,
                       "company_created": c.company_created, "deal_id": c.deal_id });
    let event = super::event(p, Some(request_id), types::LEAD_CONVERTED, &next, data);
    let tx = tx.put_if("lead", next.to_item()?, Condition::version_is(lead.version)).emit_audited(&event);
    let tx = notify_converted(app, p, &next, tx).await?;
    let failed = match app.store.transact(tx).await {
        Ok(()) => return Ok(Converted::Now(Box::new(next))),
        Err(e) => e,
    };
    // A conversion racing this one won (its contact may have refused ours first): answer what it made.
    if let StoreError::ConditionFailed { .. } = failed {
        if let Some(l) = app.store.get_as::<Lead>(&Lead::key(t, lead.id)).await?.filter(|l| l.conversion.is_some()) {
            return Ok(Converted::Already(Box::new(l)));
        }
    }
    Err(match failed {
        StoreError::ConditionFailed { label } if label == "lead" => AppError::PreconditionFailed,
        StoreError::ConditionFailed { label } if label.starts_with("link:") => {
            AppError::invalid(label.trim_start_matches("link:"), "no such record in this tenant")
        }
        StoreError::ConditionFailed { label } if label.starts_with("marker:") => crate::contacts::duplicate(app, t, &label).await,
        StoreError::ConditionFailed { label } if label == "quotas" => crm_records::write::full_quota(&app.store, p, &limits).await,
        e => crm_deals::write::refused(p, e),
    })
}

fn caused(
    p: &Principal,
    request_id: &str,
    kind: crm_events::EventType,
    subject: crm_events::Subject,
    data: serde_json::Value,
) -> DomainEvent {
    DomainEvent::new(p.tenant_id, kind, Actor::user(p.user_id), subject, data).with_request_id(request_id)
}

fn prefix(e: AppError, at: &str) -> AppError {
    match e.details() {
        [] => e,
        d => AppError::invalid_fields(d.iter().map(|f| FieldError::new(format!("{at}.{}", f.field), f.message.clone())).collect()),
    }
}

fn new_contact(p: &Principal, request_id: &str, lead: &Lead, plan: &Plan, id: EntityId, now: Timestamp, tx: Tx) -> Result<Tx, AppError> {
    let f = &lead.fields;
    let company_id = plan.company.map(Target::id);
    let body = json!({
        "first_name": f.first_name, "last_name": f.last_name, "email": f.email.as_ref().map(|e| e.as_str()),
        "phone": f.phone.as_ref().map(|x| x.to_string()), "job_title": f.job_title, "lifecycle_stage": "prospect",
        "company_id": company_id, "owner_user_id": plan.owner,
    });
    let fields = ContactFields::apply(&ContactFields::blank(), crm_kernel::fields::from_value(body)?)?;
    let contact = Contact::new(id, p.tenant_id, fields, p.user_id, now);
    let data =
        json!({ "full_name": contact.fields.full_name(), "company_id": company_id, "lifecycle_stage": "prospect", "lead_id": lead.id });
    let event = caused(p, request_id, types::CONTACT_CREATED, crate::contacts::subject(&contact), data);
    let tx = tx.put_new("contact", contact.to_item()?).emit_audited(&event);
    let tx = crate::contacts::markers(tx, p.tenant_id, id, None, Some(&contact.fields))?;
    search_index::write(tx, p.tenant_id, CONTACT, id, &[], &contact.fields.terms())
}

fn new_company(p: &Principal, request_id: &str, lead: &Lead, plan: &Plan, id: EntityId, now: Timestamp, tx: Tx) -> Result<Tx, AppError> {
    let f = &lead.fields;
    let body = json!({ "name": f.company_name, "domain": f.company_domain(), "country": f.country, "owner_user_id": plan.owner });
    let fields = CompanyFields::apply(&CompanyFields::blank(), crm_kernel::fields::from_value(body)?).map_err(|e| prefix(e, "company"))?;
    let company = Company { id, tenant_id: p.tenant_id, fields, created_by: p.user_id, created_at: now, updated_at: now, version: 1 };
    let data = json!({ "name": company.fields.name, "domain": company.fields.domain, "owner_user_id": plan.owner, "lead_id": lead.id });
    let event = caused(p, request_id, types::COMPANY_CREATED, crate::companies::subject(&company), data);
    let tx = tx.put_new("company", company.to_item()?).emit_audited(&event);
    search_index::write(tx, p.tenant_id, COMPANY, id, &[], &company.fields.terms())
}

/// The deal the conversion opens, through the deals port: placed in the
/// named (or default) pipeline, on the new or linked contact and company.
async fn new_deal(
    app: &App,
    p: &Principal,
    request_id: &str,
    lead: &Lead,
    plan: &Plan,
    mut body: DealChanges,
    tx: Tx,
) -> Result<(EntityId, Tx), AppError> {
    use crm_deals::deal::{DealFields, Party};
    let (pipeline_id, stage_id) = (std::mem::take(&mut body.pipeline_id), std::mem::take(&mut body.stage_id));
    let (pipeline, stage) = crm_deals::write::placement(&app.store, p.tenant_id, pipeline_id, stage_id).await?;
    if !body.name.is_present() {
        body.name = Input::Given(conversion::deal_name(lead, &stage.name));
    }
    let mut fields =
        DealFields::apply(&DealFields::blank(crm_kernel::Currency::parse("USD")?), body, true).map_err(|e| prefix(e, "deal"))?;
    fields.owner_user_id = Some(plan.owner);
    fields.contacts = vec![Party { id: plan.contact.id(), role: "decision_maker".into() }];
    fields.companies = plan.company.map(|c| Party { id: c.id(), role: "primary".into() }).into_iter().collect();
    let new = crm_deals::write::NewDeal { pipeline: &pipeline, stage: &stage, fields, lead_id: Some(lead.id), standalone: false };
    let (made, tx) = crm_deals::write::create(&app.store, p, Some(request_id), new, tx).await?;
    Ok((made.id, tx))
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
