//! What every jobs worker does with a `job.queued` or `job.continue` event
//! of a kind its context owns: claim the job ([`take`]), run it (an import
//! through [`run_import`], or the context's export), and settle a failure
//! ([`settle`]). One delivery works for at most [`RUN_BUDGET`]
//! (`JOB_RUN_BUDGET_SECS`), checkpointing the job after every chunk; if
//! rows remain then, the checkpoint also emits `job.continue` (through the
//! outbox, in the same transaction) and the next delivery goes on — no
//! invocation nears the 15-minute Lambda limit, and a crash resumes from
//! the last checkpoint.
//!
//! `FAULT_IMPORT_CRASH_AFTER_ROWS` (the `fault-injection` feature, which
//! only the e2e tests enable: [`Pace::crash_after`]) makes a job's first
//! delivery fail after writing that many rows but before checkpointing
//! them — the crash the retry must survive; `FAULT_IMPORT_CRASH_AFTER_FEATURES`
//! does the same to a map shapes import ([`Pace::crash_after_features`]).

use crm_events::audit::AuditExt;
use crm_events::consumer::ConsumerError;
use crm_events::outbox::EmitExt;
use crm_events::{Actor, DomainEvent, Subject};
use crm_files::Files;
use crm_kernel::{AppError, EntityId, Env, Timestamp};
use crm_store::tx::Condition;
use crm_store::{Store, StoreError, Tx};
use serde_json::json;

use crate::engine::{self, ImportRow};
use crate::job::{Job, JobStatus};
use crate::{csv_file, csv_stream};

/// How long one delivery works before handing over to the next (the
/// function may run 15 minutes; a chunk takes well under a second).
/// `JOB_RUN_BUDGET_SECS` changes it (tests: seconds, to exercise hand-overs).
pub const RUN_BUDGET: std::time::Duration = std::time::Duration::from_secs(600);

/// How a jobs worker paces its deliveries.
#[derive(Debug, Clone)]
pub struct Pace {
    /// How long one delivery works before handing over ([`RUN_BUDGET`]).
    pub run_budget: std::time::Duration,
    #[cfg(feature = "fault-injection")]
    crash_after: Option<u32>,
    #[cfg(feature = "fault-injection")]
    crash_after_features: Option<u32>,
}

impl Pace {
    pub fn from_env(env: &Env) -> Self {
        Self {
            run_budget: env
                .get("JOB_RUN_BUDGET_SECS")
                .and_then(|v| v.parse().ok())
                .map(std::time::Duration::from_secs)
                .unwrap_or(RUN_BUDGET),
            #[cfg(feature = "fault-injection")]
            crash_after: env.get("FAULT_IMPORT_CRASH_AFTER_ROWS").and_then(|v| v.parse().ok()),
            #[cfg(feature = "fault-injection")]
            crash_after_features: env.get("FAULT_IMPORT_CRASH_AFTER_FEATURES").and_then(|v| v.parse().ok()),
        }
    }

    /// After how many rows a job's first delivery dies before its checkpoint
    /// (`FAULT_IMPORT_CRASH_AFTER_ROWS`): the crash the retry must survive.
    /// A test hook, compiled in only with the `fault-injection` feature,
    /// which only the e2e tests enable; always `None` in a deployed function.
    pub fn crash_after(&self) -> Option<u32> {
        #[cfg(feature = "fault-injection")]
        return self.crash_after;
        #[cfg(not(feature = "fault-injection"))]
        None
    }

    /// After how many features a map shapes import's first delivery dies
    /// before its checkpoint (`FAULT_IMPORT_CRASH_AFTER_FEATURES`), as
    /// [`Pace::crash_after`] for rows; always `None` in a deployed function.
    pub fn crash_after_features(&self) -> Option<u32> {
        #[cfg(feature = "fault-injection")]
        return self.crash_after_features;
        #[cfg(not(feature = "fault-injection"))]
        None
    }
}

