//! `POST /v1/maps/shapes/import` `{overlay_id, layer_id, geojson,
//! dry_run?, change_note?}` — shapes from a GeoJSON FeatureCollection (at
//! most 200 features a request; a larger file goes through the jobs,
//! `POST /v1/maps/shapes/import/file`). Each feature's rings are rewound by the
//! right-hand rule first (GIS tools often write them clockwise), then it is
//! linked and checked whole like a drawn shape, against the overlay's
//! shapes *and* the features before it. Any problem in any feature is a
//! field error under `geojson.features[i]` and nothing is written, and so
//! is a file that would pass `maps.shapes.max`; `dry_run` checks all and
//! writes nothing. Each shape is then written as `POST …/shapes` writes one
//! (its own transaction: version 1, its places in the limits, the layer's
//! revision, `map.shape.created`). Should one be refused all the same (a
//! shape drawn meanwhile, the limit reached by another writer), the import
//! stops there and says which were written and why it stopped. The
//! watchers hear once.

use crm_http::{Call, Reply};
use crm_kernel::fields::{Fields, Input};
use crm_kernel::{AppError, EntityId, FieldError};

use crate::drawing;
use crate::features::{Accepted, Scene};
use crate::geojson::{self, FeatureCollection, MAX_FEATURES};
use crate::{lookup, notices, App};

/// The body of `MapShapesImport`.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ShapesImport {
    pub overlay_id: Input<EntityId>,
    pub layer_id: Input<EntityId>,
    /// A FeatureCollection of Polygon features in the overlay's pixels.
    pub geojson: Input<FeatureCollection>,
    /// Check every feature, write nothing.
    pub dry_run: Input<bool>,
    #[schemars(length(max = 500))]
    pub change_note: Input<String>,
}

/// What an import did.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Imported {
    pub dry_run: bool,
    /// The features checked.
    pub checked: usize,
    /// The shapes written (none on a dry run), in the features' order.
    pub created: Vec<EntityId>,
    /// Why the import stopped before its last feature (another writer got
    /// there first); `null` when every feature was written.
    pub stopped: Option<String>,
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    lookup::enabled(p)?;
    let t = p.tenant_id;
    let asked: ShapesImport = call.json()?;
    let mut f = Fields::new();
    let overlay_id = f.entity_id("overlay_id", asked.overlay_id).flatten();
    f.require("overlay_id", overlay_id.is_some());
    let layer_id = f.entity_id("layer_id", asked.layer_id).flatten();
    f.require("layer_id", layer_id.is_some());
    let collection = f.set("geojson", asked.geojson, "must be a GeoJSON FeatureCollection");
    f.require("geojson", collection.is_some());
    if collection.as_ref().is_some_and(|c| c.features.is_empty() || c.features.len() > MAX_FEATURES) {
        f.error("geojson.features", format!("must hold 1 to {MAX_FEATURES} features"));
    }
    let dry_run = f.bool("dry_run", asked.dry_run).unwrap_or(false);
    let note = drawing::note(&mut f, asked.change_note);
    let (overlay_id, layer_id, collection) = match f.finish((overlay_id, layer_id, collection))? {
        (Some(o), Some(l), Some(c)) => (o, l, c),
        _ => return Err(AppError::invalid("geojson", "is required")),
    };
    let overlay = match lookup::overlay(&app.store, t, overlay_id).await {
        Err(AppError::NotFound) => return Err(AppError::invalid("overlay_id", "no such overlay in this tenant")),
        other => other?,
    };
    let mut scene = Scene::read(&app.store, overlay, layer_id).await?;
    let mut accepted: Vec<Accepted> = Vec::new();
    let mut errors: Vec<FieldError> = Vec::new();
    for (i, feature) in collection.features.into_iter().enumerate() {
        match scene.check(&app.store, p, feature).await {
            Ok(a) => {
                scene.accept(&a);
                accepted.push(a);
            }
            Err(AppError::Validation { details, .. }) => errors.extend(details.into_iter().map(|e| geojson::under(i, e))),
            Err(e) => return Err(e),
        }
    }
    if !errors.is_empty() {
        return Err(AppError::invalid_fields(errors));
    }
    let checked = accepted.len();
    if dry_run {
        return Ok(Reply::ok(Imported { dry_run, checked, created: Vec::new(), stopped: None }));
    }
    if checked as i64 > crm_records::write::quota_room(&app.store, p, "maps.shapes.max").await? {
        return Err(p.entitlements.limit_reached("maps.shapes.max"));
    }
    if scene.others.len() > crm_maps::map_shape::MAX_PER_OVERLAY {
        let limit = crm_maps::map_shape::MAX_PER_OVERLAY as i64;
        return Err(AppError::LimitReached { key: "maps.overlay.shapes.max".into(), limit });
    }
    let mut created = Vec::with_capacity(accepted.len());
    let mut stopped = None;
    for a in &accepted {
        let event = drawing::created_event(&call, &a.shape)?;
        match app.store.transact(scene.write(p, a, note.clone(), &event)?).await.map_err(|e| lookup::refused(p, e)) {
            Ok(()) => {}
            Err(e) if created.is_empty() => return Err(e),
            Err(e) => {
                stopped = Some(format!("{}: {}", e.code(), e.public_message()));
                break;
            }
        }
        // The scene holds the accepted shapes already: the write took only the revisions.
        scene.took(a);
        drawing::remember(&app.store, t, &a.linked).await?;
        created.push(a.shape.id);
    }
    if !created.is_empty() {
        let tx = notices::shapes_imported(&app.store, &scene.overlay, created.len(), p.user_id, crm_store::Tx::new()).await?;
        if !tx.is_empty() {
            app.store.transact(tx).await?;
        }
    }
    Ok(Reply::ok(Imported { dry_run, checked, created, stopped }))
}
