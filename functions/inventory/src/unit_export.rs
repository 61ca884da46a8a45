//! Units as CSV (`POST /v1/units/export`): the units a `GET /v1/units`
//! filter finds ([`crate::finding`]), a page at a time, written to the
//! files bucket for `GET /v1/jobs/{id}`'s download. The columns are the
//! import's ([`crate::unit_import::COLUMNS`]) after the unit's `id` and
//! `project_id`, then its `status` and `created_at`; a file trimmed to the
//! import's columns imports again. Cells a spreadsheet would run as a
//! formula are quoted (`crm_kernel::spreadsheet`).

use crm_inventory::unit::Unit;
use crm_jobs::worker::{self, Fatal, Worker};
use crm_jobs::Job;
use crm_kernel::{AppError, Limit};

use crate::finding::UnitFilter;
use crate::unit_import::COLUMNS;

/// The export's header: the unit's ids, the import's columns, then what only the unit's routes change.
pub fn header() -> Vec<&'static str> {
    ["id", "project_id"].into_iter().chain(COLUMNS.iter().copied()).chain(["status", "created_at"]).collect()
}

/// A unit's cells, in [`header`]'s order.
fn cells(u: &Unit) -> Vec<String> {
    let f = &u.fields;
    let opt = |v: Option<String>| v.unwrap_or_default();
    let num = |v: Option<f64>| v.map(|n| n.to_string()).unwrap_or_default();
    vec![
        u.id.to_string(),
        u.project_id.to_string(),
        u.building_id.to_string(),
        f.code.clone(),
        opt(f.name.clone()),
        opt(f.floor.map(|n| n.to_string())),
        f.unit_type_code.clone(),
        num(f.size_sqm),
        opt(f.bedrooms.map(|n| n.to_string())),
        opt(f.bathrooms.map(|n| n.to_string())),
        opt(f.view.clone()),
        opt(f.virtual_tour_url.clone()),
        num(f.length_m),
        num(f.width_m),
        num(f.height_m),
        opt(f.owner_user_id.map(|u| u.to_string())),
        u.price.to_string(),
        u.currency.code().to_string(),
        u.status.as_str().to_string(),
        u.created_at.to_string(),
    ]
}

/// The file's lines for `units` (the header first when `with_header`).
pub fn lines(units: &[Unit], with_header: bool) -> Result<Vec<u8>, AppError> {
    let err = |e: csv::Error| AppError::Internal(e.to_string());
    let mut w = csv::Writer::from_writer(Vec::new());
    if with_header {
        w.write_record(header()).map_err(err)?;
    }
    for u in units {
        w.write_record(cells(u).iter().map(|c| crm_kernel::spreadsheet::safe_cell(c).into_owned())).map_err(err)?;
    }
    w.into_inner().map_err(|e| AppError::Internal(e.to_string()))
}

/// Runs a units export job: every page of its filter.
pub async fn run(w: &Worker<'_>, job: Job) -> Result<(), Fatal> {
    let filter: UnitFilter = serde_json::from_value(job.filter.clone()).map_err(|e| Fatal(Some(format!("bad filter: {e}"))))?;
    let t = job.tenant_id;
    worker::run_export(w, job, |cursor| crate::finding::page(w.store, t, &filter, Limit::max(), cursor), lines).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_holds_every_import_column_between_the_ids_and_the_status() {
        let h = header();
        assert_eq!(&h[..2], &["id", "project_id"]);
        assert_eq!(&h[2..h.len() - 2], COLUMNS);
        assert_eq!(&h[h.len() - 2..], &["status", "created_at"]);
    }
}
