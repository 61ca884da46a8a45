//! The leads application layer: every create — by hand, from a form, from
//! a file — goes through [`create`]: the owner (given, or chosen by the
//! assignment rules), the score and its parts, the contacts and companies
//! it may duplicate, and one transaction with the lead, its search terms,
//! `leads.max`, `lead.created` and the owner's notices. The import worker
//! reads the same [`rules`] and [`duplicates`].
//!
//! * [`convert`]: a lead's conversion into a contact, a company and a deal.

pub mod convert;

use crm_auth::Principal;
use crm_events::audit::AuditExt;
use crm_events::{Actor, DomainEvent, Subject};
use crm_http::Call;
use crm_kernel::{AppError, EntityId, TenantId, Timestamp, UserId};
use crm_store::item::ItemExt;
use crm_store::{Index, Query, Store, Tx};
use serde_json::{json, Value};

use crate::company::Company;
use crate::contact::Contact;
use crate::lead::{Duplicate, Lead, LeadFields, LEAD};
use crate::lead_rules::{Assignment, Pick, Scoring};
use crate::{search_index, App};

pub fn subject(l: &Lead) -> Subject {
    Subject { kind: "lead".into(), id: l.id.to_string() }
}

pub fn event(p: &Principal, request_id: Option<&str>, kind: crm_events::EventType, l: &Lead, data: Value) -> DomainEvent {
    let actor = if p.method == crm_auth::AuthMethod::ApiKey { Actor::system() } else { Actor::user(p.user_id) };
    let e = DomainEvent::new(p.tenant_id, kind, actor, subject(l), data);
    match request_id {
        Some(r) => e.with_request_id(r),
        None => e,
    }
}

/// The tenant's scoring and assignment rules (one BatchGetItem; none set: defaults).
pub async fn rules(store: &Store, t: TenantId) -> Result<(Scoring, Assignment), AppError> {
    let got = store.get_many(&[Scoring::key(t), Assignment::key(t)]).await?;
    let scoring = got[0].clone().map(crm_store::item::from_item).transpose()?.unwrap_or_default();
    let assignment = got[1].clone().map(crm_store::item::from_item).transpose()?.unwrap_or_default();
    Ok((scoring, assignment))
}

/// The contacts (same email or phone) and companies (same email domain)
/// a lead may be: one BatchGetItem of the contacts' address markers and
/// one key-condition query of the company domain.
pub async fn duplicates(store: &Store, t: TenantId, f: &LeadFields) -> Result<Vec<Duplicate>, AppError> {
    let mut probes = Vec::new();
    if let Some(e) = &f.email {
        probes.push(("email", Contact::email_marker(t, e), 1.0));
    }
    if let Some(p) = &f.phone {
        probes.push(("phone", Contact::phone_marker(t, p), 0.9));
    }
    let mut out: Vec<Duplicate> = Vec::new();
    let found = store.get_many(&probes.iter().map(|(_, k, _)| k.clone()).collect::<Vec<_>>()).await?;
    for ((reason, _, score), it) in probes.into_iter().zip(found) {
        if let Some(id) = it.as_ref().and_then(|i| i.str_attr("contact_id")) {
            if !out.iter().any(|d| d.id == id) {
                out.push(Duplicate { kind: "contact".into(), id: id.to_string(), reason: reason.into(), score });
            }
        }
    }
    if let Some(domain) = f.company_domain() {
        let q = Query::index(t, Index::ByLookup, Company::domain_pk(t, &domain)).limit(crm_kernel::Limit::parse(Some("5"))?);
        for it in store.query(q).await?.items {
            if let Some(id) = it.str_attr("id") {
                out.push(Duplicate { kind: "company".into(), id: id.to_string(), reason: "domain".into(), score: 0.7 });
            }
        }
    }
    Ok(out)
}

/// Whom a lead without an owner goes to, and why (`rule:{n}`,
/// `round_robin`): round-robin takes tickets from the atomic counter
/// until it meets an active user of the pool (at most one lap).
pub async fn assign(store: &Store, t: TenantId, a: &Assignment, f: &LeadFields) -> Result<(Option<UserId>, Option<String>), AppError> {
    match a.pick(f) {
        Pick::Nobody => Ok((None, None)),
        Pick::Rule(i, u) => Ok((Some(u), Some(format!("rule:{i}")))),
        Pick::RoundRobin => {
            let far = Timestamp::now().unix_seconds() + 10 * 365 * 86_400;
            for _ in 0..a.pool.len() {
                let n = store.increment(&Assignment::ticket_key(t), "n", 1, far).await?;
                let Some(u) = a.turn(n) else { break };
                if crm_directory::get(store, t, u).await?.is_some_and(|u| u.is_active()) {
                    return Ok((Some(u), Some("round_robin".into())));
                }
            }
            Ok((None, None))
        }
    }
}

