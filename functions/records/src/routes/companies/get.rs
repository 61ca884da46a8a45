//! `GET /v1/companies?search=&domain=&city=&owner=&status=` — companies,
//! cursor paginated, each filter a key condition:
//!
//! * `search` (also `name`): prefix match on name, domain, city and phone,
//!   case-, accent- and Arabic-insensitive (the search index);
//! * `domain`: `by_lookup`; `city`: `by_parent` (sorted by name);
//!   `owner` (`me` or a user id): `by_owner`; otherwise newest first (`by_kind`);
//! * `status` filters the page.

use crm_http::{Call, Reply};
use crm_kernel::{AppError, UserId};
use crm_store::{item, keys, Index, Query};

use crate::company::{parse_domain, Company, COMPANY, STATUSES};
use crate::{search_index, App};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let t = p.tenant_id;
    let (limit, cursor) = call.page()?;
    let status = call.query("status");
    if status.as_deref().is_some_and(|s| !STATUSES.contains(&s)) {
        return Err(AppError::invalid("status", format!("must be one of {}", STATUSES.join(", "))));
    }
    if let Some(q) = call.query("search").or_else(|| call.query("name")) {
        let parsed = search_index::parse(&q)?;
        let (ids, next) = search_index::candidates(&app.store, t, COMPANY, &parsed, limit, cursor).await?;
        let keys: Vec<_> = ids.iter().map(|id| Company::key(t, *id)).collect();
        let found = app.store.get_many(&keys).await?;
        let list: Vec<Company> = found.into_iter().flatten().map(item::from_item::<Company>).collect::<Result<_, _>>()?;
        let list: Vec<_> = list
            .iter()
            .filter(|c| search_index::matches(&c.fields.terms(), &parsed.words))
            .filter(|c| status.as_ref().is_none_or(|s| &c.fields.status == s))
            .map(super::public)
            .collect();
        return Ok(Reply::list(list, limit, next));
    }
    let mut q = if let Some(d) = call.query("domain") {
        let d = parse_domain(&d).map_err(|e| AppError::invalid_fields(vec![e]))?;
        Query::index(t, Index::ByLookup, Company::domain_pk(t, &d))
    } else if let Some(city) = call.query("city") {
        Query::index(t, Index::ByParent, Company::city_pk(t, &city))
    } else if let Some(owner) = call.query("owner") {
        let owner = if owner == "me" {
            p.user_id
        } else {
            UserId::parse(&owner).map_err(|_| AppError::invalid("owner", "must be `me` or a user id"))?
        };
        Query::index(t, Index::ByOwner, keys::by_owner_pk(t, COMPANY, &owner.to_string())).descending()
    } else {
        Query::index(t, Index::ByKind, keys::by_kind_pk(t, COMPANY)).descending()
    };
    q = q.limit(limit).after(cursor);
    if let Some(s) = status {
        q = q.filter_eq("status", s);
    }
    let page = app.store.query(q).await?;
    let list = page.items.into_iter().map(item::from_item::<Company>).collect::<Result<Vec<_>, _>>()?;
    Ok(Reply::list(list.iter().map(super::public).collect::<Vec<_>>(), limit, page.next_cursor))
}
