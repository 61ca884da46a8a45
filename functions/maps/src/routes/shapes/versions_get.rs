//! `GET /v1/maps/shapes/{id}/versions` — every geometry the shape has had,
//! newest first, with its change note, who and when.

use crm_http::{Call, Reply};
use crm_kernel::AppError;
use crm_maps::map_shape::{self, MapShape, ShapeVersion};
use crm_store::{item, Query};

use crate::{lookup, App};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let (overlay, shape) = lookup::shape_of(&app.store, &call).await?;
    let t = overlay.tenant_id;
    let (limit, cursor) = call.page()?;
    let pk = MapShape::version_key(t, shape.id, 0).pk;
    let q = Query::table(t, pk).sk_begins_with(map_shape::VERSION_PREFIX).descending().limit(limit).after(cursor);
    let page = app.store.query(q).await?;
    let versions: Vec<ShapeVersion> = page.items.into_iter().map(item::from_item).collect::<Result<_, _>>()?;
    Ok(Reply::list(versions, limit, page.next_cursor))
}
