//! The companies list: its filters (what a company segment saves too) and
//! one page of the companies they select, each filter a key condition —
//! `search` (also `name`) the search index; `domain` `by_lookup`; `city`
//! `by_parent` (sorted by name); `owner` (`me` or a user id) `by_owner`;
//! otherwise newest first (`by_kind`); `status` filters the page.

use crm_auth::Principal;
use crm_http::Call;
use crm_kernel::{AppError, Limit, UserId};
use crm_store::{keys, Index, Query};
use serde::{Deserialize, Serialize};

use crate::company::{parse_domain, Company, COMPANY, STATUSES};
use crate::{search_index, App};

/// The list's filters — also what a company segment saves.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// `me` (whoever runs it) or a user id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

impl Filter {
    pub fn from_call(call: &Call) -> Self {
        Self {
            search: call.query("search").or_else(|| call.query("name")),
            domain: call.query("domain"),
            city: call.query("city"),
            owner: call.query("owner"),
            status: call.query("status"),
        }
    }

    /// Every value checked, without running anything.
    pub fn validate(&self) -> Result<(), AppError> {
        if self.status.as_deref().is_some_and(|s| !STATUSES.contains(&s)) {
            return Err(AppError::invalid("status", format!("must be one of {}", STATUSES.join(", "))));
        }
        if let Some(q) = &self.search {
            search_index::parse(q)?;
        }
        if let Some(d) = &self.domain {
            parse_domain(d).map_err(|e| AppError::invalid_fields(vec![e]))?;
        }
        if self.owner.as_deref().is_some_and(|o| o != "me" && UserId::parse(o).is_err()) {
            return Err(AppError::invalid("owner", "must be `me` or a user id"));
        }
        Ok(())
    }
}

/// One page of the companies `f` selects, for `p`, and the cursor of the
/// next (the list route and segments read through here).
pub async fn page(
    app: &App,
    p: &Principal,
    f: &Filter,
    limit: Limit,
    cursor: Option<String>,
) -> Result<(Vec<Company>, Option<String>), AppError> {
    f.validate()?;
    let t = p.tenant_id;
    let status = f.status.clone();
    let owners = crm_auth::audience::owners(&app.store, p).await?;
    if let Some(q) = &f.search {
        let (found, words, next) = search_index::search(&app.store, t, COMPANY, q, limit, cursor, |id| Company::key(t, id)).await?;
        let list: Vec<_> = found
            .iter()
            .filter(|c: &&Company| search_index::matches(&c.fields.terms(), &words))
            .filter(|c| status.as_ref().is_none_or(|s| c.fields.status.as_str() == s))
            .filter(|c| crm_auth::audience::listed(p, owners.as_ref(), c.fields.owner_user_id, false))
            .cloned()
            .collect();
        return Ok((list, next));
    }
    let q = if let Some(d) = &f.domain {
        let d = parse_domain(d).map_err(|e| AppError::invalid_fields(vec![e]))?;
        Query::index(t, Index::ByLookup, Company::domain_pk(t, &d))
    } else if let Some(city) = &f.city {
        Query::index(t, Index::ByParent, Company::city_pk(t, city))
    } else if let Some(owner) = &f.owner {
        let owner = crm_records::write::owner_filter(p, owner)?;
        Query::index(t, Index::ByOwner, keys::by_owner_pk(t, COMPANY, &owner.to_string())).descending()
    } else {
        Query::index(t, Index::ByKind, keys::by_kind_pk(t, COMPANY)).descending()
    };
    let filters = status.map(|s| crm_store::Filter::eq("status", s)).into_iter().collect();
    Ok(crm_auth::audience::visible_page(&app.store, p, owners.as_ref(), q.limit(limit).after(cursor), filters).await?)
}
