//! The parts of a record's create, patch and delete that do not depend on
//! the record: its owner, who may change it, the plan quota it takes, its
//! custom values and their unique markers, and the change set its
//! `*.updated` event carries.

use crm_auth::Principal;
use crm_kernel::fields::Input;
use crm_kernel::{AppError, TenantId, UserId};
use crm_store::{Store, Tx};
use serde_json::Value;

use crate::custom_fields::{self, Definition, Values};

/// A limit such as `contacts.max`: a create takes one of the tenant's in its
/// own transaction (the transaction label is the limit key), a delete gives it back.
pub fn take_quota(tx: Tx, p: &Principal, limit: &str) -> Tx {
    crm_store::usage::take(tx, limit, p.tenant_id, &quota_counter(limit), p.entitlements.limit(limit))
}

pub fn release_quota(tx: Tx, t: TenantId, limit: &str) -> Tx {
    crm_store::usage::release(tx, &format!("{limit}.release"), t, &quota_counter(limit))
}

/// Several limits taken at once, in one update of the usage item (label
/// `quotas`): what a transaction creating several records needs.
pub fn take_quotas(tx: Tx, p: &Principal, limits: &[&str]) -> Tx {
    let counters: Vec<(String, i64)> = limits.iter().map(|l| (quota_counter(l), p.entitlements.limit(l))).collect();
    let refs: Vec<(&str, i64)> = counters.iter().map(|(c, m)| (c.as_str(), *m)).collect();
    crm_store::usage::take_each(tx, "quotas", p.tenant_id, &refs)
}

/// The `422 LIMIT_REACHED` of whichever of `limits` is full, after a
/// [`take_quotas`] was refused (one read of the usage item).
pub async fn full_quota(store: &Store, p: &Principal, limits: &[&str]) -> AppError {
    let usage = store.get(&crm_store::keys::usage(p.tenant_id)).await.ok().flatten().unwrap_or_default();
    let full = limits.iter().find(|l| used(&usage, l) >= p.entitlements.limit(l)).or(limits.first());
    full.map(|l| p.entitlements.limit_reached(l)).unwrap_or_else(|| AppError::Conflict("a plan limit changed meanwhile; retry".into()))
}

/// What `limit` still allows `p`'s tenant: the plan's limit less what its
/// counter holds (one read of the usage item). A check before a bulk write;
/// each record's own transaction still takes its place ([`take_quota`]).
pub async fn quota_room(store: &Store, p: &Principal, limit: &str) -> Result<i64, crm_store::StoreError> {
    let usage = store.get(&crm_store::keys::usage(p.tenant_id)).await?.unwrap_or_default();
    Ok(p.entitlements.limit(limit) - used(&usage, limit))
}

/// What the usage item counts against `limit`.
fn used(usage: &crm_store::Item, limit: &str) -> i64 {
    crm_store::item::ItemExt::num_attr(usage, &quota_counter(limit)).unwrap_or(0)
}

/// `422 LIMIT_REACHED` when the failed transaction item was a quota.
pub fn quota_refused(p: &Principal, label: &str) -> Option<AppError> {
    let limit = crm_auth::entitlements::LIMITS.iter().find(|l| **l == label && l.ends_with(".max"))?;
    Some(p.entitlements.limit_reached(limit))
}

fn quota_counter(limit: &str) -> String {
    format!("{}_used", limit.trim_end_matches(".max"))
}

/// The user an `owner` filter names: `me` is the caller.
pub fn owner_filter(p: &Principal, raw: &str) -> Result<UserId, AppError> {
    if raw == "me" {
        Ok(p.user_id)
    } else {
        UserId::parse(raw).map_err(|_| AppError::invalid("owner", "must be `me` or a user id"))
    }
}

/// `{field: {from, to}}` of the fields that differ between two JSON objects.
pub fn changes(before: &Value, after: &Value) -> serde_json::Map<String, Value> {
    after
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(k, v)| before.get(k.as_str()) != Some(*v))
        .map(|(k, v)| (k.clone(), serde_json::json!({ "from": before.get(k.as_str()), "to": v })))
        .collect()
}

/// Checks that `user` is a user of the tenant (an owner to assign).
pub async fn check_owner(store: &Store, tenant: TenantId, user: Option<UserId>) -> Result<(), AppError> {
    if let Some(u) = user {
        crm_directory::get(store, tenant, u).await?.ok_or_else(|| AppError::invalid("owner_user_id", "is not a user of this tenant"))?;
    }
    Ok(())
}

/// The plan feature custom values of `entity` need.
pub fn custom_fields_feature(entity: &str) -> &'static str {
    match entity {
        "deal" => "deals.customFields",
        "unit" => "units.customFields",
        _ => "contacts.customFields",
    }
}

