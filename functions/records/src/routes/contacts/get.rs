//! `GET /v1/contacts?search=&owner=&company=&lifecycle=` — contacts, cursor
//! paginated: `search` prefix-matches names, email and phone (case, accents,
//! Arabic folded); `company` is the company's partition (`by_parent`, by
//! name); `owner` (`me` or a user id) `by_owner`; otherwise newest first;
//! `lifecycle` filters the page.

use crm_http::{Call, Reply};
use crm_kernel::{AppError, EntityId, UserId};
use crm_store::{item, keys, Index, Query};

use crate::contact::{Contact, CONTACT, STAGES};
use crate::{search_index, App};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let t = p.tenant_id;
    let (limit, cursor) = call.page()?;
    let stage = call.query("lifecycle");
    if stage.as_deref().is_some_and(|s| !STAGES.contains(&s)) {
        return Err(AppError::invalid("lifecycle", format!("must be one of {}", STAGES.join(", "))));
    }
    if let Some(q) = call.query("search") {
        let parsed = search_index::parse(&q)?;
        let (ids, next) = search_index::candidates(&app.store, t, CONTACT, &parsed, limit, cursor).await?;
        let keys: Vec<_> = ids.iter().map(|id| Contact::key(t, *id)).collect();
        let found = app.store.get_many(&keys).await?;
        let list: Vec<Contact> = found.into_iter().flatten().map(item::from_item::<Contact>).collect::<Result<_, _>>()?;
        let list: Vec<_> = list
            .iter()
            .filter(|c| search_index::matches(&c.fields.terms(), &parsed.words))
            .filter(|c| stage.as_ref().is_none_or(|s| &c.fields.lifecycle_stage == s))
            .map(super::public)
            .collect();
        return Ok(Reply::list(list, limit, next));
    }
    let mut q = if let Some(c) = call.query("company") {
        let c = EntityId::parse(&c).map_err(|_| AppError::invalid("company", "must be a company id"))?;
        Query::index(t, Index::ByParent, Contact::company_pk(t, c))
    } else if let Some(owner) = call.query("owner") {
        let owner = if owner == "me" {
            p.user_id
        } else {
            UserId::parse(&owner).map_err(|_| AppError::invalid("owner", "must be `me` or a user id"))?
        };
        Query::index(t, Index::ByOwner, keys::by_owner_pk(t, CONTACT, &owner.to_string())).descending()
    } else {
        Query::index(t, Index::ByKind, keys::by_kind_pk(t, CONTACT)).descending()
    };
    q = q.limit(limit).after(cursor);
    if let Some(s) = stage {
        q = q.filter_eq("lifecycle_stage", s);
    }
    let page = app.store.query(q).await?;
    let list = page.items.into_iter().map(item::from_item::<Contact>).collect::<Result<Vec<_>, _>>()?;
    Ok(Reply::list(list.iter().map(super::public).collect::<Vec<_>>(), limit, page.next_cursor))
}
