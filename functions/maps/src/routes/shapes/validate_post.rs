//! `POST /v1/maps/shapes/{id}/validate` — the shape checked again against
//! its overlay as it is now (shapes drawn since, an alignment made since,
//! its component's dimensions changed): a report of every rule it breaks,
//! each with where and a suggested fix, and its measures. Nothing changes.
//! A failing report is sent to the caller's inbox, details and fixes included.

use crm_http::{Call, Reply};
use crm_kernel::AppError;

use crate::advice::Report;
use crate::drawing::{self, Draft};
use crate::{lookup, App};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let t = p.tenant_id;
    let (overlay, shape) = lookup::shape_of(&app.store, &call).await?;
    let layer = drawing::layer_of(&app.store, t, overlay.id, shape.layer_id).await?;
    let result = match drawing::links_of(&app.store, p, &overlay, &shape).await {
        Ok(linked) => {
            drawing::check(
                &app.store,
                &overlay,
                Draft { layer: &layer, kind: shape.kind, geom: &shape.geom_geojson, linked: &linked, except: Some(shape.id) },
            )
            .await
        }
        Err(e) => Err(e),
    };
    let report = match result {
        Ok(placed) => Report { shape_id: shape.id, valid: true, problems: Vec::new(), measures: Some(placed.checked.measures.rounded()) },
        Err(AppError::Validation { details, .. }) => {
            let problems = details.into_iter().map(|d| crate::advice::problem(&d.field, &d.message)).collect();
            Report { shape_id: shape.id, valid: false, problems, measures: None }
        }
        Err(e) => return Err(e),
    };
    if !report.valid {
        crate::notices::validation_failed(app, &call, &overlay, &shape, &report.problems).await;
    }
    Ok(Reply::ok(report))
}
