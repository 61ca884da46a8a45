//! `POST /v1/leads/import` `{filename?, dry_run?}` — a leads CSV import
//! through the import jobs (the spec: "CSV import with preview"; ADR 0012): a job
//! waiting for its file and a presigned URL to `PUT` the CSV to; then
//! `POST /v1/jobs/{id}/start` and `GET /v1/jobs/{id}`. `dry_run` is the
//! preview: every row checked, duplicates (of contacts, companies and
//! earlier leads) listed, nothing written. Plan feature `leads.import`.

use crm_http::{Call, Reply};
use crm_kernel::AppError;

use crate::App;
use crm_jobs::JobKind;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    call.principal()?.entitlements.require_feature("leads.import")?;
    crm_jobs::start::import(&app.store, &app.files, &call, JobKind::LeadsImport, "leads.csv").await
}
