//! `POST /v1/units/export` `{project?, building?, type?, status?, min_price?,
//! max_price?, bedrooms?, min_size?, max_size?}` — the units the same
//! `GET /v1/units` filter finds, as a CSV job (`units.bulkEdit`);
//! `GET /v1/jobs/{id}` gives its download once completed. The columns are
//! [`crate::unit_export`]'s.

use crm_http::{Call, Reply};
use crm_jobs::JobKind;
use crm_kernel::{AppError, Timestamp};

use crate::finding::UnitFilter;
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    p.entitlements.require_feature("units.bulkEdit")?;
    let filter: UnitFilter = call.json()?;
    filter.validate()?;
    let name = format!("units-{}.csv", &Timestamp::now().to_string()[..10]);
    let filter = serde_json::to_value(&filter).map_err(|e| AppError::Internal(e.to_string()))?;
    crm_jobs::start::export(&app.store, p, JobKind::UnitsExport, filter, &name).await
}