/// What a jobs worker works with: the table, the files bucket, its pace.
pub struct Worker<'a> {
    pub store: &'a Store,
    pub files: &'a Files,
    pub pace: &'a Pace,
}

fn failed(e: impl std::fmt::Display) -> ConsumerError {
    ConsumerError::Failed(e.to_string())
}

/// An event about `job`, by its creator.
pub fn event(job: &Job, kind: crm_events::EventType, data: serde_json::Value) -> DomainEvent {
    DomainEvent::new(job.tenant_id, kind, Actor::user(job.created_by), Subject { kind: "job".into(), id: job.id.to_string() }, data)
}

/// `job.queued` for `job`: what its context's queue rule routes on (`kind`).
pub fn queued(job: &Job) -> DomainEvent {
    event(job, crm_events::types::JOB_QUEUED, json!({ "kind": job.kind, "dry_run": job.dry_run }))
}

/// The job `e` asks to run, claimed for this delivery — `None` when the
/// event is not a job's, the kind belongs to another context than
/// `context`, or the job is gone, done, or taken.
pub async fn take(w: &Worker<'_>, e: &DomainEvent, context: &str) -> Result<Option<Job>, ConsumerError> {
    if !(e.is(crm_events::types::JOB_QUEUED) || e.is(crm_events::types::JOB_CONTINUE)) {
        return Ok(None);
    }
    let id = EntityId::parse(&e.subject.id).map_err(|_| ConsumerError::Unreadable("job id".into()))?;
    let Some(job) = w.store.get_as::<Job>(&Job::key(e.tenant_id, id)).await? else { return Ok(None) };
    if job.kind.context() != context || !matches!(job.status, JobStatus::Queued | JobStatus::Running) {
        return Ok(None);
    }
    claim(w.store, job).await
}

/// What a run came to: a bad file fails the job for good; anything else is retried.
pub async fn settle(w: &Worker<'_>, job: &Job, outcome: Result<(), Fatal>) -> Result<(), ConsumerError> {
    match outcome {
        Ok(()) => Ok(()),
        Err(Fatal(Some(msg))) => finish_failed(w.store, job.id, job.tenant_id, &msg).await,
        Err(Fatal(None)) => Err(failed("the job will be retried")),
    }
}

