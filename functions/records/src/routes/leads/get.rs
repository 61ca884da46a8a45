//! `GET /v1/leads?search=&status=&owner=&source=&min_score=&from=&to=` —
//! leads, cursor paginated, newest first (the spec's list filters). One key
//! condition picks the partition — `status` (an index the spec suggests), `owner`
//! (`me` or a user id), or all leads — and the rest filter it in the same
//! query; `search` is a prefix match on names, email, phone and company
//! name. Only leads the caller may see are listed (ADR 0013).

use crm_http::{Call, Reply};
use crm_kernel::{AppError, FieldError};
use crm_store::{item, keys, Filter, Index, Query};

use crate::lead::{Lead, LEAD, SOURCES, STATUSES};
use crate::{search_index, App};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let t = p.tenant_id;
    let (limit, cursor) = call.page()?;
    let mut errors = Vec::new();
    let mut filters = Vec::new();
    let status = call.query("status");
    if status.as_deref().is_some_and(|s| !STATUSES.contains(&s)) {
        errors.push(FieldError::new("status", format!("must be one of {}", STATUSES.join(", "))));
    }
    if let Some(s) = call.query("source") {
        if SOURCES.contains(&s.as_str()) {
            filters.push(Filter::eq("source", s));
        } else {
            errors.push(FieldError::new("source", format!("must be one of {}", SOURCES.join(", "))));
        }
    }
    if let Some(v) = call.query("min_score") {
        match v.parse::<i64>() {
            Ok(n) => filters.push(Filter::AtLeast("score".into(), n)),
            Err(_) => errors.push(FieldError::new("min_score", "must be a whole number")),
        }
    }
    for (q, upper) in [("from", false), ("to", true)] {
        if let Some(v) = call.query(q) {
            match crm_kernel::time::parse_date(q, &v) {
                Ok(d) if upper => {
                    filters.push(Filter::Before("created_at".into(), (d + chrono::Duration::days(1)).format("%Y-%m-%d").to_string()))
                }
                Ok(d) => filters.push(Filter::From("created_at".into(), d.format("%Y-%m-%d").to_string())),
                Err(_) => errors.push(FieldError::new(q, "must be a date (YYYY-MM-DD)")),
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
    let owners = crm_auth::audience::owners(&app.store, &p).await?;
    if let Some(q) = call.query("search") {
        let (found, words, next) = search_index::search(&app.store, t, LEAD, &q, limit, cursor, |id| Lead::key(t, id)).await?;
        let list: Vec<Lead> = found
            .into_iter()
            .filter(|l: &Lead| search_index::matches(&l.fields.terms(), &words))
            .filter(|l| status.as_ref().is_none_or(|s| &l.fields.status == s))
            .filter(|l| owner.is_none_or(|o| l.fields.owner_user_id == Some(o)))
            .filter(|l| crm_auth::audience::listed(&p, owners.as_ref(), l.fields.owner_user_id, false))
            .collect();
        return Ok(Reply::list(list, limit, next));
    }
    let mut q = match (&status, owner) {
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
    filters.extend(crm_auth::audience::filters(&p, owners.as_ref(), None));
    for f in filters {
        q = q.filter(f);
    }
    let page = app.store.query(q).await?;
    let leads: Vec<Lead> = page.items.into_iter().map(item::from_item).collect::<Result<_, _>>()?;
    Ok(Reply::list(leads, limit, page.next_cursor))
}
