//! `POST /v1/admin/dictionaries/{dictionary}` `{code, label_en, label_ar,
//! description?, is_active?}` — a tenant's own code
//! (`admin.customDictionaries`), never one the dictionary has already,
//! globally or for the tenant (`409`), at most
//! [`crm_dictionaries::MAX_TENANT_CODES`] per dictionary
//! (`422 LIMIT_REACHED`). `dictionary.code.created`.

use crm_http::{Call, Reply};
use crm_kernel::AppError;

use crate::dictionaries;
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let d = dictionaries::parse(&call.path("dictionary")?)?;
    let entry = crm_dictionaries::create(&app.store, p, d, call.json()?, &super::event_of(&call)?).await?;
    Ok(Reply::created(format!("/v1/admin/dictionaries/{}/{}", d.name, entry.code), entry))
}