/// Takes the job for this delivery: a queued job becomes `running` (once,
/// under its version); a running one — a redelivery after a crash, or a
/// second delivery while the first still works — just counts the attempt
/// and joins in: rows are written idempotently and each chunk is accounted
/// by exactly one checkpoint (see [`run_import`]).
async fn claim(store: &Store, job: Job) -> Result<Option<Job>, ConsumerError> {
    let key = Job::key(job.tenant_id, job.id);
    if job.status == JobStatus::Queued {
        let next = Job {
            status: JobStatus::Running,
            attempts: job.attempts + 1,
            version: job.version + 1,
            updated_at: Timestamp::now(),
            ..job.clone()
        };
        return match store.transact(Tx::new().put_if("job", next.to_item()?, Condition::version_is(job.version))).await {
            Ok(()) => Ok(Some(next)),
            Err(StoreError::ConditionFailed { .. }) => match store.get_as::<Job>(&key).await? {
                Some(j) if j.status == JobStatus::Running => Box::pin(claim(store, j)).await,
                _ => Ok(None),
            },
            Err(e) => Err(e.into()),
        };
    }
    let running = Condition::eq("status", crm_store::AttributeValue::S("running".into()));
    match store.transact(Tx::new().add("attempt", &key, &[("attempts", 1)], running)).await {
        Ok(()) => Ok(Some(Job { attempts: job.attempts + 1, ..job })),
        Err(StoreError::ConditionFailed { .. }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Why a run stopped: `Some(message)`, the job cannot succeed; `None`, retry the delivery.
pub struct Fatal(pub Option<String>);

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

/// Fails `job` for good with `message` from where it stands (its progress
/// as counted), writing `with` in the same transaction (a map shapes
/// import's notice of what it wrote before a limit): refused, like a
/// checkpoint, when another delivery moved the job first.
pub async fn checkpoint_failed(store: &Store, job: &mut Job, message: &str, with: Tx) -> Result<(), Fatal> {
    let read = job.version;
    let now = Timestamp::now();
    (job.status, job.failure, job.finished_at, job.updated_at, job.version) =
        (JobStatus::Failed, Some(message.to_string()), Some(now), now, read + 1);
    let ev = event(job, crm_events::types::JOB_FAILED, json!({ "kind": job.kind, "failure": message }));
    match store.transact(with.put_if("job", job.to_item()?, Condition::version_is(read)).emit_audited(&ev)).await {
        Ok(()) => Ok(()),
        Err(StoreError::ConditionFailed { .. }) => Err(Fatal(None)),
        Err(e) => Err(e.into()),
    }
}

async fn finish_failed(store: &Store, id: EntityId, t: crm_kernel::TenantId, message: &str) -> Result<(), ConsumerError> {
    let Some(job) = store.get_as::<Job>(&Job::key(t, id)).await? else { return Ok(()) };
    if !matches!(job.status, JobStatus::Queued | JobStatus::Running) {
        // Another delivery settled it meanwhile (completed it, or failed it first).
        return Ok(());
    }
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
    store.transact(Tx::new().put_if("job", next.to_item()?, Condition::version_is(job.version)).emit_audited(&ev)).await.map_err(failed)
}

/// Runs an `R` import from the job's checkpoint: the version the job was
/// started with, streamed (never whole in memory), its size checked again.
/// A first pass reads the header and counts the rows (the row limit is all
/// or nothing), a second imports, a chunk at a time.
pub async fn run_import<R: ImportRow>(w: &Worker<'_>, ctx: &R::Ctx, mut job: Job) -> Result<(), Fatal> {
    let (counting, head) = csv_stream::Rows::open(reopen(w.files, &job)).await.map_err(bad_file)?;
    let Some(head) = head else { return Err(Fatal(Some("the file is empty".into()))) };
    let total = counting.count(csv_file::MAX_ROWS).await.map_err(bad_file)? as u32;
    let defs: Vec<_> = crm_records::custom_fields::definitions(w.store, job.tenant_id, job.kind.entity())
        .await?
        .into_iter()
        .filter(|d| d.active)
        .collect();
    let columns = engine::header::<R>(&head, &defs)?;
    if !job.custom_fields_allowed && columns.iter().any(|c| c.starts_with(csv_file::CUSTOM)) {
        return Err(Fatal(Some(format!(
            "custom.{{code}} columns need the {} feature, which the plan lacks",
            job.kind.custom_fields_feature()
        ))));
    }
    job.total_rows = Some(total);
    let (mut rows, _) = csv_stream::Rows::open(reopen(w.files, &job)).await.map_err(bad_file)?;
    let crash_after = w.pace.crash_after();
    let mut done_here = 0;
    let began = std::time::Instant::now();
    loop {
        let start = job.next_row;
        let end = (start + engine::CHUNK as u32 - 1).min(total);
        if start > total {
            break;
        }
        let records = rows.take(start, end).await.map_err(bad_file)?;
        let parsed = records.iter().map(|(r, rec)| (*r, engine::parse_row::<R>(&columns, &defs, rec))).collect();
        let outcome = engine::chunk::<R>(w.store, ctx, &job, &defs, parsed).await?;
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
        let hand_over = !finished && began.elapsed() >= w.pace.run_budget;
        match checkpoint(w.store, &mut job, finished, hand_over).await {
            Ok(()) if finished || hand_over => return Ok(()),
            Ok(()) => {}
            // Another delivery checkpointed first: its count stands, ours is dropped; go on from there.
            Err(Fatal(None)) => {
                let attempts = job.attempts;
                match w.store.get_as::<Job>(&Job::key(job.tenant_id, job.id)).await? {
                    Some(j) if j.status == JobStatus::Running => job = Job { attempts, ..j },
                    _ => return Ok(()),
                }
            }
            Err(e) => return Err(e),
        }
    }
    checkpoint(w.store, &mut job, true, false).await
}

/// Runs an export: every page `page` reads from the cursor it is given
/// (at most [`csv_file::MAX_ROWS`] records), written by `lines` (the header
/// with the first page) to the job's file, then the checkpoint that
/// completes it.
pub async fn run_export<T, Page, Lines>(
    w: &Worker<'_>,
    mut job: Job,
    page: impl Fn(Option<String>) -> Page,
    lines: Lines,
) -> Result<(), Fatal>
where
    Page: std::future::Future<Output = Result<(Vec<T>, Option<String>), AppError>>,
    Lines: Fn(&[T], bool) -> Result<Vec<u8>, AppError>,
{
    let (mut cursor, mut out, mut first) = (None, Vec::new(), true);
    loop {
        let (records, next) = page(cursor).await?;
        out.extend(lines(&records, first)?);
        first = false;
        job.counts.exported += records.len() as u32;
        if next.is_none() || job.counts.exported as usize >= csv_file::MAX_ROWS {
            break;
        }
        cursor = next;
    }
    w.files.write(&job.object_key, out, "text/csv").await?;
    job.counts.processed = job.counts.exported;
    checkpoint(w.store, &mut job, true, false).await
}

/// Opens the job's pinned upload (each pass, and each return to an earlier row).
fn reopen<'a>(files: &'a Files, job: &Job) -> csv_stream::Opener<'a> {
    let (key, version) = (job.object_key.clone(), job.object_version.clone());
    Box::new(move || {
        let (files, key, version) = (files.clone(), key.clone(), version.clone());
        Box::pin(async move {
            let body = files.open(&key, version.as_deref(), csv_file::MAX_BYTES).await?;
            Ok(Box::new(body) as csv_stream::Body)
        })
    })
}

/// A file that cannot be imported fails the job for good, naming why.
pub fn bad_file(e: AppError) -> Fatal {
    match e {
        AppError::Unavailable(_) | AppError::Internal(_) => Fatal::from(e),
        AppError::PayloadTooLarge { limit } => Fatal(Some(format!("the file is larger than {limit} bytes"))),
        other => Fatal(Some(other.public_message())),
    }
}

/// Writes the job's progress under its version; when `finished` it is
/// completed (its kind's event, `contacts.imported`, audited), when
/// `hand_over` the next delivery is asked for (`job.continue`, with the
/// `kind` its queue's rule routes on).
pub async fn checkpoint(store: &Store, job: &mut Job, finished: bool, hand_over: bool) -> Result<(), Fatal> {
    checkpoint_with(store, job, finished, hand_over, Tx::new()).await
}

/// [`checkpoint`], writing `with` in the same transaction (the notices a
/// finished import sends: written exactly when the job completes).
pub async fn checkpoint_with(store: &Store, job: &mut Job, finished: bool, hand_over: bool, with: Tx) -> Result<(), Fatal> {
    let read = job.version;
    let now = Timestamp::now();
    job.version += 1;
    job.updated_at = now;
    let mut tx = with;
    if finished {
        job.status = JobStatus::Completed;
        job.finished_at = Some(now);
        let data = json!({ "job_id": job.id, "counts": job.counts, "dry_run": job.dry_run });
        tx = tx.emit_audited(&event(job, job.kind.completed(), data));
    } else if hand_over {
        tx = tx.emit(&event(job, crm_events::types::JOB_CONTINUE, json!({ "kind": job.kind, "next_row": job.next_row })));
    }
    match store.transact(tx.put_if("job", job.to_item()?, Condition::version_is(read))).await {
        Ok(()) => Ok(()),
        Err(StoreError::ConditionFailed { .. }) => Err(Fatal(None)),
        Err(e) => Err(e.into()),
    }
}