/// Creates a lead from parsed `fields` (custom values already checked
/// into `tx`): assignment, score, duplicates, then one transaction.
pub async fn create(app: &App, p: &Principal, request_id: Option<&str>, mut fields: LeadFields, tx: Tx) -> Result<Lead, AppError> {
    let t = p.tenant_id;
    let (scoring, assignment) = rules(&app.store, t).await?;
    let mut assigned_by = fields.owner_user_id.map(|_| "manual".to_string());
    if fields.owner_user_id.is_none() {
        (fields.owner_user_id, assigned_by) = assign(&app.store, t, &assignment, &fields).await?;
    }
    // A round-robin turn has just read its user (active); any other owner is checked here.
    if assigned_by.as_deref() != Some("round_robin") {
        crm_records::write::check_owner(&app.store, t, fields.owner_user_id).await?;
    }
    let (score, score_parts) = if p.entitlements.has("leads.scoring") { scoring.score(&fields) } else { (0, Vec::new()) };
    let duplicates = duplicates(&app.store, t, &fields).await?;
    let now = Timestamp::now();
    let lead = Lead {
        id: EntityId::new(),
        tenant_id: t,
        fields,
        score,
        score_parts,
        score_adjustment: 0,
        duplicates,
        conversion: None,
        assigned_by,
        created_by: (p.method != crm_auth::AuthMethod::ApiKey).then_some(p.user_id),
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let data = json!({ "full_name": lead.fields.full_name(), "source": lead.fields.source, "owner_user_id": lead.fields.owner_user_id,
                       "score": lead.score, "duplicates": lead.duplicates.len(), "assigned_by": lead.assigned_by });
    let tx = tx.put_new("lead", lead.to_item()?).emit_audited(&event(p, request_id, crm_events::types::LEAD_CREATED, &lead, data));
    let tx = search_index::write(tx, t, LEAD, lead.id, &[], &lead.fields.terms())?;
    let tx = crm_records::write::take_quota(tx, p, "leads.max");
    let tx = notify_owner(app, p, &scoring, &lead, None, tx).await?;
    app.store.transact(tx).await.map_err(|e| refused(p, e))?;
    Ok(lead)
}

/// The owner's notices about `lead` (written as `before` was): a new owner
/// hears `lead.assigned`, and a score crossing the tenant's threshold
/// upwards `lead.score_threshold`. Never the user who acted.
pub async fn notify_owner(
    app: &App,
    p: &Principal,
    scoring: &Scoring,
    lead: &Lead,
    before: Option<&Lead>,
    mut tx: Tx,
) -> Result<Tx, AppError> {
    let Some(owner) = lead.fields.owner_user_id else { return Ok(tx) };
    let actor = (p.method != crm_auth::AuthMethod::ApiKey).then_some(p.user_id);
    if actor == Some(owner) {
        return Ok(tx);
    }
    let payload = json!({ "lead": lead.fields.full_name(), "source": lead.fields.source, "score": lead.score, "lead_id": lead.id });
    if before.is_none_or(|b| b.fields.owner_user_id != Some(owner)) {
        let notice =
            crm_notify::users::Notice { family: "lead.assigned", payload: payload.clone(), source: "records.lead.assigned".into() };
        tx = crm_notify::users::queue(&app.store, p.tenant_id, actor, &[owner], notice, tx).await?;
    }
    if scoring.crossed(before.map(|b| b.score), lead.score) {
        let mut payload = payload;
        payload["threshold"] = json!(scoring.notify_threshold);
        let notice = crm_notify::users::Notice { family: "lead.score_threshold", payload, source: "records.lead.score_threshold".into() };
        tx = crm_notify::users::queue(&app.store, p.tenant_id, actor, &[owner], notice, tx).await?;
    }
    Ok(tx)
}

/// Writes one of the tenant's lead-rule items (`scoring`, `assignment`)
/// over the current one (`If-Match` honoured), with `lead.rules.updated`.
pub async fn save_rules<T: serde::Serialize>(
    app: &App,
    call: &Call,
    key: &crm_store::Key,
    current_version: u64,
    next: &T,
    data: Value,
) -> Result<(), AppError> {
    let p = call.principal()?;
    if call.if_match()?.is_some_and(|v| v != current_version) {
        return Err(AppError::PreconditionFailed);
    }
    let which = key.pk.rsplit('#').next().unwrap_or_default().to_string();
    let guard =
        if current_version == 0 { crm_store::tx::Condition::not_exists() } else { crm_store::tx::Condition::version_is(current_version) };
    let event = DomainEvent::new(
        p.tenant_id,
        crm_events::types::LEAD_RULES_UPDATED,
        Actor::user(p.user_id),
        Subject { kind: "lead_rules".into(), id: which },
        data,
    )
    .with_request_id(call.request_id());
    match app.store.transact(Tx::new().put_if("rules", crm_store::item::to_item(key, next)?, guard).emit_audited(&event)).await {
        Ok(()) => Ok(()),
        Err(crm_store::StoreError::ConditionFailed { .. }) => Err(AppError::PreconditionFailed),
        Err(e) => Err(e.into()),
    }
}

/// The error a failed lead transaction means.
pub fn refused(p: &Principal, e: crm_store::StoreError) -> AppError {
    match &e {
        crm_store::StoreError::ConditionFailed { label } => crm_records::write::quota_refused(p, label)
            .or_else(|| crm_records::write::custom_conflict(label))
            .unwrap_or(if label == "lead" { AppError::PreconditionFailed } else { e.into() }),
        _ => e.into(),
    }
}
