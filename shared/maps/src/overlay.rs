//! An overlay (the spec's `map_overlays`): a site or floor plan of a
//! project or a building, its file in the bucket, its pixel size as read
//! from the file, its alignment, and whether it is published.
//!
//! Stored as `T#{t}#OVERLAY#{id}` / `META`, listed by name (`by_kind`). Its
//! layers and shapes live in its partition (`LAYER#…`, `SHAPE#…`).

use crm_kernel::fields::{Fields, Input};
use crm_kernel::{AppError, EntityId, TenantId, Timestamp, UserId};
use crm_store::item::ItemExt;
use crm_store::{item, keys, Index, Item, Key, StoreError};
use serde::{Deserialize, Serialize};

use crate::alignment::Alignment;
use crate::plan_file::FileType;

pub const OVERLAY: &str = "OVERLAY";

crm_kernel::named_enum! {
    /// `awaiting_upload` until its file is confirmed and measured, then `ready`.
    pub enum OverlayStatus { AwaitingUpload = "awaiting_upload", Ready = "ready" }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Overlay {
    pub id: EntityId,
    pub tenant_id: TenantId,
    pub project_id: Option<EntityId>,
    pub building_id: Option<EntityId>,
    pub name: String,
    #[schemars(with = "String", extend("enum" = ["jpg", "png", "svg", "pdf"]))]
    pub file_type: FileType,
    #[schemars(with = "String", extend("enum" = ["awaiting_upload", "ready"]))]
    pub status: OverlayStatus,
    /// The version of the plan file that was checked and measured: the only
    /// one ever shown (an upload over it later is ignored).
    #[serde(default)]
    pub file_version: Option<String>,
    /// Read from the file on confirmation (a PDF's in points).
    pub width_px: Option<f64>,
    pub height_px: Option<f64>,
    pub dpi: Option<u32>,
    /// The SRID shapes are measured in once aligned (default 3857).
    pub srid: u32,
    pub alignment: Option<Alignment>,
    /// Told when its shapes change (`map.shape.changed`).
    pub watchers: Vec<UserId>,
    /// The live public link's id (its secret is shown once, at publish).
    pub public_link_id: Option<EntityId>,
    pub published_at: Option<Timestamp>,
    pub created_by: UserId,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: u64,
}

/// The body of `POST /v1/maps/overlays` and `PATCH /v1/maps/overlays/{id}`.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct OverlayChanges {
    /// Required on create; 1 to 120 characters.
    #[schemars(length(min = 1, max = 120))]
    pub name: Input<String>,
    /// Create only: the project it plans (or the building's project).
    pub project_id: Input<EntityId>,
    /// Create only: the building it plans (a floor plan).
    pub building_id: Input<EntityId>,
    /// Create only: `jpg`, `png`, `svg` or `pdf` (a single page).
    #[schemars(extend("enum" = ["jpg", "png", "svg", "pdf"]))]
    pub file_type: Input<String>,
    #[schemars(range(min = 1, max = 2400))]
    pub dpi: Input<i64>,
    /// The SRID of its world (default 3857); geographic ones (4326) are refused.
    #[schemars(range(min = 1024, max = 999_999))]
    pub srid: Input<i64>,
    /// Up to 20 users of the tenant, told when its shapes change.
    #[schemars(length(max = 20))]
    pub watchers: Input<Vec<Input<UserId>>>,
}

impl Overlay {
    pub fn key(t: TenantId, id: EntityId) -> Key {
        keys::entity(t, OVERLAY, id)
    }

    /// The partition its layers and shapes share.
    pub fn pk(t: TenantId, id: EntityId) -> String {
        keys::entity_pk(t, OVERLAY, &id.to_string())
    }

    /// Where its plan file is in the bucket.
    pub fn object_key(&self) -> String {
        format!("maps/{}/{}/plan.{}", self.tenant_id, self.id, self.file_type.as_str())
    }

