//! `PATCH /v1/admin/dictionaries/{dictionary}/{code}` `{label_en?,
//! label_ar?, description?, is_active?}` — a tenant's own code relabelled or
//! (de)activated (`admin.customDictionaries`); a deactivated code stays on
//! the users who have it but is given to no one more. The product's global
//! codes are not the tenant's to change (`403`). `If-Match` honoured;
//! `dictionary.code.updated` with the changes.

use crm_http::{Call, Reply};
use crm_kernel::AppError;

use crate::dictionaries;
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let d = dictionaries::parse(&call.path("dictionary")?)?;
    let code = call.path("code")?;
    let entry = crm_dictionaries::update(&app.store, p, d, &code, call.if_match()?, call.json()?, &super::event_of(&call)?).await?;
    let version = entry.version;
    Ok(Reply::ok(entry).etag(version))
}
