//! `GET /v1/units/{id}/media` — the unit's media in `sort_order`, each
//! ready one with a 15-minute download link.

use crm_http::{Call, Reply};
use crm_inventory::media::{self, Media, MediaStatus};
use crm_inventory::unit::UNIT;
use crm_kernel::{AppError, Limit};
use crm_store::{item, keys, Query};

use super::MediaView;
use crate::{catalogue, App};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let t = call.principal()?.tenant_id;
    let unit = catalogue::unit_of(&app.store, &call).await?;
    let q = Query::table(t, keys::entity_pk(t, UNIT, &unit.id.to_string())).sk_begins_with(media::PREFIX).limit(Limit::max());
    let mut all: Vec<Media> = app.store.query(q).await?.items.into_iter().map(item::from_item).collect::<Result<_, _>>()?;
    all.sort_by_key(|m| (m.sort_order, m.created_at.to_string()));
    let mut out = Vec::with_capacity(all.len());
    for m in all {
        let download_url = match m.status {
            MediaStatus::Ready => Some(app.files.download_url(&m.object_key(), &m.file_name).await?.0),
            MediaStatus::Pending => None,
        };
        out.push(MediaView { media: m, download_url });
    }
    Ok(Reply::list(out, Limit::max(), None))
}
