//! `POST /v1/units/{id}/media` `{media_type, content_type, file_name,
//! caption?, sort_order?}` — a presigned POST for one image (JPEG, PNG,
//! WebP, at most 10 MB) or PDF (at most 20 MB) under the tenant's prefix:
//! the policy holds the key, the content type and the size, so the storage
//! refuses anything else. The item is `pending` until
//! `POST …/media/{mediaId}/confirm`. At most 50 per unit.

use crm_http::{Call, Reply};
use crm_inventory::media::{self, Media, MediaStatus, MediaType, MAX_PER_UNIT};
use crm_inventory::unit::{Unit, UNIT};
use crm_kernel::fields::{Fields, Input};
use crm_kernel::{AppError, EntityId, Limit, Timestamp};
use crm_store::tx::Condition;
use crm_store::{keys, Query, Tx};

use crate::{catalogue, App};

/// The body of `UnitMediaCreate`.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct NewMedia {
    #[schemars(extend("enum" = ["image", "pdf"]))]
    pub media_type: Input<String>,
    /// `image/jpeg`, `image/png`, `image/webp` (an image) or `application/pdf`.
    #[schemars(length(max = 100))]
    pub content_type: Input<String>,
    #[schemars(length(min = 1, max = 200))]
    pub file_name: Input<String>,
    #[schemars(length(max = 300))]
    pub caption: Input<String>,
    #[schemars(range(min = 0, max = 1000))]
    pub sort_order: Input<i64>,
}

/// A pending media item and the form that uploads its file.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Upload {
    pub media: Media,
    pub upload: crm_files::UploadForm,
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let t = p.tenant_id;
    let unit = catalogue::unit_of(&app.store, &call).await?;
    let asked: NewMedia = call.json()?;
    let mut f = Fields::new();
    let kind = f.one_of("media_type", asked.media_type, MediaType::ALL).and_then(|k| MediaType::parse(&k));
    f.require("media_type", kind.is_some());
    let content_type = f.text("content_type", asked.content_type, 100).flatten();
    f.require("content_type", content_type.is_some());
    let file_name = f.text("file_name", asked.file_name, 200).flatten();
    f.require("file_name", file_name.is_some());
    if file_name.as_deref().is_some_and(|n| n.contains(['/', '\\', '"']) || n.chars().any(char::is_control)) {
        f.error("file_name", "must be a plain file name");
    }
    let caption = f.text("caption", asked.caption, 300).flatten();
    let existing = {
        let q = Query::table(t, keys::entity_pk(t, UNIT, &unit.id.to_string())).sk_begins_with(media::PREFIX).limit(Limit::max());
        app.store.query(q).await?.items.len()
    };
    let sort_order = match asked.sort_order {
        Input::Absent => existing as i64,
        other => f.int("sort_order", other, 0..=1000).unwrap_or(0),
    };
    let (kind, content_type, file_name) = f.finish((kind, content_type, file_name))?;
    let (kind, content_type, file_name) =
        (kind.unwrap_or(MediaType::Image), content_type.unwrap_or_default(), file_name.unwrap_or_default());
    let max = media::check(kind, &content_type)?;
    let m = Media {
        id: EntityId::new(),
        tenant_id: t,
        unit_id: unit.id,
        media_type: kind,
        content_type: content_type.clone(),
        file_name,
        caption,
        status: MediaStatus::Pending,
        size: None,
        sort_order: sort_order as i32,
        created_by: p.user_id,
        created_at: Timestamp::now(),
        version: 1,
    };
    let upload = app.files.upload_form(&m.object_key(), &content_type, max).await?;
    let tx = Tx::new().put_new("media", m.to_item()?).check("ref:unit", &Unit::key(t, unit.id), Condition::exists());
    let tx = catalogue::take_place(tx, t, unit.id, "media", MAX_PER_UNIT);
    app.store.transact(tx).await.map_err(|e| catalogue::refused(p, e))?;
    Ok(Reply::created(format!("/v1/units/{}/media/{}", unit.id, m.id), Upload { media: m, upload }))
}
