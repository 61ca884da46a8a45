//! A unit's media: `GET|POST /v1/units/{id}/media`,
//! `POST /v1/units/{id}/media/{mediaId}/confirm`,
//! `PATCH|DELETE /v1/units/{id}/media/{mediaId}`.

pub mod confirm_post;
pub mod delete;
pub mod get;
pub mod patch;
pub mod post;

use crm_http::Call;
use crm_inventory::media::Media;
use crm_inventory::unit::Unit;
use crm_kernel::AppError;

use crate::{catalogue, App};

/// The unit `{id}` and its media item `{mediaId}` (`404` otherwise).
pub(crate) async fn load(app: &App, call: &Call) -> Result<(Unit, Media), AppError> {
    let unit = catalogue::unit_of(&app.store, call).await?;
    let id = catalogue::path_id(call, "mediaId")?;
    let m = app.store.get_as::<Media>(&Media::key(unit.tenant_id, unit.id, id)).await?.ok_or(AppError::NotFound)?;
    Ok((unit, m))
}

/// A media item, with a 15-minute download link once it is ready.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct MediaView {
    #[serde(flatten)]
    pub media: Media,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub download_url: Option<String>,
}
