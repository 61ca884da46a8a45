//! The I/O half of [`crate::visibility`]: the tenant's users a team scope
//! is resolved against, and the list filter a scope becomes.
//!
//! * A tenant in `all` mode, an admin or an API key costs nothing extra.
//! * In `team` mode a list reads the tenant's users (the `USER` partition
//!   of `by_kind`, one key condition per 100 users) and filters the page to
//!   the owners in the caller's team; a single record reads its owner's
//!   user item.

use std::collections::BTreeSet;

use crm_kernel::UserId;
use crm_store::{Filter, Store, StoreError};

use crate::visibility::{self, Colleague};
use crate::Principal;

/// The attribute holding a record's owner.
pub const OWNER: &str = "owner_user_id";
/// The attribute a private record carries: its owner's id (absent otherwise).
pub const PRIVATE_OWNER: &str = "private_owner";

/// The owners whose records `p` may list (`None`: everyone's).
pub async fn owners(store: &Store, p: &Principal) -> Result<Option<BTreeSet<UserId>>, StoreError> {
    if visibility::sees_everyone(p) {
        return Ok(None);
    }
    Ok(visibility::audience(p, &colleagues(store, p).await?))
}

/// Every user of `p`'s tenant, as visibility needs them.
async fn colleagues(store: &Store, p: &Principal) -> Result<Vec<Colleague>, StoreError> {
    Ok(crm_directory::list(store, p.tenant_id).await?.iter().map(Colleague::from).collect())
}

/// One page of what `q` selects that `p` may see: `filters` and the
/// audience's conditions ([`filters`]) applied in the query, the items read
/// as `T`, and the cursor of the next page. Every record list reads through here.
pub async fn visible_page<T: serde::de::DeserializeOwned>(
    store: &Store,
    p: &Principal,
    owners: Option<&BTreeSet<UserId>>,
    mut q: crm_store::Query,
    filters: Vec<Filter>,
) -> Result<(Vec<T>, Option<String>), StoreError> {
    for f in filters.into_iter().chain(self::filters(p, owners, None)) {
        q = q.filter(f);
    }
    let page = store.query(q).await?;
    let list = page.items.into_iter().map(crm_store::item::from_item::<T>).collect::<Result<Vec<_>, _>>()?;
    Ok((list, page.next_cursor))
}

/// The conditions a list query takes so that it returns only what `p`
/// sees: owners in `owners` (or none; or `p` in the attribute `creator`
/// names, for records their creator keeps seeing), and no one else's
/// private record.
pub fn filters(p: &Principal, owners: Option<&BTreeSet<UserId>>, creator: Option<&str>) -> Vec<Filter> {
    let mut out = Vec::new();
    if let Some(o) = owners {
        let mut any = vec![Filter::In(OWNER.into(), o.iter().map(|u| u.to_string()).collect()), Filter::Missing(OWNER.into())];
        any.extend(creator.map(|c| Filter::eq(c, p.user_id.to_string())));
        out.push(Filter::Any(any));
    }
    if !visibility::is_admin(p) {
        out.push(Filter::Any(vec![Filter::Missing(PRIVATE_OWNER.into()), Filter::eq(PRIVATE_OWNER, p.user_id.to_string())]));
    }
    out
}

/// Whether a record of `owner` (private or not) shows in a list `owners` bounds.
pub fn listed(p: &Principal, owners: Option<&BTreeSet<UserId>>, owner: Option<UserId>, private: bool) -> bool {
    let team = match (owners, owner) {
        (Some(o), Some(u)) => o.contains(&u),
        _ => true,
    };
    team && (!private || visibility::sees_private(p, owner))
}

/// `404` unless `p` may see a record of `owner`: a record one may not see
/// does not exist for them, like another tenant's.
pub async fn require_visible(store: &Store, p: &Principal, owner: Option<UserId>, private: bool) -> Result<(), crm_kernel::AppError> {
    if may_see(store, p, owner, private).await? {
        Ok(())
    } else {
        Err(crm_kernel::AppError::NotFound)
    }
}

/// May `p` see one record? Reads the owner's user item only in team mode.
pub async fn may_see(store: &Store, p: &Principal, owner: Option<UserId>, private: bool) -> Result<bool, StoreError> {
    let profile = match owner {
        Some(o) if visibility::needs_profile(p, owner, private) => {
            crm_directory::get(store, p.tenant_id, o).await?.map(|u| Colleague::from(&u))
        }
        _ => None,
    };
    Ok(visibility::may_see(p, owner, private, profile.as_ref()))
}
