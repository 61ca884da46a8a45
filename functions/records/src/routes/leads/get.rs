//! `GET /v1/leads?search=&status=&owner=&source=&min_score=&from=&to=` —
//! leads, cursor paginated, newest first (the spec's list filters). One key
//! condition picks the partition — `status` (an index the spec suggests), `owner`
//! (`me` or a user id), or all leads — and the rest filter it in the same
//! query; `search` is a prefix match on names, email, phone and company
//! name. Only leads the caller may see are listed (ADR 0013).

use crm_http::{Call, ListQuery, Reply};
use crm_kernel::AppError;
use crm_store::{keys, Filter, Index, Query};

use crate::lead::{Lead, LEAD, SOURCES, STATUSES};
use crate::{search_index, App};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let t = p.tenant_id;
    let asked: LeadsQuery = call.query_as()?;
    let (limit, cursor) = (asked.limit.unwrap_or_default(), asked.cursor);
    let mut lq = ListQuery::of(&call);
    let status = lq.one_of("status", STATUSES);
    let source = lq.one_of("source", SOURCES);
    let min_score = lq.int("min_score", "");
    let (from, to) = (lq.date("from"), lq.date("to"));
    let owner = lq.owner("owner", p.user_id);
    lq.finish()?;
    let mut filters: Vec<Filter> = source.map(|s| Filter::eq("source", s)).into_iter().collect();
    filters.extend(min_score.map(|n| Filter::AtLeast("score".into(), n)));
    filters.extend(Filter::days("created_at", from, to));
    let owners = crm_auth::audience::owners(&app.store, &p).await?;
    if let Some(q) = call.query("search") {
        let (found, words, next) = search_index::search(&app.store, t, LEAD, &q, limit, cursor, |id| Lead::key(t, id)).await?;
        let list: Vec<Lead> = found
            .into_iter()
            .filter(|l: &Lead| search_index::matches(&l.fields.terms(), &words))
            .filter(|l| status.as_ref().is_none_or(|s| l.fields.status.as_str() == s))
            .filter(|l| owner.is_none_or(|o| l.fields.owner_user_id == Some(o)))
            .filter(|l| crm_auth::audience::listed(&p, owners.as_ref(), l.fields.owner_user_id, false))
            .collect();
        return Ok(Reply::list(list, limit, next));
    }
    let q = match (&status, owner) {
        (Some(s), _) => Query::index(t, Index::ByParent, Lead::status_pk(t, s)),
        (None, Some(o)) => Query::index(t, Index::ByOwner, keys::by_owner_pk(t, LEAD, &o.to_string())),
        (None, None) => Query::index(t, Index::ByKind, keys::by_kind_pk(t, LEAD)),
    }
    .descending()
    .limit(limit)
    .after(cursor);
    if let (Some(o), Some(_)) = (owner, &status) {
        filters.push(Filter::eq("owner_user_id", o.to_string()));
    }
    let (leads, next): (Vec<Lead>, _) = crm_auth::audience::visible_page(&app.store, &p, owners.as_ref(), q, filters).await?;
    Ok(Reply::list(leads, limit, next))
}

/// The query parameters of `LeadsList`.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LeadsQuery {
    /// Page size, 1 to 100 (default 25).
    pub limit: Option<crm_kernel::Limit>,
    /// `nextCursor` of the previous page.
    pub cursor: Option<String>,
    /// A lead status.
    pub status: Option<String>,
    /// A lead source.
    pub source: Option<String>,
    /// A whole number.
    pub min_score: Option<String>,
    /// `YYYY-MM-DD`.
    pub from: Option<String>,
    /// `YYYY-MM-DD`.
    pub to: Option<String>,
    /// `me` or a user id.
    pub owner: Option<String>,
    /// Name, email, phone or company.
    pub search: Option<String>,
}
