//! How many users — and pending invitations — hold each custom role: one
//! counter item per role, moved in the same transaction as the user (or
//! invitation) it counts. A role is deleted only with its counter at zero,
//! and a grant counts up only while the counter exists, so a role cannot be
//! deleted under a user being given it, whichever commits first.

use crm_kernel::{AppError, TenantId};
use crm_store::tx::Condition;
use crm_store::{item, keys, StoreError, Tx};
use serde_json::json;

/// Labels of the counter operations (`role:{code}`).
const LABEL: &str = "role:";

/// A new role's counter, at zero.
pub fn create(tx: Tx, t: TenantId, code: &str) -> Result<Tx, AppError> {
    Ok(tx.put_new(&format!("{LABEL}{code}"), item::to_item(&keys::role_holders(t, code), &json!({ "holders": 0 }))?))
}

/// Removes the counter of `code`, failing the transaction unless it is at zero.
pub fn delete(tx: Tx, t: TenantId, code: &str) -> Tx {
    tx.delete(&format!("{LABEL}{code}"), &keys::role_holders(t, code), Some(Condition::absent_or_zero("holders")))
}

/// Counts a role list changing from `before` to `after`: up for each custom
/// role gained (only while the role exists), down for each lost.
pub fn follow(mut tx: Tx, t: TenantId, before: &[String], after: &[String]) -> Tx {
    let (added, removed) = crm_auth::roles::custom_changes(before, after);
    for code in added {
        tx = tx.add(&format!("{LABEL}{code}"), &keys::role_holders(t, code), &[("holders", 1)], Condition::exists());
    }
    for code in removed {
        tx = tx.add(&format!("{LABEL}{code}"), &keys::role_holders(t, code), &[("holders", -1)], Condition::exists());
    }
    tx
}

/// The answer to a transaction that failed on a counter: the role went
/// meanwhile (a grant), or is held (a delete).
pub fn refused(e: &StoreError, deleting: bool) -> Option<AppError> {
    let StoreError::ConditionFailed { label } = e else { return None };
    let code = label.strip_prefix(LABEL)?;
    Some(if deleting {
        crm_auth::roles::in_use(code, "users or pending invitations hold it")
    } else {
        AppError::invalid("roles", format!("the role `{code}` no longer exists"))
    })
}
