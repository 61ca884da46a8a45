//! `POST /v1/maps/shapes/{id}/version` `{version, change_note?}` — rollback:
//! the geometry of an older version re-saved as the next one, checked whole
//! against the overlay as it is now (what was valid then may overlap a
//! shape drawn since). `If-Match` honoured. `map.shape.updated` with
//! `rolled_back_to`.

use crm_http::{Call, Reply};
use crm_kernel::fields::{Fields, Input};
use crm_kernel::{AppError, Timestamp};
use crm_maps::map_shape::{MapShape, ShapeVersion};
use serde_json::json;

use crate::drawing::{self, Draft};
use crate::{lookup, status, App};

/// The body of `MapShapeRollback`.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Rollback {
    /// The version whose geometry comes back.
    #[schemars(range(min = 1))]
    pub version: Input<i64>,
    #[schemars(length(max = 500))]
    pub change_note: Input<String>,
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let t = p.tenant_id;
    let (overlay, current) = lookup::shape_of(&app.store, &call).await?;
    lookup::if_match(&call, current.version)?;
    let asked: Rollback = call.json()?;
    let mut f = Fields::new();
    let version = f.int("version", asked.version, 1..=i64::from(u32::MAX));
    f.require("version", version.is_some());
    let note = drawing::note(&mut f, asked.change_note);
    let version = f.finish(version)?.unwrap_or(1) as u64;
    if version >= current.version {
        return Err(AppError::invalid("version", format!("must be an older version than the current {}", current.version)));
    }
    let old: ShapeVersion = app
        .store
        .get_as(&MapShape::version_key(t, current.id, version))
        .await?
        .ok_or_else(|| AppError::invalid("version", "the shape has no such version"))?;
    let layer = drawing::layer_of(&app.store, t, overlay.id, current.layer_id).await?;
    let linked = drawing::links_of(&app.store, p, &overlay, &current).await?;
    let placed = drawing::check(
        &app.store,
        &overlay,
        Draft { layer: &layer, kind: current.kind, geom: &old.geom_geojson, linked: &linked, except: Some(current.id) },
    )
    .await?;
    let next = MapShape {
        version: current.version + 1,
        revision: current.revision + 1,
        updated_at: Timestamp::now(),
        updated_by_user_id: p.user_id,
        ..current.clone()
    };
    let next = drawing::with_geometry(next, old.geom_geojson, placed.checked.measures);
    let note = Some(note.unwrap_or_else(|| format!("rolled back to version {version}")));
    let data = json!({
        "shape_id": next.id, "label": next.label, "unit_id": next.unit_id, "rolled_back_to": version,
        "changes": { "version": next.version, "geom_geojson": next.geom_geojson }, "change_note": note,
    });
    let event = lookup::event(&call, crm_events::types::MAP_SHAPE_UPDATED, "overlay", overlay.id, data)?;
    let tx = drawing::lock_also(drawing::save(t, &overlay, &current, &next, &layer, note, &event)?, t, placed.also.as_ref());
    let tx = crate::notices::shape_changed(&app.store, &overlay, &next, "rolled back", p.user_id, tx).await?;
    app.store.transact(tx).await.map_err(|e| lookup::refused(p, e))?;
    let view = status::views(&app.store, t, vec![next]).await?.remove(0);
    let v = view.shape.version;
    Ok(Reply::ok(view).etag(v))
}
