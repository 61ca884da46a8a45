//! A GeoJSON file's import, run by the map jobs worker
//! ([`crate::jobs`]) on the shared jobs engine (ADR 0025): what
//! `POST /v1/maps/shapes/import` does to at most 200 features, for a file of
//! up to an overlay's 2 000, with the jobs' progress, checkpoints and
//! hand-overs. The file's rows are its features (`row` 1 is the first).
//!
//! Unlike the request, a file is not all or nothing: each feature is
//! checked whole (against the shapes drawn and those the file wrote before
//! it) and written on its own, or reported as the job's row error, its
//! fields named inside the feature (`geometry.coordinates.0.1`,
//! `properties.unit_id`). A dry run checks every feature and writes
//! nothing: the preview.
//!
//! * **Exactly once.** Each shape's transaction leaves the row's marker
//!   (`UNIQUE#IMPORTROW#{job}#{row}`, [`crm_jobs::engine::row_marker`]); a
//!   delivery resumed from the last checkpoint finds it and counts the
//!   feature as created, and the shapes it wrote are among those read, so
//!   what comes after is checked against them.
//! * **Races.** A shape saved meanwhile in the layer, or an overlay aligned,
//!   refuses the write (the revisions it locks): the scene is read again and
//!   the feature checked anew, a few times, then the delivery is retried.
//! * **Limits.** `maps.shapes.max` (as the creator's plan stood at the
//!   start) and the overlay's 2 000 shapes are taken in each transaction;
//!   the first feature refused for one ends the job, failed, with what it
//!   wrote kept and counted.
//! * **Gone.** An overlay or layer deleted meanwhile fails the job, and so
//!   does a creator deactivated meanwhile (checked at each delivery).
//! * The overlay's watchers hear once, in the transaction that completes the job.

use crm_auth::Principal;
use crm_jobs::engine::{row_marker, ChunkOutcome, CHUNK};
use crm_jobs::worker::{self, Fatal, Worker};
use crm_jobs::{Job, JobStatus};
use crm_kernel::{AppError, EntityId, FieldError};
use crm_store::{item, StoreError, Tx};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::features::Scene;
use crate::geojson::{self, FeatureCollection, ImportFeature};
use crate::{drawing, lookup, notices, App};

/// Where a file's shapes go: the job's `filter`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Target {
    pub overlay_id: EntityId,
    pub layer_id: EntityId,
    #[serde(default)]
    pub change_note: Option<String>,
}

/// How many times a feature is checked again after a race, before the delivery is retried.
const ATTEMPTS: usize = 4;

/// What became of one feature.
enum Verdict {
    /// Written (or, on a dry run, it would be); or found written by an earlier delivery.
    Created,
    Rejected(Vec<FieldError>),
    /// A plan or overlay limit refused it: the job stops here.
    Full(AppError),
}

/// Runs `job` from its checkpoint.
pub async fn run(app: &App, w: &Worker<'_>, mut job: Job) -> Result<(), Fatal> {
    // Its creator's rights die with them: a deactivated creator's job writes nothing more.
    if !crm_directory::get(&app.store, job.tenant_id, job.created_by).await?.is_some_and(|u| u.is_active()) {
        return Err(Fatal(Some("the job's creator is no longer an active user of the tenant".into())));
    }
    let target: Target =
        serde_json::from_value(job.filter.clone()).map_err(|_| Fatal(Some("the job names no overlay and layer".into())))?;
    let bytes = w.files.read(&job.object_key, job.object_version.as_deref(), job.kind.file().max_bytes).await.map_err(worker::bad_file)?;
    let collection: FeatureCollection =
        serde_json::from_slice(&bytes).map_err(|e| Fatal(Some(format!("the file is not a GeoJSON FeatureCollection: {e}"))))?;
    let total = collection.features.len();
    if total == 0 {
        return Err(Fatal(Some("the file holds no features".into())));
    }
    if total > crm_maps::map_shape::MAX_PER_OVERLAY {
        let most = crm_maps::map_shape::MAX_PER_OVERLAY;
        return Err(Fatal(Some(format!("the file holds {total} features; an overlay holds at most {most} shapes"))));
    }
    if job.dry_run && job.next_row > 1 {
        // A preview checks each feature against those before it, which it
        // keeps only in memory: a redelivery checks the whole file again.
        (job.next_row, job.counts, job.errors) = (1, Default::default(), Vec::new());
    }
    job.total_rows = Some(total as u32);
    let p = job.viewer();
    let mut scene = scene(app, &job, &target).await?;
    let features = collection.features;
    let crash_after = w.pace.crash_after_features();
    let (began, mut done_here) = (std::time::Instant::now(), 0);
    loop {
        let (start, end) = (job.next_row, (job.next_row + CHUNK as u32 - 1).min(total as u32));
        if start > end {
            break;
        }
        let mut out = ChunkOutcome::default();
        let written = if job.dry_run {
            vec![None; (end - start + 1) as usize]
        } else {
            app.store.get_many(&(start..=end).map(|r| row_marker(&job, r)).collect::<Vec<_>>()).await?
        };
        for (row, marker) in (start..=end).zip(written) {
            out.counts.processed += 1;
            let feature = &features[row as usize - 1];
            let verdict = match marker {
                Some(_) => Verdict::Created,
                None => place(app, &p, &mut scene, &job, &target, row, feature).await?,
            };
            match verdict {
                Verdict::Created => out.counts.created += 1,
                Verdict::Rejected(errors) => out.reject(row, &errors.into_iter().map(geojson::in_feature).collect::<Vec<_>>()),
                Verdict::Full(e) => {
                    // What the chunk wrote before the limit is counted, then the job ends.
                    out.counts.processed -= 1;
                    account(&mut job, out, row);
                    let _ = worker::checkpoint(w.store, &mut job, false, false).await;
                    let made = job.counts.created;
                    return Err(Fatal(Some(format!(
                        "{}: {}; {made} shapes imported, stopped at feature {row}",
                        e.code(),
                        e.public_message()
                    ))));
                }
            }
        }
        done_here += end - start + 1;
        if crash_after.is_some_and(|n| job.attempts == 1 && done_here >= n) {
            tracing::warn!(job_id = %job.id, features = done_here, "FAULT_IMPORT_CRASH_AFTER_FEATURES: crashing before the checkpoint");
            return Err(Fatal(None));
        }
        account(&mut job, out, end + 1);
        let finished = job.next_row > total as u32;
        // A preview keeps what it accepted in memory: it never hands over.
        let hand_over = !finished && !job.dry_run && began.elapsed() >= w.pace.run_budget;
        let notice = match finished && !job.dry_run && job.counts.created > 0 {
            true => notices::shapes_imported(&app.store, &scene.overlay, job.counts.created as usize, job.created_by, Tx::new()).await?,
            false => Tx::new(),
        };
        match worker::checkpoint_with(w.store, &mut job, finished, hand_over, notice).await {
            Ok(()) if finished || hand_over => return Ok(()),
            Ok(()) => {}
            // Another delivery checkpointed first: its count stands; go on from there, with the shapes it wrote.
            Err(Fatal(None)) => {
                let attempts = job.attempts;
                match w.store.get_as::<Job>(&Job::key(job.tenant_id, job.id)).await? {
                    Some(j) if j.status == JobStatus::Running && !job.dry_run => {
                        job = Job { attempts, ..j };
                        scene = self::scene(app, &job, &target).await?;
                    }
                    _ => return Ok(()),
                }
            }
            Err(e) => return Err(e),
        }
    }
    worker::checkpoint(w.store, &mut job, true, false).await
}

