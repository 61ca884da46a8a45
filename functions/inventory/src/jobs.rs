//! The inventory context's jobs worker (`HANDLER=unit_jobs`, on its own
//! queue, whose rule routes it the `job.queued` and `job.continue` events
//! of the units kinds): units imports on the shared engine
//! ([`crm_jobs::worker`], [`crate::unit_import`]) and units exports
//! ([`crate::unit_export`]).

use crm_events::consumer::ConsumerError;
use crm_events::DomainEvent;
use crm_jobs::worker::{self, Worker};
use crm_jobs::JobKind;

use crate::unit_import::UnitRows;
use crate::App;

pub const CONSUMER: &str = "unit_jobs";

/// Handles one event of the unit jobs queue.
pub async fn handle(app: &App, e: DomainEvent) -> Result<(), ConsumerError> {
    let w = Worker { store: &app.store, files: &app.files, pace: &app.pace };
    let Some(job) = worker::take(&w, &e, "inventory").await? else { return Ok(()) };
    let outcome = match job.kind {
        JobKind::UnitsImport => worker::run_import::<UnitRows>(&w, app, job.clone()).await,
        JobKind::UnitsExport => crate::unit_export::run(&w, job.clone()).await,
        // Not this context's: `take` hands over only the units kinds.
        JobKind::ContactsImport | JobKind::ContactsExport | JobKind::LeadsImport | JobKind::MapShapesImport => Ok(()),
    };
    worker::settle(&w, &job, outcome).await
}
