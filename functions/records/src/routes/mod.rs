//! One module per route: `routes/{resource}/{action}.rs`.

pub mod companies;
pub mod contacts;
pub mod custom_fields;
pub mod jobs;
pub mod segments;

use crm_auth::Principal;
use crm_events::{Actor, DomainEvent, Subject};
use crm_http::Call;
use crm_kernel::{AppError, UserId};
use serde_json::Value;

/// A domain event caused by the caller, tagged with the request.
pub(crate) fn event(call: &Call, kind: &str, subject: Subject, data: Value) -> Result<DomainEvent, AppError> {
    let p = call.principal()?;
    Ok(DomainEvent::new(p.tenant_id, kind, Actor::user(p.user_id), subject, data).with_request_id(call.request_id()))
}

/// `contacts.max` / `companies.max`: a create takes one of the tenant's in
/// its own transaction (the label is the limit key), a delete or a merge
/// gives it back.
pub(crate) fn take_quota(tx: crm_store::Tx, p: &Principal, limit: &str) -> crm_store::Tx {
    crm_store::usage::take(tx, limit, p.tenant_id, &quota_counter(limit), p.entitlements.limit(limit))
}

pub(crate) fn release_quota(tx: crm_store::Tx, t: crm_kernel::TenantId, limit: &str) -> crm_store::Tx {
    crm_store::usage::release(tx, &format!("{limit}.release"), t, &quota_counter(limit))
}

/// `422 LIMIT_REACHED` when the failed transaction item was the quota.
pub(crate) fn quota_refused(p: &Principal, label: &str) -> Option<AppError> {
    ["contacts.max", "companies.max"].contains(&label).then(|| p.entitlements.limit_reached(label))
}

fn quota_counter(limit: &str) -> String {
    format!("{}_used", limit.trim_end_matches(".max"))
}

/// The user an `owner` filter names: `me` is the caller.
pub(crate) fn owner_filter(p: &Principal, raw: &str) -> Result<UserId, AppError> {
    if raw == "me" {
        Ok(p.user_id)
    } else {
        UserId::parse(raw).map_err(|_| AppError::invalid("owner", "must be `me` or a user id"))
    }
}

/// `{field: {from, to}}` of the fields that differ between two JSON objects.
pub(crate) fn changes(before: &Value, after: &Value) -> serde_json::Map<String, Value> {
    after
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(k, v)| before.get(k.as_str()) != Some(*v))
        .map(|(k, v)| (k.clone(), serde_json::json!({ "from": before.get(k.as_str()), "to": v })))
        .collect()
}

/// Checks that `user` is a user of the caller's tenant (an owner to assign).
pub(crate) async fn check_owner(app: &crate::App, tenant: crm_kernel::TenantId, user: Option<UserId>) -> Result<(), AppError> {
    if let Some(u) = user {
        app.store
            .get(&crm_store::keys::user(tenant, &u.to_string()))
            .await?
            .ok_or_else(|| AppError::invalid("owner_user_id", "is not a user of this tenant"))?;
    }
    Ok(())
}

/// The custom-field values a write leaves on a record of `entity`: the
/// body's `custom_fields` applied to `base` and checked against the active
/// definitions (required ones on create, or whenever custom fields change),
/// the caller's `contacts.customFields` entitlement when any are given, and the unique
/// values claimed (old ones released) in `tx`.
pub(crate) async fn custom_values(
    app: &crate::App,
    p: &Principal,
    entity: &str,
    base: &crate::custom_fields::Values,
    body: &Value,
    creating: bool,
    tx: crm_store::Tx,
) -> Result<(crate::custom_fields::Values, crm_store::Tx), AppError> {
    use crate::custom_fields::{changes_of, check};
    let changes = changes_of(body)?;
    if changes.is_empty() && !creating {
        return Ok((base.clone(), tx));
    }
    if !changes.is_empty() {
        p.entitlements.require_feature("contacts.customFields")?;
    }
    let t = p.tenant_id;
    let defs = crate::custom_fields::definitions(&app.store, t, entity).await?;
    let next = check(&defs, base, &changes)?;
    Ok((next.clone(), unique_values(tx, entity, &defs, base, &next)?))
}

/// Claims in `tx` the unique custom values `next` gains over `base` (label
/// `custom_unique:{code}`), and releases those it loses.
pub(crate) fn unique_values(
    mut tx: crm_store::Tx,
    entity: &str,
    defs: &[crate::custom_fields::Definition],
    base: &crate::custom_fields::Values,
    next: &crate::custom_fields::Values,
) -> Result<crm_store::Tx, AppError> {
    for d in defs.iter().filter(|d| d.unique) {
        let (old, new) = (base.get(&d.code), next.get(&d.code));
        if old != new {
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
pub(crate) fn custom_conflict(label: &str) -> Option<AppError> {
    label.strip_prefix("custom_unique:").map(|code| AppError::Conflict(format!("another record has this custom_fields.{code}")))
}

/// Making a record private takes `contacts.privateRecords`.
pub(crate) fn check_private(p: &Principal, was: bool, is: bool) -> Result<(), AppError> {
    if is && !was {
        p.entitlements.require_feature("contacts.privateRecords")?;
    }
    Ok(())
}

/// M3CoreCRM §3 visibility: everyone may read; the owner, a manager or an
/// admin may change a record (a record without owner: anyone allowed to edit).
pub fn may_edit(p: &Principal, owner: Option<UserId>) -> bool {
    owner.is_none_or(|o| o == p.user_id) || p.roles.iter().any(|r| matches!(r.as_str(), "super_admin" | "admin" | "manager"))
}

pub(crate) fn require_edit(p: &Principal, owner: Option<UserId>) -> Result<(), AppError> {
    if may_edit(p, owner) {
        Ok(())
    } else {
        Err(AppError::Forbidden("only the owner, a manager or an admin may change this record".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crm_auth::AuthMethod;
    use crm_kernel::TenantId;

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
}
