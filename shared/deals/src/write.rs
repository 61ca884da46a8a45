//! The deal write path every route (and a lead's conversion) shares: one
//! transaction holds the deal, its board tallies ([`crate::board`]), its
//! stage history ([`crate::history`]), the `deals.max` quota, the linked
//! contacts' and companies' existence checks, the domain event with its
//! audit entry, and the notices ([`crate::notices`]).

use crm_auth::Principal;
use crm_events::audit::AuditExt;
use crm_events::{Actor, DomainEvent, Subject};
use crm_kernel::fields::Input;
use crm_kernel::{AppError, EntityId, Limit, TenantId, Timestamp};
use crm_store::tx::Condition;
use crm_store::{item, keys, Index, Query, Store, Tx};
use serde_json::{json, Value};

use crate::deal::{Deal, DealFields};
use crate::history::StageChange;
use crate::pipeline::{Pipeline, Stage, PIPELINE};
use crate::{board, notices};

/// A domain event about `deal`, caused by `p`.
pub fn event(p: &Principal, request_id: Option<&str>, kind: crm_events::EventType, deal: &Deal, data: Value) -> DomainEvent {
    let e = DomainEvent::new(p.tenant_id, kind, Actor::user(p.user_id), Subject { kind: "deal".into(), id: deal.id.to_string() }, data);
    match request_id {
        Some(r) => e.with_request_id(r),
        None => e,
    }
}

/// The pipeline `id` of the tenant (`404` otherwise).
pub async fn pipeline(store: &Store, t: TenantId, id: EntityId) -> Result<Pipeline, AppError> {
    store.get_as(&Pipeline::key(t, id)).await?.ok_or(AppError::NotFound)
}

/// The tenant's pipelines, oldest first.
pub async fn pipelines(store: &Store, t: TenantId) -> Result<Vec<Pipeline>, AppError> {
    let page = store.query(Query::index(t, Index::ByKind, keys::by_kind_pk(t, PIPELINE)).limit(Limit::max())).await?;
    Ok(page.items.into_iter().map(item::from_item).collect::<Result<_, _>>()?)
}

