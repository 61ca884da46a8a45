//! `POST /v1/admin/dictionaries/{dictionary}` `{code, label_en, label_ar,
//! is_active?}` — a tenant's own code (`admin.customDictionaries`), never
//! one the dictionary has already, globally or for the tenant (`409`), at
//! most [`crate::dictionaries::MAX_TENANT_CODES`] per dictionary
//! (`422 LIMIT_REACHED`). `dictionary.code.created`.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, Timestamp};
use crm_store::{usage, StoreError, Tx};
use serde_json::json;

use crate::dictionaries::{self, Dictionary, Entry, EntryChanges, MAX_TENANT_CODES};
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    p.entitlements.require_feature("admin.customDictionaries")?;
    let d = Dictionary::parse(&call.path("dictionary")?)?;
    let entry = Entry::apply(None, call.json::<EntryChanges>()?, Timestamp::now())?;
    if dictionaries::load(&app.store, p.tenant_id, d).await?.iter().any(|e| e.code == entry.code) {
        return Err(AppError::Conflict(format!("`{}` is a code of {} already", entry.code, d.as_str())));
    }
    let data = json!({ "dictionary": d, "code": entry.code, "label_en": entry.label_en, "label_ar": entry.label_ar, "is_active": entry.is_active });
    let event = super::super::super::event(
        &call,
        p.tenant_id,
        crm_events::types::DICTIONARY_CODE_CREATED,
        p.user_id,
        super::subject(d, &entry.code),
        data,
    );
    let tx = Tx::new().put_new("entry", entry.to_item(p.tenant_id, d)?).emit_audited(&event);
    let tx = usage::take(tx, "codes_max", p.tenant_id, &format!("{}_used", d.as_str()), MAX_TENANT_CODES);
    match app.store.transact(tx).await {
        Ok(()) => Ok(Reply::created(format!("/v1/admin/dictionaries/{}/{}", d.as_str(), entry.code), entry)),
        Err(StoreError::ConditionFailed { label }) if label == "entry" => {
            Err(AppError::Conflict(format!("`{}` exists already", entry.code)))
        }
        Err(StoreError::ConditionFailed { label }) if label == "codes_max" => {
            Err(AppError::LimitReached { key: format!("{}.max", d.as_str()), limit: MAX_TENANT_CODES })
        }
        Err(e) => Err(e.into()),
    }
}
