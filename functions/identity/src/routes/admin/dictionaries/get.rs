//! `GET /v1/admin/dictionaries/{dictionary}` — every code of a dictionary:
//! the product's global codes, then the tenant's, active or not, each with
//! its English and Arabic label and where it comes from.

use crm_http::{Call, Reply};
use crm_kernel::AppError;

use crate::dictionaries::{self, Entry};
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let d = dictionaries::parse(&call.path("dictionary")?)?;
    let entries: Vec<Entry> = dictionaries::load(&app.store, call.principal()?.tenant_id, d).await?;
    Ok(Reply::ok(entries))
}
