//! Reading a dictionary and changing a tenant's codes: what the admin
//! routes of every context that owns a dictionary share.

use crm_auth::Principal;
use crm_events::audit::AuditExt;
use crm_events::{DomainEvent, EventType, Subject};
use crm_kernel::{AppError, Limit, TenantId, Timestamp};
use crm_store::tx::Condition;
use crm_store::{item, keys, usage, Query, Store, StoreError, Tx};
use serde_json::{json, Map, Value};

use crate::entry::{Dictionary, Entry, EntryChanges, Source};

/// Most codes a tenant adds to one dictionary.
pub const MAX_TENANT_CODES: i64 = 200;

/// How the calling route builds its events (identity adds the client's
/// address; others take [`DomainEvent::caused_by`]'s shape).
pub type MakeEvent<'a> = &'a (dyn Fn(EventType, Subject, Value) -> DomainEvent + Sync);

/// Every code of `d` for tenant `t`: the global ones, then the tenant's.
pub async fn load(store: &Store, t: TenantId, d: &Dictionary) -> Result<Vec<Entry>, AppError> {
    let mut out: Vec<Entry> = d.globals().collect();
    let mut cursor = None;
    loop {
        let page = store.query(Query::table(t, keys::dictionary_pk(t, d.name)).limit(Limit::max()).after(cursor)).await?;
        out.extend(page.items.into_iter().map(item::from_item::<Entry>).collect::<Result<Vec<_>, _>>()?);
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return Ok(out),
        }
    }
}

/// Whether `code` may be written: an active code of `entries`.
pub fn check(entries: &[Entry], code: &str) -> Result<(), String> {
    match entries.iter().find(|e| e.code == code) {
        Some(e) if e.is_active => Ok(()),
        Some(_) => Err(format!("`{code}` is no longer in use")),
        None => Err(format!("`{code}` is not a code of the dictionary")),
    }
}

/// A tenant's own code (`d.feature`), never one the dictionary has already,
/// globally or for the tenant (`409`), at most [`MAX_TENANT_CODES`]
/// (`422 LIMIT_REACHED`). `dictionary.code.created`.
pub async fn create(store: &Store, p: &Principal, d: &Dictionary, c: EntryChanges, event: MakeEvent<'_>) -> Result<Entry, AppError> {
    p.entitlements.require_feature(d.feature)?;
    let entry = Entry::apply(d, None, c, Timestamp::now())?;
    if load(store, p.tenant_id, d).await?.iter().any(|e| e.code == entry.code) {
        return Err(AppError::Conflict(format!("`{}` is a code of {} already", entry.code, d.name)));
    }
    let data = json!({
        "dictionary": d.name, "code": entry.code, "label_en": entry.label_en, "label_ar": entry.label_ar, "is_active": entry.is_active,
    });
    let e = event(crm_events::types::DICTIONARY_CODE_CREATED, d.subject(&entry.code), data);
    let tx = Tx::new().put_new("entry", entry.to_item(p.tenant_id, d)?).emit_audited(&e);
    let tx = usage::take(tx, "codes_max", p.tenant_id, &format!("{}_used", d.name), MAX_TENANT_CODES);
    match store.transact(tx).await {
        Ok(()) => Ok(entry),
        Err(StoreError::ConditionFailed { label }) if label == "entry" => {
            Err(AppError::Conflict(format!("`{}` exists already", entry.code)))
        }
        Err(StoreError::ConditionFailed { label }) if label == "codes_max" => {
            Err(AppError::LimitReached { key: format!("{}.max", d.name), limit: MAX_TENANT_CODES })
        }
        Err(e) => Err(e.into()),
    }
}

/// A tenant's own code relabelled or (de)activated (`d.feature`): a
/// deactivated code stays on the records that have it but is written on no
/// new one. The product's global codes are not the tenant's to change
/// (`403`). `if_match` honoured (`412`); `dictionary.code.updated` with the
/// changes, nothing when nothing changes.
pub async fn update(
    store: &Store,
    p: &Principal,
    d: &Dictionary,
    code: &str,
    if_match: Option<u64>,
    c: EntryChanges,
    event: MakeEvent<'_>,
) -> Result<Entry, AppError> {
    p.entitlements.require_feature(d.feature)?;
    let all = load(store, p.tenant_id, d).await?;
    let current = all.iter().find(|e| e.code == code).ok_or(AppError::NotFound)?;
    if current.source == Source::Global {
        return Err(AppError::Forbidden("a global code is the product's; add a code of your own instead".into()));
    }
    if if_match.is_some_and(|v| v != current.version) {
        return Err(AppError::PreconditionFailed);
    }
    let next = Entry::apply(d, Some(current), c, Timestamp::now())?;
    let (was, will) = (serde_json::to_value(current).unwrap_or_default(), serde_json::to_value(&next).unwrap_or_default());
    let changes: Map<String, Value> = ["label_en", "label_ar", "description", "is_active"]
        .iter()
        .filter(|k| was.get(**k) != will.get(**k))
        .map(|k| (k.to_string(), json!({ "from": was.get(*k), "to": will.get(*k) })))
        .collect();
    if changes.is_empty() {
        return Ok(current.clone());
    }
    let e = event(
        crm_events::types::DICTIONARY_CODE_UPDATED,
        d.subject(code),
        json!({ "dictionary": d.name, "code": code, "changes": changes }),
    );
    let tx = Tx::new().put_if("entry", next.to_item(p.tenant_id, d)?, Condition::version_is(current.version)).emit_audited(&e);
    match store.transact(tx).await {
        Ok(()) => Ok(next),
        Err(StoreError::ConditionFailed { .. }) => Err(AppError::PreconditionFailed),
        Err(e) => Err(e.into()),
    }
}

/// `DELETE` of a tenant's code: codes are never removed (records and
/// analytics keep naming them); it is retired, as `is_active: false` does.
pub async fn retire(
    store: &Store,
    p: &Principal,
    d: &Dictionary,
    code: &str,
    if_match: Option<u64>,
    event: MakeEvent<'_>,
) -> Result<Entry, AppError> {
    let off = EntryChanges { is_active: crm_kernel::fields::Input::Given(false), ..Default::default() };
    update(store, p, d, code, if_match, off, event).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::CodeStyle;

    #[test]
    fn only_an_active_code_is_written() {
        let d = Dictionary { name: "x_codes", global: &[("a1", "A", "أ")], style: CodeStyle::Snake, feature: "f" };
        let mut entries: Vec<Entry> = d.globals().collect();
        let old = EntryChanges {
            code: crm_kernel::fields::Input::Given("old_title".into()),
            label_en: crm_kernel::fields::Input::Given("Old".into()),
            label_ar: crm_kernel::fields::Input::Given("قديم".into()),
            is_active: crm_kernel::fields::Input::Given(false),
            ..Default::default()
        };
        entries.push(Entry::apply(&d, None, old, Timestamp::now()).unwrap());
        assert!(check(&entries, "a1").is_ok());
        assert!(check(&entries, "old_title").unwrap_err().contains("no longer"));
        assert!(check(&entries, "nothing").unwrap_err().contains("not a code"));
    }
}
