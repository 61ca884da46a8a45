//! `POST /v1/contacts/export` `{owner?, company?, lifecycle?, search?}` —
//! exports the contacts the same filter lists (the list's own code reads
//! them) to a CSV in the files bucket, as a job; `GET /v1/jobs/{id}` gives
//! its download URL once completed.

use crm_http::{Call, Reply};
use crm_jobs::JobKind;
use crm_kernel::{AppError, Timestamp};

use crate::contacts::list::Filter;
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let mut filter: Filter = call.json()?;
    filter.validate()?;
    if filter.owner.as_deref() == Some("me") {
        filter.owner = Some(p.user_id.to_string());
    }
    let name = format!("contacts-{}.csv", &Timestamp::now().to_string()[..10]);
    crm_jobs::start::export(&app.store, &p, JobKind::ContactsExport, serde_json::to_value(&filter).unwrap_or_default(), &name).await
}
