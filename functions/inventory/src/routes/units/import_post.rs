//! `POST /v1/units/import` `{filename?, dry_run?}` — a units CSV import
//! through the import jobs (the spec: "CSV import/export … plan-gated";
//! `units.bulkEdit`): a job waiting for its file and a presigned `POST` form
//! for the CSV; then `POST /v1/jobs/{id}/start` queues it and
//! `GET /v1/jobs/{id}` follows it. `dry_run` checks every row and previews
//! the duplicates without writing anything. The columns are
//! [`crate::unit_import`]'s.

use crm_http::{Call, Reply};
use crm_jobs::JobKind;
use crm_kernel::AppError;

use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    call.principal()?.entitlements.require_feature("units.bulkEdit")?;
    crm_jobs::start::import(&app.store, &app.files, &call, JobKind::UnitsImport, "units.csv").await
}
