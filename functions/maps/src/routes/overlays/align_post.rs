//! `POST /v1/maps/overlays/{id}/align` — how the plan's pixels map to the
//! world ([`crm_maps::alignment`]): `simple` (a scale and an offset) or
//! `georef` (an affine transform fitted by least squares to three or more
//! control points, each point's residual and their RMS reported; a fit
//! above the tolerance is refused as a field error `RESIDUAL_TOO_LARGE`).
//! The SRID defaults to the overlay's. Every shape of the overlay is then
//! measured again in metres; a shape checked under the old alignment and
//! not yet written is refused (every layer's revision moves) and checks
//! again. `If-Match` honoured. `map.overlay.aligned`.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, Timestamp};
use crm_maps::alignment::{Alignment, AlignmentInput};
use crm_maps::map_shape::MapShape;
use crm_maps::overlay::Overlay;
use crm_store::tx::Condition;
use crm_store::Tx;
use futures::{StreamExt, TryStreamExt};
use serde_json::json;

use crate::{lookup, App};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let current = lookup::overlay_of(&app.store, &call).await?;
    lookup::if_match(&call, current.version)?;
    lookup::size_of(&current)?;
    let mut asked: AlignmentInput = call.json()?;
    match &mut asked {
        AlignmentInput::Simple { srid, .. } | AlignmentInput::Georef { srid, .. } => *srid = Some(srid.unwrap_or(current.srid)),
    }
    let alignment = asked.fit().map_err(|v| AppError::invalid_fields(vec![v.field_error()]))?;
    let next = Overlay {
        srid: alignment.srid,
        alignment: Some(alignment.clone()),
        updated_at: Timestamp::now(),
        version: current.version + 1,
        ..current.clone()
    };
    let data = json!({ "method": alignment.method, "srid": alignment.srid, "control_points": alignment.control_points.len(), "residual_rms": alignment.residual_rms });
    let event = lookup::event(&call, crm_events::types::MAP_OVERLAY_ALIGNED, "overlay", current.id, data)?;
    let mut tx = Tx::new().put_if("overlay", next.to_item()?, Condition::version_is(current.version)).emit_audited(&event);
    // A shape checked under the old alignment and not yet written must check again: every layer's revision moves.
    for (i, l) in lookup::layers(&app.store, current.tenant_id, current.id).await?.iter().enumerate() {
        tx = tx.add(
            &format!("layer{i}"),
            &crm_maps::layer::Layer::key(current.tenant_id, current.id, l.id),
            &[("revision", 1)],
            Condition::exists(),
        );
    }
    app.store.transact(tx).await.map_err(|e| lookup::refused(p, e))?;
    remeasure(app, &next, &alignment).await?;
    Ok(Reply::ok(&next).etag(next.version))
}

/// Every shape of `overlay` measured under `alignment`: 25 a transaction,
/// four transactions at a time. A chunk holding a shape whose geometry
/// written meanwhile is redone shape by shape, and that shape keeps the
/// measures its own save gave it.
async fn remeasure(app: &App, overlay: &Overlay, alignment: &Alignment) -> Result<(), AppError> {
    let t = overlay.tenant_id;
    let shapes = lookup::shapes(&app.store, t, overlay.id).await?;
    let mut measured = Vec::with_capacity(shapes.len());
    for s in &shapes {
        let Ok(polygon) = s.geom_geojson.parse() else { continue };
        let mut next: MapShape = MapShape { revision: s.revision + 1, ..s.clone() };
        next.set_measures(Alignment::measures(Some(alignment), &polygon));
        measured.push((next.to_item(t)?, s.revision));
    }
    let chunks: Vec<Vec<(crm_store::Item, u64)>> = measured.chunks(25).map(<[_]>::to_vec).collect();
    futures::stream::iter(chunks).map(|items| save_chunk(app, items)).buffer_unordered(4).try_collect::<Vec<()>>().await?;
    Ok(())
}

fn chunk_tx(items: &[(crm_store::Item, u64)]) -> Tx {
    let unchanged = |r: u64| Condition::eq("revision", crm_store::AttributeValue::N(r.to_string()));
    items.iter().enumerate().fold(Tx::new(), |tx, (i, (item, r))| tx.put_if(&format!("shape{i}"), item.clone(), unchanged(*r)))
}

async fn save_chunk(app: &App, items: Vec<(crm_store::Item, u64)>) -> Result<(), AppError> {
    match app.store.transact(chunk_tx(&items)).await {
        Err(crm_store::StoreError::ConditionFailed { .. }) => {
            for one in items.chunks(1) {
                match app.store.transact(chunk_tx(one)).await {
                    Ok(()) | Err(crm_store::StoreError::ConditionFailed { .. }) => {}
                    Err(e) => return Err(AppError::from(e)),
                }
            }
            Ok(())
        }
        other => other.map_err(AppError::from),
    }
}
