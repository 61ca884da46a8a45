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
//! * **Limits.** `maps.shapes.max` (the lesser of the creator's plan when
//!   the job was made and the starter's when it started) and the overlay's
//!   2 000 shapes are taken in each transaction; the first feature refused
//!   for one ends the job, failed, with what it wrote kept, counted and told
//!   to the watchers. A preview counts the same room and stops at the same
//!   feature.
//! * **Gone.** An overlay or layer deleted meanwhile fails the job, and so
//!   does a creator deactivated meanwhile (checked at each delivery).
//! * The overlay's watchers hear once, in the transaction that completes
//!   the job (or fails it at a limit).

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
const ATTEMPTS: usize = 5;

/// The conditions another writer (or another delivery of the job) moves:
/// the layers' revisions, the overlay's version, the row's marker.
const RACES: &[&str] = &["layer_revision", "unit_layer_revision", "overlay_seen", "import_row"];

/// Whether a refused write lost a race ([`RACES`], or a transaction in flight on the same items).
fn is_race(e: &StoreError) -> bool {
    match e {
        StoreError::ConditionFailed { label } => RACES.contains(&label.as_str()),
        StoreError::TransactionConflict => true,
        _ => false,
    }
}

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
    // The plan as the job stands held to it (the lesser of its creator's and its starter's: Job::narrow_to).
    lookup::enabled(&p).map_err(|_| Fatal(Some("the plan the job started under lacks maps.enabled".into())))?;
    let mut scene = scene(app, &job, &target).await?;
    // A preview stops where the import would: at the plan's and the overlay's room.
    let mut room = match job.dry_run {
        true => Some(Room::of(app, &p, &scene).await?),
        false => None,
    };
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
                Some(m) => {
                    // Written by an earlier delivery, which may have died before the unit's read-model row.
                    remember_unit(app, job.tenant_id, &m).await?;
                    Verdict::Created
                }
                None => place(app, &p, &mut scene, &job, &target, (row, feature), room.as_mut()).await?,
            };
            match verdict {
                Verdict::Created => out.counts.created += 1,
                Verdict::Rejected(errors) => out.reject(row, &errors.into_iter().map(geojson::in_feature).collect::<Vec<_>>()),
                Verdict::Full(e) => {
                    // What the chunk wrote before the limit is counted and the watchers told, in the
                    // transaction that fails the job: a redelivery finds it settled and tells nobody again.
                    out.counts.processed -= 1;
                    account(&mut job, out, row);
                    let notice = notice(app, &job, &scene).await?;
                    let (made, verb) = (job.counts.created, if job.dry_run { "would be imported" } else { "imported" });
                    let (code, message) = (e.code(), e.public_message());
                    let failure = format!("{code}: {message}; {made} shapes {verb}, stopped at feature {row}");
                    // Refused: another delivery moved the job first; the redelivery finds it settled, or goes on.
                    return worker::checkpoint_failed(w.store, &mut job, &failure, notice).await;
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
        let notice = if finished { notice(app, &job, &scene).await? } else { Tx::new() };
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

/// The watchers' notice of the shapes the job wrote (none for a preview, or for nothing written).
async fn notice(app: &App, job: &Job, scene: &Scene) -> Result<Tx, Fatal> {
    if job.dry_run || job.counts.created == 0 {
        return Ok(Tx::new());
    }
    Ok(notices::shapes_imported(&app.store, &scene.overlay, job.counts.created as usize, job.created_by, Tx::new()).await?)
}

/// The unit of a row's marker, in the read model (a conditional put: never over a newer row).
async fn remember_unit(app: &App, t: crm_kernel::TenantId, marker: &crm_store::Item) -> Result<(), Fatal> {
    let Some(unit_id) = marker.get("unit_id").and_then(|v| v.as_s().ok()).and_then(|s| EntityId::parse(s).ok()) else { return Ok(()) };
    if let Some(unit) = app.store.get_as::<crm_inventory::unit::Unit>(&crm_inventory::unit::Unit::key(t, unit_id)).await? {
        drawing::remember(&app.store, t, &drawing::Linked { unit, component: None }).await?;
    }
    Ok(())
}

/// What a preview may still accept: the plan's `maps.shapes.max` less the
/// tenant's shapes, and the overlay's 2 000 less its own.
struct Room {
    plan: i64,
    overlay: i64,
}

impl Room {
    async fn of(app: &App, p: &Principal, scene: &Scene) -> Result<Self, Fatal> {
        let plan = crm_records::write::quota_room(&app.store, p, "maps.shapes.max").await?;
        Ok(Self { plan, overlay: crm_maps::map_shape::MAX_PER_OVERLAY as i64 - scene.others.len() as i64 })
    }

    /// Takes a place for one more shape, or names the limit it reaches.
    fn take(&mut self, p: &Principal) -> Result<(), AppError> {
        if self.plan <= 0 {
            return Err(p.entitlements.limit_reached("maps.shapes.max"));
        }
        if self.overlay <= 0 {
            let limit = crm_maps::map_shape::MAX_PER_OVERLAY as i64;
            return Err(AppError::LimitReached { key: "maps.overlay.shapes.max".into(), limit });
        }
        (self.plan, self.overlay) = (self.plan - 1, self.overlay - 1);
        Ok(())
    }
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
    (row, feature): (u32, &ImportFeature),
    mut room: Option<&mut Room>,
) -> Result<Verdict, Fatal> {
    for attempt in 0..ATTEMPTS {
        let a = match scene.check(&app.store, p, feature.clone()).await {
            Ok(a) => a,
            Err(AppError::Validation { details, .. }) => {
                // The scene (read again after a race) may hold this very feature, written by
                // another delivery since the chunk's markers were read: its marker says so.
                if !job.dry_run && app.store.get(&row_marker(job, row)).await?.is_some() {
                    return Ok(Verdict::Created);
                }
                return Ok(Verdict::Rejected(details));
            }
            Err(AppError::PlanRequired { feature }) => {
                return Ok(Verdict::Rejected(vec![FieldError::new("kind", format!("the plan lacks {feature}"))]))
            }
            Err(e) => return Err(e.into()),
        };
        if let Some(room) = room.as_deref_mut() {
            // A preview: counted against the room left, written nowhere.
            if let Err(full) = room.take(p) {
                return Ok(Verdict::Full(full));
            }
            scene.accept(&a);
            return Ok(Verdict::Created);
        }
        let event = drawing::imported_event(job, &a.shape);
        let marker =
            item::to_item(&row_marker(job, row), &json!({ "shape_id": a.shape.id, "unit_id": a.shape.unit_id, "job_id": job.id }))?;
        let tx = scene.write(p, &a, target.change_note.clone(), &event)?.put_new("import_row", marker);
        match app.store.transact(tx).await {
            Ok(()) => {
                scene.written(&a);
                drawing::remember(&app.store, job.tenant_id, &a.linked).await?;
                return Ok(Verdict::Created);
            }
            Err(e) if is_race(&e) => {
                if matches!(e, StoreError::TransactionConflict) {
                    // Another writer's transaction on the same items, in flight: a moment first.
                    tokio::time::sleep(std::time::Duration::from_millis(50 << attempt)).await;
                }
                // Another delivery of the job may have written this very feature (its
                // write takes the layer's revision before the marker): the marker says.
                *scene = self::scene(app, job, target).await?;
                if app.store.get(&row_marker(job, row)).await?.is_some() {
                    return Ok(Verdict::Created);
                }
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
