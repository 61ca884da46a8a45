//! The tenant's owners: the last active super admin is never demoted,
//! deactivated, suspended or deleted (`docs/adr/0016`). A change that takes a
//! super admin away checks, in its own transaction, that another active
//! super admin is still there unchanged — so two owners demoting each other
//! at the same instant cannot both succeed.

use crm_auth::rbac::SUPER_ADMIN;
use crm_kernel::{AppError, Limit};
use crm_store::tx::Condition;
use crm_store::{item, keys, Index, Query, Store, Tx};

use crate::model::{User, UserStatus, USER};

/// The label of the other owner's check in a transaction.
pub const OWNER: &str = "owner";

fn is_owner(u: &User) -> bool {
    u.status == UserStatus::Active && u.deleted_at.is_none() && u.roles.iter().any(|r| r == SUPER_ADMIN)
}

/// Adds to `tx` the guarantee that `leaving` is not the tenant's last active
/// super admin (nothing when `leaving` is not one): `422 LAST_SUPER_ADMIN`.
pub async fn keep_one(store: &Store, leaving: &User, tx: Tx) -> Result<Tx, AppError> {
    if !is_owner(leaving) {
        return Ok(tx);
    }
    let t = leaving.tenant_id;
    let mut cursor = None;
    loop {
        let q = Query::index(t, Index::ByKind, keys::by_kind_pk(t, USER)).limit(Limit::max()).after(cursor);
        let page = store.query(q).await?;
        let other = page.items.into_iter().filter_map(|i| item::from_item::<User>(i).ok()).find(|u| u.id != leaving.id && is_owner(u));
        if let Some(o) = other {
            return Ok(tx.check(OWNER, &User::key(t, o.id), Condition::version_is(o.version)));
        }
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => {
                return Err(AppError::Rule {
                    code: "LAST_SUPER_ADMIN",
                    message: "this is the last active super admin of the organisation; make someone else super admin first".into(),
                })
            }
        }
    }
}
