//! The records context's jobs worker (`HANDLER=jobs`, on the jobs queue,
//! whose rule routes it the `job.queued` and `job.continue` events of its
//! kinds): contacts and leads imports on the shared engine
//! ([`crm_jobs::worker`]), and contacts exports.

use crm_events::consumer::ConsumerError;
use crm_events::DomainEvent;
use crm_jobs::worker::{self, Fatal, Worker};
use crm_jobs::{Job, JobKind};
use crm_kernel::Limit;

use crate::contact_import::ContactRows;
use crate::lead_import::LeadRows;
use crate::{csv_rows, App};

pub const CONSUMER: &str = "jobs";

/// Handles one event of the jobs queue.
pub async fn handle(app: &App, e: DomainEvent) -> Result<(), ConsumerError> {
    let w = Worker { store: &app.store, files: &app.files, pace: &app.pace };
    let Some(job) = worker::take(&w, &e, "records").await? else { return Ok(()) };
    let outcome = match job.kind {
        JobKind::ContactsImport => worker::run_import::<ContactRows>(&w, app, job.clone()).await,
        JobKind::LeadsImport => worker::run_import::<LeadRows>(&w, app, job.clone()).await,
        JobKind::ContactsExport => run_export(app, &w, job.clone()).await,
        // Not this context's: `take` hands over only the records kinds.
        JobKind::UnitsImport | JobKind::UnitsExport | JobKind::MapShapesImport => Ok(()),
    };
    worker::settle(&w, &job, outcome).await
}

/// A contacts export: the list's own pages, without the columns of the
/// fields its creator may not read.
async fn run_export(app: &App, w: &Worker<'_>, job: Job) -> Result<(), Fatal> {
    let filter: crate::contacts::list::Filter =
        serde_json::from_value(job.filter.clone()).map_err(|e| Fatal(Some(format!("bad filter: {e}"))))?;
    let p = job.viewer();
    let hidden = crm_auth::sensitive::hidden(&p, crm_auth::sensitive::CONTACT);
    let page = |cursor| crate::contacts::list::page(app, &p, &filter, Limit::max(), cursor);
    worker::run_export(w, job, page, |contacts, first| csv_rows::export(contacts, first, &hidden)).await
}
