//! The jobs worker (`HANDLER=jobs`, on the jobs queue): `job.queued` and
//! `job.continue` events run an import or an export. One delivery works
//! for at most [`RUN_BUDGET`] (`JOB_RUN_BUDGET_SECS`), checkpointing the job after every chunk; if
//! rows remain then, the checkpoint also emits `job.continue` (through the
//! outbox, in the same transaction) and the next delivery goes on — no
//! invocation nears the 15-minute Lambda limit, and a crash resumes from
//! the last checkpoint.
//!
//! `FAULT_IMPORT_CRASH_AFTER_ROWS` (the `fault-injection` feature, which
//! only the e2e tests enable: [`crate::App::crash_import_after`]) makes a job's first
//! delivery fail after writing that many rows but before checkpointing
//! them — the crash the retry must survive.

use crm_events::audit::AuditExt;
use crm_events::consumer::ConsumerError;
use crm_events::outbox::EmitExt;
use crm_events::{Actor, DomainEvent, Subject};
use crm_kernel::{AppError, EntityId, Limit, Timestamp};
use crm_store::tx::Condition;
use crm_store::{StoreError, Tx};
use serde_json::json;

use crate::contact_import::ContactRows;
use crate::job::{Job, JobKind, JobStatus};
use crate::lead_import::LeadRows;
use crate::{csv_rows, csv_stream, import, App};

pub const CONSUMER: &str = "jobs";
/// How long one delivery works before handing over to the next (the
/// function may run 15 minutes; a chunk takes well under a second).
/// `JOB_RUN_BUDGET_SECS` changes it (tests: seconds, to exercise hand-overs).
pub const RUN_BUDGET: std::time::Duration = std::time::Duration::from_secs(600);

fn failed(e: impl std::fmt::Display) -> ConsumerError {
    ConsumerError::Failed(e.to_string())
}

pub fn event(job: &Job, kind: crm_events::EventType, data: serde_json::Value) -> DomainEvent {
    DomainEvent::new(job.tenant_id, kind, Actor::user(job.created_by), Subject { kind: "job".into(), id: job.id.to_string() }, data)
}

/// Handles one event of the jobs queue.
pub async fn handle(app: &App, e: DomainEvent) -> Result<(), ConsumerError> {
    if !(e.is(crm_events::types::JOB_QUEUED) || e.is(crm_events::types::JOB_CONTINUE)) {
        return Ok(());
    }
    let id = EntityId::parse(&e.subject.id).map_err(|_| ConsumerError::Unreadable("job id".into()))?;
    let Some(job) = app.store.get_as::<Job>(&Job::key(e.tenant_id, id)).await? else { return Ok(()) };
    if !matches!(job.status, JobStatus::Queued | JobStatus::Running) {
        return Ok(());
    }
    let job = match claim(app, job).await? {
        Some(j) => j,
        None => return Ok(()),
    };
    let outcome = match job.kind {
        JobKind::ContactsImport | JobKind::LeadsImport => run_import(app, job.clone()).await,
        JobKind::ContactsExport => run_export(app, job.clone()).await,
    };
    match outcome {
        Ok(()) => Ok(()),
        // A bad file fails the job for good; anything else is retried.
        Err(Fatal(Some(msg))) => finish_failed(app, job.id, job.tenant_id, &msg).await,
        Err(Fatal(None)) => Err(failed("the job will be retried")),
    }
}

