//! `POST /v1/contacts/import` `{filename?, dry_run?}` — starts a contacts
//! import: a job waiting for its file and a presigned `POST` form for the CSV
//! (its policy holds the key, `text/csv` and the size limit)
//! to (15 minutes; `content-type: text/csv`). Then `POST /v1/jobs/{id}/start`
//! queues it and `GET /v1/jobs/{id}` follows it. `dry_run` checks every row
//! and previews duplicates without writing anything.

use crm_http::{Call, Reply};
use crm_kernel::AppError;

use crate::App;
use crm_jobs::JobKind;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    crm_jobs::start::import(&app.store, &app.files, &call, JobKind::ContactsImport, "contacts.csv").await
}
