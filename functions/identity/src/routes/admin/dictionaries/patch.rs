//! `PATCH /v1/admin/dictionaries/{dictionary}/{code}` `{label_en?,
//! label_ar?, is_active?}` — a tenant's own code relabelled or
//! (de)activated (`admin.customDictionaries`); a deactivated code stays on
//! the users who have it but is given to no one more. The product's global
//! codes are not the tenant's to change (`403`). `If-Match` honoured;
//! `dictionary.code.updated` with the changes.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, Timestamp};
use crm_store::tx::Condition;
use crm_store::{StoreError, Tx};
use serde_json::{json, Map, Value};

use crate::dictionaries::{self, Dictionary, Entry, EntryChanges, Source};
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    p.entitlements.require_feature("admin.customDictionaries")?;
    let d = Dictionary::parse(&call.path("dictionary")?)?;
    let code = call.path("code")?;
    let all = dictionaries::load(&app.store, p.tenant_id, d).await?;
    let current = all.iter().find(|e| e.code == code).ok_or(AppError::NotFound)?;
    if current.source == Source::Global {
        return Err(AppError::Forbidden("a global code is the product's; add a code of your own instead".into()));
    }
    if call.if_match()?.is_some_and(|v| v != current.version) {
        return Err(AppError::PreconditionFailed);
    }
    let next = Entry::apply(Some(current), call.json::<EntryChanges>()?, Timestamp::now())?;
    let (was, will) = (serde_json::to_value(current).unwrap_or_default(), serde_json::to_value(&next).unwrap_or_default());
    let changes: Map<String, Value> = ["label_en", "label_ar", "is_active"]
        .iter()
        .filter(|k| was[**k] != will[**k])
        .map(|k| (k.to_string(), json!({ "from": was[*k], "to": will[*k] })))
        .collect();
    if changes.is_empty() {
        return Ok(Reply::ok(current.clone()).etag(current.version));
    }
    let event = super::super::super::event(
        &call,
        p.tenant_id,
        crm_events::types::DICTIONARY_CODE_UPDATED,
        p.user_id,
        super::subject(d, &code),
        json!({ "dictionary": d, "code": code, "changes": changes }),
    );
    let tx = Tx::new().put_if("entry", next.to_item(p.tenant_id, d)?, Condition::version_is(current.version)).emit_audited(&event);
    match app.store.transact(tx).await {
        Ok(()) => Ok(Reply::ok(next.clone()).etag(next.version)),
        Err(StoreError::ConditionFailed { .. }) => Err(AppError::PreconditionFailed),
        Err(e) => Err(e.into()),
    }
}
