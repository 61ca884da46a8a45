//! The maps context's jobs worker (`HANDLER=map_jobs`, on its own queue,
//! whose rule routes it the `job.queued` and `job.continue` events of the
//! map shapes imports): a GeoJSON file's shapes, on the shared jobs engine
//! ([`crm_jobs::worker`], [`crate::import_job`]).

use crm_events::consumer::ConsumerError;
use crm_events::DomainEvent;
use crm_jobs::worker::{self, Worker};
use crm_jobs::JobKind;

use crate::App;

pub const CONSUMER: &str = "map_jobs";

/// Handles one event of the map jobs queue.
pub async fn handle(app: &App, e: DomainEvent) -> Result<(), ConsumerError> {
    let w = Worker { store: &app.store, files: &app.files, pace: &app.pace };
    let Some(job) = worker::take(&w, &e, "maps").await? else { return Ok(()) };
    let outcome = match job.kind {
        JobKind::MapShapesImport => crate::import_job::run(app, &w, job.clone()).await,
        // Not this context's: `take` hands over only the maps kinds.
        JobKind::ContactsImport | JobKind::ContactsExport | JobKind::LeadsImport | JobKind::UnitsImport | JobKind::UnitsExport => Ok(()),
    };
    worker::settle(&w, &job, outcome).await
}