    pub fn to_item(&self) -> Result<Item, StoreError> {
        Ok(item::to_item(&Self::key(self.tenant_id, self.id), self)?.with_str("kind", "overlay").with_index(
            Index::ByKind,
            keys::by_kind_pk(self.tenant_id, OVERLAY),
            format!("{}#{}", self.name.to_lowercase(), self.id),
        ))
    }

    /// A new overlay of `t` (its project and building resolved by the caller).
    pub fn new(t: TenantId, by: UserId, c: OverlayChanges, now: Timestamp) -> Result<(Self, Option<EntityId>, Option<EntityId>), AppError> {
        let mut f = Fields::new();
        let file_type = f.one_of("file_type", c.file_type, FileType::ALL).and_then(|k| FileType::parse(&k));
        f.require("file_type", file_type.is_some());
        let project = f.entity_id("project_id", c.project_id).flatten();
        let building = f.entity_id("building_id", c.building_id).flatten();
        if project.is_none() && building.is_none() && !f.failed("project_id") && !f.failed("building_id") {
            f.error("project_id", "an overlay plans a project or a building: give project_id or building_id");
        }
        let blank = Overlay {
            id: EntityId::new(),
            tenant_id: t,
            project_id: project,
            building_id: building,
            name: String::new(),
            file_type: file_type.unwrap_or(FileType::Png),
            status: OverlayStatus::AwaitingUpload,
            file_version: None,
            width_px: None,
            height_px: None,
            dpi: None,
            srid: crate::alignment::DEFAULT_SRID,
            alignment: None,
            watchers: Vec::new(),
            public_link_id: None,
            published_at: None,
            created_by: by,
            created_at: now,
            updated_at: now,
            version: 0,
        };
        let next = blank.apply_fields(&mut f, c.name, c.dpi, c.srid, c.watchers);
        f.require("name", !next.name.is_empty());
        let next = f.finish(next)?;
        Ok((Overlay { version: 1, ..next }, project, building))
    }

    /// This overlay renamed, re-dpi'd or re-SRID'd (what a `PATCH` may change).
    pub fn apply(&self, c: OverlayChanges, now: Timestamp) -> Result<Self, AppError> {
        let mut f = Fields::new();
        for (key, given) in [
            ("project_id", c.project_id.is_present()),
            ("building_id", c.building_id.is_present()),
            ("file_type", c.file_type.is_present()),
        ] {
            if given {
                f.error(key, "is set when the overlay is created");
            }
        }
        let next = self.apply_fields(&mut f, c.name, c.dpi, c.srid, c.watchers);
        let next = f.finish(next)?;
        Ok(Overlay { updated_at: now, version: self.version + 1, ..next })
    }

    fn apply_fields(
        &self,
        f: &mut Fields,
        name: Input<String>,
        dpi: Input<i64>,
        srid: Input<i64>,
        watchers: Input<Vec<Input<UserId>>>,
    ) -> Self {
        let mut next = self.clone();
        if let Some(list) = f.id_list("watchers", watchers, 20, "user") {
            next.watchers = list;
        }
        if let Some(v) = f.text("name", name, 120) {
            match v {
                Some(v) if !v.trim().is_empty() => next.name = v.trim().to_string(),
                _ => f.error("name", "must not be empty"),
            }
        }
        match dpi {
            Input::Absent => {}
            Input::Null => next.dpi = None,
            other => next.dpi = f.int("dpi", other, 1..=2400).map(|v| v as u32),
        }
        if let Some(v) = match srid {
            Input::Absent => None,
            other => f.int("srid", other, 1024..=999_999),
        } {
            if crate::alignment::is_geographic(v as u32) {
                f.error("srid", "a world in degrees cannot measure metres: use a projected SRID such as 3857");
            } else {
                next.srid = v as u32;
            }
        }
        next
    }

    /// The plan's size, once measured.
    pub fn size(&self) -> Option<(f64, f64)> {
        self.width_px.zip(self.height_px)
    }
}
