//! The contacts list: its filters (what a contact segment saves too) and
//! one page of the contacts they select — `search` prefix-matches names,
//! email and phone (case, accents, Arabic folded); `company` is the
//! company's partition (`by_parent`, by name); `owner` (`me` or a user id)
//! `by_owner`; otherwise newest first; `lifecycle` filters the page.

use crm_auth::Principal;
use crm_http::Call;
use crm_kernel::{AppError, EntityId, Limit, UserId};
use crm_store::{keys, Index, Query};
use serde::{Deserialize, Serialize};

use crate::contact::{Contact, CONTACT, STAGES};
use crate::{search_index, App};

/// The list's filters — also what a contact segment saves.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    /// `me` (whoever runs it) or a user id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifecycle: Option<String>,
}

/// One page of the contacts `f` selects, for `p`, and the cursor of the next
/// (the list routes, segments and exports all read through here).
pub async fn page(
    app: &App,
    p: &Principal,
    f: &Filter,
    limit: Limit,
    cursor: Option<String>,
) -> Result<(Vec<Contact>, Option<String>), AppError> {
    f.validate()?;
    let t = p.tenant_id;
    let stage = f.lifecycle.clone();
    let owners = crm_auth::audience::owners(&app.store, p).await?;
    if let Some(q) = &f.search {
        let (found, words, next) = search_index::search(&app.store, t, CONTACT, q, limit, cursor, |id| Contact::key(t, id)).await?;
        // Matched only through a field the caller may not read is not matched.
        let hidden = crm_auth::sensitive::hidden(p, crm_auth::sensitive::CONTACT);
        let list: Vec<Contact> = found
            .into_iter()
            .filter(|c: &Contact| search_index::matches(&c.fields.terms_seen_by(&hidden), &words))
            .filter(|c| stage.as_ref().is_none_or(|s| &c.fields.lifecycle_stage == s))
            .filter(|c| crm_auth::audience::listed(p, owners.as_ref(), c.fields.owner_user_id, c.fields.private))
            .collect();
        return Ok((list, next));
    }
    let q = if let Some(c) = &f.company {
        let c = EntityId::parse(c).map_err(|_| AppError::invalid("company", "must be a company id"))?;
        Query::index(t, Index::ByParent, Contact::company_pk(t, c))
    } else if let Some(owner) = &f.owner {
        let owner = crm_records::write::owner_filter(p, owner)?;
        Query::index(t, Index::ByOwner, keys::by_owner_pk(t, CONTACT, &owner.to_string())).descending()
    } else {
        Query::index(t, Index::ByKind, keys::by_kind_pk(t, CONTACT)).descending()
    };
    let filters = stage.map(|s| crm_store::Filter::eq("lifecycle_stage", s)).into_iter().collect();
    Ok(crm_auth::audience::visible_page(&app.store, p, owners.as_ref(), q.limit(limit).after(cursor), filters).await?)
}

impl Filter {
    pub fn from_call(call: &Call) -> Self {
        Self {
            search: call.query("search"),
            company: call.query("company"),
            owner: call.query("owner"),
            lifecycle: call.query("lifecycle"),
        }
    }

    /// Every value checked, without running anything.
    pub fn validate(&self) -> Result<(), AppError> {
        if self.lifecycle.as_deref().is_some_and(|s| !STAGES.contains(&s)) {
            return Err(AppError::invalid("lifecycle", format!("must be one of {}", STAGES.join(", "))));
        }
        if let Some(q) = &self.search {
            search_index::parse(q)?;
        }
        if self.company.as_deref().is_some_and(|c| EntityId::parse(c).is_err()) {
            return Err(AppError::invalid("company", "must be a company id"));
        }
        if self.owner.as_deref().is_some_and(|o| o != "me" && UserId::parse(o).is_err()) {
            return Err(AppError::invalid("owner", "must be `me` or a user id"));
        }
        Ok(())
    }
}
