//! `PATCH /v1/units/{id}/media/{mediaId}` `{caption?, sort_order?}` — the
//! gallery reordered or captioned. `If-Match` honoured.

use crm_http::{Call, Reply};
use crm_inventory::media::Media;
use crm_kernel::fields::{Fields, Input};
use crm_kernel::AppError;
use crm_store::tx::Condition;
use crm_store::Tx;

use crate::{catalogue, App};

/// The body of `UnitMediaUpdate`.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct MediaChanges {
    #[schemars(length(max = 300))]
    pub caption: Input<String>,
    #[schemars(range(min = 0, max = 1000))]
    pub sort_order: Input<i64>,
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let (_, m) = super::load(app, &call).await?;
    catalogue::if_match(&call, m.version)?;
    let c: MediaChanges = call.json()?;
    let mut f = Fields::new();
    let mut next = m.clone();
    if let Some(v) = f.text("caption", c.caption, 300) {
        next.caption = v;
    }
    if let Some(n) = match c.sort_order {
        Input::Absent => None,
        other => f.int("sort_order", other, 0..=1000),
    } {
        next.sort_order = n as i32;
    }
    let mut next: Media = f.finish(next)?;
    if next == m {
        return Ok(Reply::ok(&m).etag(m.version));
    }
    next.version = m.version + 1;
    let tx = Tx::new().put_if("media", next.to_item()?, Condition::version_is(m.version));
    app.store.transact(tx).await.map_err(|e| catalogue::refused(p, e))?;
    Ok(Reply::ok(&next).etag(next.version))
}