/// Takes the job for this delivery: a queued job becomes `running` (once,
/// under its version); a running one — a redelivery after a crash, or a
/// second delivery while the first still works — just counts the attempt
/// and joins in: rows are written idempotently and each chunk is accounted
/// by exactly one checkpoint (see [`run_import`]).
async fn claim(app: &App, job: Job) -> Result<Option<Job>, ConsumerError> {
    let key = Job::key(job.tenant_id, job.id);
    if job.status == JobStatus::Queued {
        let next = Job {
            status: JobStatus::Running,
            attempts: job.attempts + 1,
            version: job.version + 1,
            updated_at: Timestamp::now(),
            ..job.clone()
        };
        return match app.store.transact(Tx::new().put_if("job", next.to_item()?, Condition::version_is(job.version))).await {
            Ok(()) => Ok(Some(next)),
            Err(StoreError::ConditionFailed { .. }) => match app.store.get_as::<Job>(&key).await? {
                Some(j) if j.status == JobStatus::Running => Box::pin(claim(app, j)).await,
                _ => Ok(None),
            },
            Err(e) => Err(e.into()),
        };
    }
    let running = Condition::eq("status", crm_store::AttributeValue::S("running".into()));
    match app.store.transact(Tx::new().add("attempt", &key, &[("attempts", 1)], running)).await {
        Ok(()) => Ok(Some(Job { attempts: job.attempts + 1, ..job })),
        Err(StoreError::ConditionFailed { .. }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// `Some(message)`: the job cannot succeed; `None`: retry the delivery.
struct Fatal(Option<String>);

impl From<AppError> for Fatal {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Validation { details, .. } if !details.is_empty() => {
                let each: Vec<String> = details.iter().map(|d| format!("{}: {}", d.field, d.message)).collect();
                Fatal(Some(each.join("; ")))
            }
            AppError::Validation { message, .. } => Fatal(Some(message)),
            other => {
                tracing::warn!(error = %other, "job delivery failed; it will be retried");
                Fatal(None)
            }
        }
    }
}

impl From<StoreError> for Fatal {
    fn from(e: StoreError) -> Self {
        Fatal::from(AppError::from(e))
    }
}

async fn finish_failed(app: &App, id: EntityId, t: crm_kernel::TenantId, message: &str) -> Result<(), ConsumerError> {
    let Some(job) = app.store.get_as::<Job>(&Job::key(t, id)).await? else { return Ok(()) };
    let now = Timestamp::now();
    let next = Job {
        status: JobStatus::Failed,
        failure: Some(message.to_string()),
        finished_at: Some(now),
        updated_at: now,
        version: job.version + 1,
        ..job.clone()
    };
    let ev = event(&next, crm_events::types::JOB_FAILED, json!({ "kind": next.kind, "failure": message }));
    app.store.transact(Tx::new().put_if("job", next.to_item()?, Condition::version_is(job.version)).emit_audited(&ev)).await.map_err(failed)
}

async fn run_import(app: &App, mut job: Job) -> Result<(), Fatal> {
    // The version the job was started with, streamed (never whole in
    // memory), its size checked again: a first pass reads the header and
    // counts the rows (the row limit is all or nothing), a second imports.
    // The version the job was started with, streamed, its size checked again.
    let (counting, head) = csv_stream::Rows::open(reopen(app, &job)).await.map_err(bad_file)?;
    let Some(head) = head else { return Err(Fatal(Some("the file is empty".into()))) };
    let total = counting.count(csv_rows::MAX_ROWS).await.map_err(bad_file)? as u32;
    let defs: Vec<_> =
        crate::custom_fields::definitions(&app.store, job.tenant_id, job.kind.entity()).await?.into_iter().filter(|d| d.active).collect();
    let leads = job.kind == JobKind::LeadsImport;
    let columns = if leads { import::header::<LeadRows>(&head, &defs)? } else { import::header::<ContactRows>(&head, &defs)? };
    if !job.custom_fields_allowed && columns.iter().any(|c| c.starts_with(csv_rows::CUSTOM)) {
        return Err(Fatal(Some("custom.{code} columns need the contacts.customFields feature, which the plan lacks".into())));
    }
    job.total_rows = Some(total);
    let (mut rows, _) = csv_stream::Rows::open(reopen(app, &job)).await.map_err(bad_file)?;
    let crash_after = app.crash_import_after();
    let mut done_here = 0;
    let began = std::time::Instant::now();
    loop {
        let start = job.next_row;
        let end = (start + import::CHUNK as u32 - 1).min(total);
        if start > total {
            break;
        }
        let records = rows.take(start, end).await.map_err(bad_file)?;
        let outcome = if leads {
            let rows = records.iter().map(|(r, rec)| (*r, import::parse_row::<LeadRows>(&columns, &defs, rec))).collect();
            import::chunk::<LeadRows>(app, &job, &defs, rows).await?
        } else {
            let rows = records.iter().map(|(r, rec)| (*r, import::parse_row::<ContactRows>(&columns, &defs, rec))).collect();
            import::chunk::<ContactRows>(app, &job, &defs, rows).await?
        };
        done_here += end - start + 1;
        if crash_after.is_some_and(|n| job.attempts == 1 && done_here >= n) {
            tracing::warn!(job_id = %job.id, rows = done_here, "FAULT_IMPORT_CRASH_AFTER_ROWS: crashing before the checkpoint");
            return Err(Fatal(None));
        }
        let c = &mut job.counts;
        c.processed += outcome.counts.processed;
        c.created += outcome.counts.created;
        c.duplicates += outcome.counts.duplicates;
        c.failed += outcome.counts.failed;
        job.report(outcome.errors, outcome.duplicates);
        job.next_row = end + 1;
        let finished = job.next_row > total;
        let hand_over = !finished && began.elapsed() >= app.job_run_budget;
        match checkpoint(app, &mut job, finished, hand_over).await {
            Ok(()) if finished || hand_over => return Ok(()),
            Ok(()) => {}
            // Another delivery checkpointed first: its count stands, ours is dropped; go on from there.
            Err(Fatal(None)) => {
                let attempts = job.attempts;
                match app.store.get_as::<Job>(&Job::key(job.tenant_id, job.id)).await? {
                    Some(j) if j.status == JobStatus::Running => job = Job { attempts, ..j },
                    _ => return Ok(()),
                }
            }
            Err(e) => return Err(e),
        }
    }
    checkpoint(app, &mut job, true, false).await
}

/// Opens the job's pinned upload (each pass, and each return to an earlier row).
fn reopen<'a>(app: &'a App, job: &Job) -> csv_stream::Opener<'a> {
    let (key, version) = (job.object_key.clone(), job.object_version.clone());
    Box::new(move || {
        let (files, key, version) = (app.files.clone(), key.clone(), version.clone());
        Box::pin(async move {
            let body = files.open(&key, version.as_deref(), csv_rows::MAX_BYTES).await?;
            Ok(Box::new(body) as csv_stream::Body)
        })
    })
}