/// Adds a chunk's outcome to the job, whose next feature is then `next_row`.
fn account(job: &mut Job, out: ChunkOutcome, next_row: u32) {
    let c = &mut job.counts;
    c.processed += out.counts.processed;
    c.created += out.counts.created;
    c.failed += out.counts.failed;
    job.report(out.errors, Vec::new());
    job.next_row = next_row;
}

/// The target's scene as it stands; an overlay or layer gone fails the job.
async fn scene(app: &App, job: &Job, target: &Target) -> Result<Scene, Fatal> {
    let overlay = match lookup::overlay(&app.store, job.tenant_id, target.overlay_id).await {
        Err(AppError::NotFound) => return Err(Fatal(Some("the overlay was deleted".into()))),
        other => other?,
    };
    match Scene::read(&app.store, overlay, target.layer_id).await {
        Err(AppError::Validation { .. }) => Err(Fatal(Some("the layer was deleted".into()))),
        other => Ok(other?),
    }
}

/// Checks `feature` (row `row`) and, unless the job is a dry run, writes
/// it with its row's marker; a race reads the scene again and checks anew.
async fn place(
    app: &App,
    p: &Principal,
    scene: &mut Scene,
    job: &Job,
    target: &Target,
    row: u32,
    feature: &ImportFeature,
) -> Result<Verdict, Fatal> {
    for _ in 0..ATTEMPTS {
        let a = match scene.check(&app.store, p, feature.clone()).await {
            Ok(a) => a,
            Err(AppError::Validation { details, .. }) => return Ok(Verdict::Rejected(details)),
            Err(AppError::PlanRequired { feature }) => {
                return Ok(Verdict::Rejected(vec![FieldError::new("kind", format!("the plan lacks {feature}"))]))
            }
            Err(e) => return Err(e.into()),
        };
        if job.dry_run {
            scene.accept(&a);
            return Ok(Verdict::Created);
        }
        let event = drawing::imported_event(job, &a.shape);
        let marker = item::to_item(&row_marker(job, row), &json!({ "shape_id": a.shape.id, "job_id": job.id }))?;
        let tx = scene.write(p, &a, target.change_note.clone(), &event)?.put_new("import_row", marker);
        match app.store.transact(tx).await {
            Ok(()) => {
                scene.written(&a);
                drawing::remember(&app.store, job.tenant_id, &a.linked).await?;
                return Ok(Verdict::Created);
            }
            Err(StoreError::ConditionFailed { label }) if label == "import_row" => {
                // Another delivery of the job wrote this feature: it is drawn now.
                *scene = self::scene(app, job, target).await?;
                return Ok(Verdict::Created);
            }
            Err(StoreError::ConditionFailed { label })
                if ["layer_revision", "unit_layer_revision", "overlay_seen"].contains(&label.as_str()) =>
            {
                *scene = self::scene(app, job, target).await?;
            }
            Err(e) => {
                return match lookup::refused(p, e) {
                    full @ AppError::LimitReached { .. } => Ok(Verdict::Full(full)),
                    AppError::Validation { details, .. } => Ok(Verdict::Rejected(details)),
                    other => Err(other.into()),
                }
            }
        }
    }
    tracing::warn!(job_id = %job.id, row, "the layer kept changing under the import; the delivery will be retried");
    Err(Fatal(None))
}