/// The pipeline a deal lands in when none is named: the default one. A
/// tenant without any pipeline gets the default "Sales" pipeline
/// ([`crate::pipeline::default_stages`]) on its first deal — once, even
/// when several first deals race (a marker item decides).
pub async fn default_pipeline(store: &Store, t: TenantId) -> Result<Pipeline, AppError> {
    for _ in 0..2 {
        let all = pipelines(store, t).await?;
        if let Some(p) = all.iter().find(|p| p.is_default && p.is_active).or_else(|| all.iter().find(|p| p.is_active)) {
            return Ok(p.clone());
        }
        if !all.is_empty() {
            break;
        }
        let now = Timestamp::now();
        let p = Pipeline {
            id: EntityId::new(),
            tenant_id: t,
            name: "Sales".into(),
            description: None,
            is_active: true,
            is_default: true,
            stages: crate::pipeline::default_stages(),
            created_at: now,
            updated_at: now,
            version: 1,
        };
        let marker = item::to_item(&keys::unique(t, "DEFAULTPIPELINE", "first"), &json!({ "pipeline_id": p.id }))?;
        let event = DomainEvent::new(
            t,
            crm_events::types::PIPELINE_CREATED,
            Actor::system(),
            Subject { kind: "pipeline".into(), id: p.id.to_string() },
            json!({ "name": p.name, "stages": p.stages.len(), "automatic": true }),
        );
        match store.transact(Tx::new().put_new("first_pipeline", marker).put_new("pipeline", p.to_item()?).emit_audited(&event)).await {
            Ok(()) => return Ok(p),
            // Another first deal made it: the marker names it (the index may lag).
            Err(crm_store::StoreError::ConditionFailed { .. }) => {
                let won = store.get(&keys::unique(t, "DEFAULTPIPELINE", "first")).await?;
                let id = won.as_ref().and_then(|m| m.get("pipeline_id")).and_then(|v| v.as_s().ok()).and_then(|s| EntityId::parse(s).ok());
                if let Some(id) = id {
                    return pipeline(store, t, id).await;
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::invalid("pipeline_id", "the tenant has no active pipeline: name one, or reactivate one"))
}

/// Where a new deal goes: the named (or default) pipeline and the named (or first open) stage.
pub async fn placement(
    store: &Store,
    t: TenantId,
    pipeline_id: Input<EntityId>,
    stage_id: Input<EntityId>,
) -> Result<(Pipeline, Stage), AppError> {
    let id = |f: &str, input: Input<EntityId>| -> Result<Option<EntityId>, AppError> {
        match input {
            Input::Absent | Input::Null => Ok(None),
            Input::Given(id) => Ok(Some(id)),
            Input::Invalid(_) => Err(AppError::invalid(f, "must be an id")),
        }
    };
    let pipeline = match id("pipeline_id", pipeline_id)? {
        Some(pid) => match pipeline(store, t, pid).await {
            Err(AppError::NotFound) => return Err(AppError::invalid("pipeline_id", "no such pipeline")),
            other => other?,
        },
        None => default_pipeline(store, t).await?,
    };
    if !pipeline.is_active {
        return Err(AppError::invalid("pipeline_id", "the pipeline is archived"));
    }
    let stage = match id("stage_id", stage_id)? {
        Some(sid) => {
            pipeline.stage(&sid.to_string()).cloned().ok_or_else(|| AppError::invalid("stage_id", "no such stage in this pipeline"))?
        }
        None => pipeline.first_open().cloned().ok_or_else(|| AppError::invalid("stage_id", "the pipeline has no open stage"))?,
    };
    if !stage.is_open() {
        return Err(AppError::invalid("stage_id", "a deal starts in an open stage; close it with mark-won or mark-lost"));
    }
    Ok((pipeline, stage))
}

/// Checks, in `tx`, that the linked contacts, companies and units exist in
/// the tenant (labels `link:contacts[i]`, `link:companies[i]`,
/// `link:units[i]`) — no extra reads.
pub fn check_links(mut tx: Tx, t: TenantId, fields: &DealFields, before: Option<&DealFields>) -> Tx {
    for (kind, list, old) in
        [("CONTACT", &fields.contacts, before.map(|b| &b.contacts)), ("COMPANY", &fields.companies, before.map(|b| &b.companies))]
    {
        let field = if kind == "CONTACT" { "contacts" } else { "companies" };
        for (i, party) in list.iter().enumerate() {
            if old.is_some_and(|o| o.iter().any(|x| x.id == party.id)) {
                continue;
            }
            tx = tx.check(&format!("link:{field}[{i}]"), &keys::entity(t, kind, party.id), Condition::exists());
        }
    }
    check_units(tx, t, fields, before)
}

/// Linking a unit to a deal sells it when the deal is won (the inventory
/// reactor): adding units takes `unit.reserve`, as reserving one does.
pub fn may_link_units(p: &Principal, fields: &DealFields, before: Option<&DealFields>) -> Result<(), AppError> {
    let added = fields.units.iter().any(|u| !before.is_some_and(|b| b.units.contains(u)));
    if added && !p.can(crm_auth::rbac::UNIT_RESERVE) {
        return Err(AppError::Forbidden("linking units to a deal takes `unit.reserve`".into()));
    }
    Ok(())
}

/// Checks, in `tx`, that the units newly on the deal exist in the tenant (`link:units[i]`).
pub fn check_units(mut tx: Tx, t: TenantId, fields: &DealFields, before: Option<&DealFields>) -> Tx {
    for (i, unit) in fields.units.iter().enumerate() {
        if !before.is_some_and(|b| b.units.contains(unit)) {
            tx = tx.check(&format!("link:units[{i}]"), &keys::entity(t, "UNIT", *unit), Condition::exists());
        }
    }
    tx
}

/// Adds to `tx` the party links (`DEALPARTY`) the change from `before` to
/// `after` makes: new parties linked, dropped ones unlinked, roles kept current.
pub fn party_links(mut tx: Tx, t: TenantId, before: Option<&Deal>, after: Option<&Deal>) -> Result<Tx, crm_store::StoreError> {
    let old = before.map(Deal::parties).unwrap_or_default();
    let new = after.map(Deal::parties).unwrap_or_default();
    if let Some(d) = before {
        for (id, _, _) in old.iter().filter(|(id, _, _)| !new.iter().any(|(n, _, _)| n == id)) {
            tx = tx.delete("party_link", &Deal::party_key(t, *id, d.id), None);
        }
    }
    if let Some(d) = after {
        for (id, kind, role) in new.iter().filter(|p| !old.contains(p)) {
            tx = tx
                .put("party_link", item::to_item(&Deal::party_key(t, *id, d.id), &json!({ "deal_id": d.id, "type": kind, "role": role }))?);
        }
    }
    Ok(tx)
}

/// `422` for a linked record that does not exist.
pub fn link_refused(label: &str) -> Option<AppError> {
    label.strip_prefix("link:").map(|f| AppError::invalid(f, "no such record in this tenant"))
}

/// A deal to create.
pub struct NewDeal<'a> {
    pub pipeline: &'a Pipeline,
    pub stage: &'a Stage,
    pub fields: DealFields,
    /// The lead it is converted from.
    pub lead_id: Option<EntityId>,
    /// Check in the transaction that the linked contacts and companies
    /// exist, and take a place in `deals.max` (a conversion creating them
    /// in the same transaction does both itself).
    pub standalone: bool,
}

/// A new deal, and `tx` with everything its creation writes (to commit,
/// or to merge into a lead's conversion).
pub async fn create(store: &Store, p: &Principal, request_id: Option<&str>, new: NewDeal<'_>, tx: Tx) -> Result<(Deal, Tx), AppError> {
    let NewDeal { pipeline, stage, fields, lead_id, standalone } = new;
    let t = p.tenant_id;
    may_link_units(p, &fields, None)?;
    crm_records::write::check_owner(store, t, fields.owner_user_id).await?;
    let now = Timestamp::now();
    let deal = Deal {
        id: EntityId::new(),
        tenant_id: t,
        fields,
        pipeline_id: pipeline.id,
        stage_id: stage.id,
        status: crate::deal::DealStatus::Open,
        stage_entered_at: now,
        closed_at: None,
        lost_reason_code: None,
        lost_reason_note: None,
        lead_id,
        created_by: p.user_id,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let data = json!({
        "name": deal.fields.name, "amount": deal.fields.amount, "currency": deal.fields.currency,
        "pipeline_id": pipeline.id, "stage_id": stage.id, "owner_user_id": deal.fields.owner_user_id, "lead_id": lead_id,
        "unit_ids": deal.fields.units,
    });
    let tx = tx
        .put_new("deal", deal.to_item()?)
        .put("history", StageChange::new(&deal, None, stage, p.user_id).to_item(t)?)
        .emit_audited(&event(p, request_id, crm_events::types::DEAL_CREATED, &deal, data));
    let tx = board::write(tx, t, pipeline, &board::deltas(None, Some(&deal)));
    let tx = party_links(tx, t, None, Some(&deal))?;
    let tx = if standalone {
        crm_records::write::take_quota(check_links(tx, t, &deal.fields, None), p, "deals.max")
    } else {
        check_units(tx, t, &deal.fields, None)
    };
    let owner = crm_notify::users::others(deal.fields.owner_user_id, p.user_id);
    let tx = notices::queue(store, t, p.user_id, &owner, "deal.assigned", &notices::payload(&deal, &stage.name, json!({})), tx).await?;
    Ok((deal, tx))
}

/// The error a failed deal transaction means.
pub fn refused(p: &Principal, e: crm_store::StoreError) -> AppError {
    match &e {
        crm_store::StoreError::ConditionFailed { label } => crm_records::write::quota_refused(p, label)
            .or_else(|| crm_records::write::custom_conflict(label))
            .or_else(|| link_refused(label))
            .unwrap_or(if label == "deal" || label == "approval_grant" { AppError::PreconditionFailed } else { e.into() }),
        _ => e.into(),
    }
}