/// The custom-field values a write leaves on a record of `entity`: the
/// body's `custom_fields` applied to `base` and checked against the active
/// definitions (required ones on create, or whenever custom fields change),
/// the entity's plan feature when any are given, and the unique
/// values claimed (old ones released) in `tx`.
pub async fn custom_values(
    store: &Store,
    p: &Principal,
    entity: &str,
    base: &Values,
    input: Input<Values>,
    creating: bool,
    tx: Tx,
) -> Result<(Values, Tx), AppError> {
    let changes = custom_fields::changes_of(input)?;
    if changes.is_empty() && !creating {
        return Ok((base.clone(), tx));
    }
    if !changes.is_empty() {
        p.entitlements.require_feature(custom_fields_feature(entity))?;
    }
    let defs = custom_fields::definitions(store, p.tenant_id, entity).await?;
    let next = custom_fields::check(&defs, base, &changes)?;
    Ok((next.clone(), unique_values(tx, entity, &defs, base, &next)?))
}

/// Claims in `tx` the unique custom values `next` gains over `base` (label
/// `custom_unique:{code}`), and releases those it loses.
pub fn unique_values(mut tx: Tx, entity: &str, defs: &[Definition], base: &Values, next: &Values) -> Result<Tx, AppError> {
    for d in defs.iter().filter(|d| d.unique) {
        let (old, new) = (base.get(&d.code), next.get(&d.code));
        // Compared as their markers are keyed (trimmed, case and spelling folded): a
        // change of case alone keeps the marker, never deletes and re-puts it in one transaction.
        if old.map(|v| d.value_key(v)) != new.map(|v| d.value_key(v)) {
            if let Some(v) = old {
                tx = tx.delete("custom_release", &d.value_key(v), None);
            }
            if let Some(v) = new {
                tx = tx.put_new(
                    &format!("custom_unique:{}", d.code),
                    crm_store::item::to_item(&d.value_key(v), &serde_json::json!({ "entity": entity }))?,
                );
            }
        }
    }
    Ok(tx)
}

/// `409` for a unique custom value another record holds (a transaction label `custom_unique:{code}`).
pub fn custom_conflict(label: &str) -> Option<AppError> {
    label.strip_prefix("custom_unique:").map(|code| AppError::Conflict(format!("another record has this custom_fields.{code}")))
}

/// The spec's edit rule (contacts, companies, deals, leads): the owner, a manager or an admin may change a
/// record (a record without owner: anyone allowed to edit).
pub fn may_edit(p: &Principal, owner: Option<UserId>) -> bool {
    owner.is_none_or(|o| o == p.user_id) || p.roles.iter().any(|r| matches!(r.as_str(), "super_admin" | "admin" | "manager"))
}

pub fn require_edit(p: &Principal, owner: Option<UserId>) -> Result<(), AppError> {
    if may_edit(p, owner) {
        Ok(())
    } else {
        Err(AppError::Forbidden("only the owner, a manager or an admin may change this record".into()))
    }
}

/// [`require_edit`], and an `If-Match` (when sent) naming the record's `version` (else `412`).
pub fn require_change(p: &Principal, owner: Option<UserId>, if_match: Option<u64>, version: u64) -> Result<(), AppError> {
    require_edit(p, owner)?;
    if if_match.is_some_and(|v| v != version) {
        return Err(AppError::PreconditionFailed);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crm_auth::AuthMethod;

    #[test]
    fn owners_managers_and_admins_edit() {
        let t = TenantId::new();
        let rep = Principal::with_roles(t, UserId::new(), vec!["sales_rep".into()], AuthMethod::AccessToken);
        let boss = Principal::with_roles(t, UserId::new(), vec!["manager".into()], AuthMethod::AccessToken);
        assert!(may_edit(&rep, Some(rep.user_id)));
        assert!(may_edit(&rep, None));
        assert!(!may_edit(&rep, Some(boss.user_id)));
        assert!(may_edit(&boss, Some(rep.user_id)));
    }

    #[test]
    fn only_limit_keys_are_quota_refusals_and_features_follow_the_entity() {
        let p = Principal::with_roles(TenantId::new(), UserId::new(), vec![], AuthMethod::AccessToken);
        assert!(quota_refused(&p, "deals.max").is_some() && quota_refused(&p, "contact").is_none());
        assert!(quota_refused(&p, "sms.monthlyCap").is_none());
        assert_eq!(custom_fields_feature("deal"), "deals.customFields");
        assert_eq!(custom_fields_feature("lead"), "contacts.customFields");
    }
}