/// A file that cannot be imported fails the job for good, naming why.
fn bad_file(e: AppError) -> Fatal {
    match e {
        AppError::Unavailable(_) | AppError::Internal(_) => Fatal::from(e),
        AppError::PayloadTooLarge { limit } => Fatal(Some(format!("the file is larger than {limit} bytes"))),
        other => Fatal(Some(other.public_message())),
    }
}

/// Writes the job's progress under its version; when `finished` it is
/// completed (`contacts.imported`, audited), when `hand_over` the next
/// delivery is asked for (`job.continue`).
async fn checkpoint(app: &App, job: &mut Job, finished: bool, hand_over: bool) -> Result<(), Fatal> {
    let read = job.version;
    let now = Timestamp::now();
    job.version += 1;
    job.updated_at = now;
    let mut tx = Tx::new();
    if finished {
        job.status = JobStatus::Completed;
        job.finished_at = Some(now);
        let kind = match job.kind {
            JobKind::ContactsImport => crm_events::types::CONTACTS_IMPORTED,
            JobKind::ContactsExport => crm_events::types::CONTACTS_EXPORTED,
            JobKind::LeadsImport => crm_events::types::LEADS_IMPORTED,
        };
        tx = tx.emit_audited(&event(job, kind, json!({ "job_id": job.id, "counts": job.counts, "dry_run": job.dry_run })));
    } else if hand_over {
        tx = tx.emit(&event(job, crm_events::types::JOB_CONTINUE, json!({ "next_row": job.next_row })));
    }
    match app.store.transact(tx.put_if("job", job.to_item()?, Condition::version_is(read))).await {
        Ok(()) => Ok(()),
        Err(StoreError::ConditionFailed { .. }) => Err(Fatal(None)),
        Err(e) => Err(e.into()),
    }
}

async fn run_export(app: &App, mut job: Job) -> Result<(), Fatal> {
    let filter: crate::contacts::list::Filter =
        serde_json::from_value(job.filter.clone()).map_err(|e| Fatal(Some(format!("bad filter: {e}"))))?;
    let mut p = crm_auth::Principal::with_roles(job.tenant_id, job.created_by, job.viewer_roles.clone(), crm_auth::AuthMethod::AccessToken);
    p.scope = job.viewer_scope.clone();
    if !job.viewer_permissions.is_empty() {
        p.permissions = job.viewer_permissions.clone();
    }
    let hidden = crm_auth::sensitive::hidden(&p, crm_auth::sensitive::CONTACT);
    let mut cursor = None;
    let mut out = Vec::new();
    let mut first = true;
    loop {
        let (page, next) = crate::contacts::list::page(app, &p, &filter, Limit::max(), cursor).await?;
        out.extend(csv_rows::export(&page, first, &hidden)?);
        first = false;
        job.counts.exported += page.len() as u32;
        if next.is_none() || job.counts.exported as usize >= csv_rows::MAX_ROWS {
            break;
        }
        cursor = next;
    }
    app.files.write(&job.object_key, out, "text/csv").await?;
    job.counts.processed = job.counts.exported;
    checkpoint(app, &mut job, true, false).await
}
