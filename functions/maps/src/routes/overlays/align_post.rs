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
/// four transactions at a time. A chunk holding a shape written meanwhile
/// is redone shape by shape, each such shape read again and measured anew
/// (a relabel or a relink copies the measures it read; up to three tries).
async fn remeasure(app: &App, overlay: &Overlay, alignment: &Alignment) -> Result<(), AppError> {
    let shapes = lookup::shapes(&app.store, overlay.tenant_id, overlay.id).await?;
    let measured: Vec<MapShape> = shapes.iter().filter_map(|s| measure(s, alignment)).collect();
    let chunks: Vec<Vec<MapShape>> = measured.chunks(25).map(<[_]>::to_vec).collect();
    futures::stream::iter(chunks)
        .map(|next| save_chunk(app, overlay, alignment, next))
        .buffer_unordered(4)
        .try_collect::<Vec<()>>()
        .await?;
    Ok(())
}

/// `s` measured under `alignment`, at its next revision.
fn measure(s: &MapShape, alignment: &Alignment) -> Option<MapShape> {
    let polygon = s.geom_geojson.parse().ok()?;
    let mut next = MapShape { revision: s.revision + 1, ..s.clone() };
    next.set_measures(Alignment::measures(Some(alignment), &polygon));
    Some(next)
}

/// The shapes at their next revision, each written over the revision before it.
fn chunk_tx(t: crm_kernel::TenantId, shapes: &[MapShape]) -> Result<Tx, AppError> {
    let mut tx = Tx::new();
    for (i, next) in shapes.iter().enumerate() {
        let before = MapShape { revision: next.revision - 1, ..next.clone() };
        tx = tx.put_if(&format!("shape{i}"), next.to_item(t)?, before.unchanged());
    }
    Ok(tx)
}

async fn save_chunk(app: &App, overlay: &Overlay, alignment: &Alignment, shapes: Vec<MapShape>) -> Result<(), AppError> {
    let t = overlay.tenant_id;
    match app.store.transact(chunk_tx(t, &shapes)?).await {
        Err(crm_store::StoreError::ConditionFailed { .. }) => {}
        other => return other.map_err(AppError::from),
    }
    for first in shapes {
        let mut next = Some(first);
        for _ in 0..3 {
            let Some(shape) = next.take() else { break };
            match app.store.transact(chunk_tx(t, std::slice::from_ref(&shape))?).await {
                Ok(()) => break,
                Err(crm_store::StoreError::ConditionFailed { .. }) => {
                    let now: Option<MapShape> = app.store.get_as(&MapShape::key(t, overlay.id, shape.id)).await?;
                    next = now.and_then(|s| measure(&s, alignment));
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(())
}
