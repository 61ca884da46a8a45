//! `GET /v1/deals?pipeline=&stage=&owner=&status=&from=&to=&close_from=&close_to=&min_amount=&max_amount=`
//! — deals, cursor paginated (the spec's list filters). One key condition
//! picks the partition — `contact` or `company` (the deals a record is on:
//! its link items, then one BatchGetItem), `stage` (a board column, last
//! changed first), `pipeline`, `owner` (`me` or a user id), or all deals
//! newest first — and the rest filter it in the same query: `status`, creation date range
//! `from`/`to` (`YYYY-MM-DD`), `close_from`/`close_to`, amount range in
//! minor units. Only deals the caller may see are listed (ADR 0013).

use crm_http::{Call, Reply};
use crm_kernel::{AppError, EntityId, FieldError};
use crm_store::{item, keys, Filter, Index, Query};

use crate::App;
use crm_deals::deal::{Deal, DEAL, STATUSES};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let t = p.tenant_id;
    let (limit, cursor) = call.page()?;
    let mut errors = Vec::new();
    let id = |f: &str, errors: &mut Vec<FieldError>| {
        call.query(f).and_then(|v| EntityId::parse(&v).map_err(|_| errors.push(FieldError::new(f, "must be an id"))).ok())
    };
    let (stage, pipeline) = (id("stage", &mut errors), id("pipeline", &mut errors));
    let party = id("contact", &mut errors).or(id("company", &mut errors));
    let mut filters = Vec::new();
    if let Some(s) = call.query("status") {
        if STATUSES.contains(&s.as_str()) {
            filters.push(Filter::eq("status", s));
        } else {
            errors.push(FieldError::new("status", format!("must be one of {}", STATUSES.join(", "))));
        }
    }
    for (q, attr, upper) in
        [("from", "created_at", false), ("to", "created_at", true), ("close_from", "close_date", false), ("close_to", "close_date", true)]
    {
        if let Some(v) = call.query(q) {
            match crm_kernel::time::parse_date(q, &v) {
                Ok(d) if upper => filters.push(Filter::Before(attr.into(), (d + chrono_days(1)).format("%Y-%m-%d").to_string())),
                Ok(d) => filters.push(Filter::From(attr.into(), d.format("%Y-%m-%d").to_string())),
                Err(_) => errors.push(FieldError::new(q, "must be a date (YYYY-MM-DD)")),
            }
        }
    }
    for (q, at_least) in [("min_amount", true), ("max_amount", false)] {
        if let Some(v) = call.query(q) {
            match v.parse::<i64>() {
                Ok(n) if at_least => filters.push(Filter::AtLeast("amount".into(), n)),
                Ok(n) => filters.push(Filter::AtMost("amount".into(), n)),
                Err(_) => errors.push(FieldError::new(q, "must be a whole number of minor units")),
            }
        }
    }
    let owner = match call.query("owner") {
        Some(o) => crm_records::write::owner_filter(&p, &o).map_err(|e| errors.extend(e.details().iter().cloned())).ok(),
        None => None,
    };
    if !errors.is_empty() {
        return Err(AppError::invalid_fields(errors));
    }
    if let Some(o) = owner.filter(|_| party.is_some()) {
        filters.push(Filter::eq("owner_user_id", o.to_string()));
    }
    if let Some(party) = party {
        let owners = crm_auth::audience::owners(&app.store, &p).await?;
        filters.extend(crm_auth::audience::filters(&p, owners.as_ref(), None));
        return of_party(app, t, party, &filters, limit, cursor).await;
    }
    let mut q = match (stage, pipeline, owner) {
        (Some(s), _, _) => Query::index(t, Index::ByParent, Deal::stage_pk(t, s)),
        (None, Some(pl), _) => Query::index(t, Index::ByLookup, Deal::pipeline_pk(t, pl)),
        (None, None, Some(o)) => Query::index(t, Index::ByOwner, keys::by_owner_pk(t, DEAL, &o.to_string())),
        (None, None, None) => Query::index(t, Index::ByKind, keys::by_kind_pk(t, DEAL)),
    }
    .descending()
    .limit(limit)
    .after(cursor);
    if let (Some(o), true) = (owner, stage.is_some() || pipeline.is_some()) {
        filters.push(Filter::eq("owner_user_id", o.to_string()));
    }
    let owners = crm_auth::audience::owners(&app.store, &p).await?;
    filters.extend(crm_auth::audience::filters(&p, owners.as_ref(), None));
    for f in filters {
        q = q.filter(f);
    }
    let page = app.store.query(q).await?;
    let deals: Vec<Deal> = page.items.into_iter().map(item::from_item).collect::<Result<_, _>>()?;
    Ok(Reply::list(deals.iter().map(Deal::public).collect::<Vec<_>>(), limit, page.next_cursor))
}

/// The deals `party` (a contact or company) is on, newest link first:
/// one Query of its links, one BatchGetItem of the deals, the list's
/// filters applied to each ([`Filter::matches`]).
async fn of_party(
    app: &App,
    t: crm_kernel::TenantId,
    party: EntityId,
    filters: &[Filter],
    limit: crm_kernel::Limit,
    cursor: Option<String>,
) -> Result<Reply, AppError> {
    let page = app.store.query(Query::table(t, Deal::party_key(t, party, party).pk).descending().limit(limit).after(cursor)).await?;
    let ids: Vec<EntityId> =
        page.items.iter().filter_map(|i| i.get("deal_id")?.as_s().ok().and_then(|s| EntityId::parse(s).ok())).collect();
    let found = app.store.get_many(&ids.iter().map(|id| Deal::key(t, *id)).collect::<Vec<_>>()).await?;
    let deals: Vec<Deal> =
        found.into_iter().flatten().filter(|it| filters.iter().all(|f| f.matches(it))).map(item::from_item).collect::<Result<_, _>>()?;
    Ok(Reply::list(deals.iter().map(Deal::public).collect::<Vec<_>>(), limit, page.next_cursor))
}

fn chrono_days(n: i64) -> chrono::Duration {
    chrono::Duration::days(n)
}
