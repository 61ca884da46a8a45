//! `GET /v1/deals?pipeline=&stage=&owner=&status=&from=&to=&close_from=&close_to=&min_amount=&max_amount=`
//! — deals, cursor paginated (the spec's list filters). One key condition
//! picks the partition — `contact` or `company` (the deals a record is on:
//! its link items, then one BatchGetItem), `stage` (a board column, last
//! changed first), `pipeline`, `owner` (`me` or a user id), or all deals
//! newest first — and the rest filter it in the same query: `status`, creation date range
//! `from`/`to` (`YYYY-MM-DD`), `close_from`/`close_to`, amount range in
//! minor units. Only deals the caller may see are listed (ADR 0013).

use crm_http::{Call, ListQuery, Reply};
use crm_kernel::{AppError, EntityId};
use crm_store::{item, keys, Filter, Index, Query};

use crate::App;
use crm_deals::deal::{Deal, DEAL, STATUSES};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let t = p.tenant_id;
    let asked: DealsQuery = call.query_as()?;
    let (limit, cursor) = (asked.limit.unwrap_or_default(), asked.cursor);
    let mut lq = ListQuery::of(&call);
    let (stage, pipeline) = (lq.id("stage"), lq.id("pipeline"));
    let party = lq.id("contact").or(lq.id("company"));
    let status = lq.one_of("status", STATUSES);
    let (from, to) = (lq.date("from"), lq.date("to"));
    let (close_from, close_to) = (lq.date("close_from"), lq.date("close_to"));
    let (min, max) = (lq.int("min_amount", " of minor units"), lq.int("max_amount", " of minor units"));
    let owner = lq.owner("owner", p.user_id);
    lq.finish()?;
    if (min.is_some() || max.is_some()) && !p.can(crm_auth::rbac::DEAL_AMOUNT_READ) {
        // Filtering by an amount one may not read would read it.
        return Err(AppError::Forbidden("min_amount and max_amount take `deal.amount.read`".into()));
    }
    let mut filters: Vec<Filter> = status.map(|s| Filter::eq("status", s)).into_iter().collect();
    filters.extend(Filter::days("created_at", from, to));
    filters.extend(Filter::days("close_date", close_from, close_to));
    filters.extend(min.map(|n| Filter::AtLeast("amount".into(), n)));
    filters.extend(max.map(|n| Filter::AtMost("amount".into(), n)));
    if let Some(o) = owner.filter(|_| party.is_some()) {
        filters.push(Filter::eq("owner_user_id", o.to_string()));
    }
    if let Some(party) = party {
        let owners = crm_auth::audience::owners(&app.store, &p).await?;
        filters.extend(crm_auth::audience::filters(&p, owners.as_ref(), None));
        return of_party(app, &p, party, &filters, limit, cursor).await;
    }
    let q = match (stage, pipeline, owner) {
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
    let (deals, next): (Vec<Deal>, _) = crm_auth::audience::visible_page(&app.store, &p, owners.as_ref(), q, filters).await?;
    Ok(Reply::list(deals.iter().map(|d| d.public(&p)).collect::<Vec<_>>(), limit, next))
}

/// The deals `party` (a contact or company) is on, newest link first:
/// one Query of its links, one BatchGetItem of the deals, the list's
/// filters applied to each ([`Filter::matches`]).
async fn of_party(
    app: &App,
    p: &crm_auth::Principal,
    party: EntityId,
    filters: &[Filter],
    limit: crm_kernel::Limit,
    cursor: Option<String>,
) -> Result<Reply, AppError> {
    let t = p.tenant_id;
    let page = app.store.query(Query::table(t, Deal::party_key(t, party, party).pk).descending().limit(limit).after(cursor)).await?;
    let ids: Vec<EntityId> =
        page.items.iter().filter_map(|i| i.get("deal_id")?.as_s().ok().and_then(|s| EntityId::parse(s).ok())).collect();
    let found = app.store.get_many(&ids.iter().map(|id| Deal::key(t, *id)).collect::<Vec<_>>()).await?;
    let deals: Vec<Deal> =
        found.into_iter().flatten().filter(|it| filters.iter().all(|f| f.matches(it))).map(item::from_item).collect::<Result<_, _>>()?;
    Ok(Reply::list(deals.iter().map(|d| d.public(p)).collect::<Vec<_>>(), limit, page.next_cursor))
}

/// The query parameters of `DealsList`.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DealsQuery {
    /// Page size, 1 to 100 (default 25).
    pub limit: Option<crm_kernel::Limit>,
    /// `nextCursor` of the previous page.
    pub cursor: Option<String>,
    /// A stage id.
    pub stage: Option<String>,
    /// A pipeline id.
    pub pipeline: Option<String>,
    /// A contact id.
    pub contact: Option<String>,
    /// A company id.
    pub company: Option<String>,
    /// `open`, `won`, `lost`.
    pub status: Option<String>,
    /// Created on or after (`YYYY-MM-DD`).
    pub from: Option<String>,
    /// Created on or before (`YYYY-MM-DD`).
    pub to: Option<String>,
    /// `YYYY-MM-DD`.
    pub close_from: Option<String>,
    /// `YYYY-MM-DD`.
    pub close_to: Option<String>,
    /// Minor units.
    pub min_amount: Option<String>,
    /// Minor units.
    pub max_amount: Option<String>,
    /// `me` or a user id.
    pub owner: Option<String>,
}
