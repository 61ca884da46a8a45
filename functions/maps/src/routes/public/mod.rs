//! The public read-only view of a published overlay, behind its revocable
//! link (`maps.publicViews`): `GET /v1/public/overlays/{publicId}` (JSON),
//! `…/render.svg` and `…/view` (a page for a browser). It shows the plan,
//! each shape's label, unit code, type and status — never a price, an
//! owner, a contact or any other record's id. A malformed, revoked or
//! forged id, a suspended tenant, or a plan without public views all
//! answer the same `404`.

pub mod get;
pub mod render_get;
pub mod view_get;

use crm_auth::access::{AccessModel, Overrides};
use crm_auth::opaque::{same_hash, OpaqueToken};
use crm_http::Call;
use crm_kernel::AppError;
use crm_maps::overlay::Overlay;
use crm_maps::public_link::{PublicLink, TOKEN_PREFIX};
use crm_store::keys;

use crate::plan::Scene;
use crate::{lookup, App};

/// The overlay `{publicId}` opens, if its link is live and its tenant may show it.
pub async fn overlay(app: &App, call: &Call) -> Result<Overlay, AppError> {
    let raw = call.path("publicId")?;
    let token = OpaqueToken::parse(Some(TOKEN_PREFIX), &raw).ok_or(AppError::NotFound)?;
    let t = token.tenant_id;
    let link: PublicLink = app.store.get_as(&PublicLink::key(t, token.id)).await?.ok_or(AppError::NotFound)?;
    if !same_hash(&link.secret_hash, &token.hash()) {
        return Err(AppError::NotFound);
    }
    let tenant = crm_directory::tenant(&app.store, t).await?.filter(|v| v.is_active()).ok_or(AppError::NotFound)?;
    let access: AccessModel = app.store.get_as(&keys::tenant_access(t)).await?.unwrap_or_default();
    let (mut entitlements, _) = access.entitlements(&tenant.plan, &[], &Overrides::default());
    if tenant.restricted_at(crm_kernel::Timestamp::now()) {
        // An unpaid tenant past its grace publishes nothing (billing's dunning).
        entitlements = entitlements.restricted();
    }
    if !entitlements.has("maps.enabled") || !entitlements.has("maps.publicViews") {
        return Err(AppError::NotFound);
    }
    let overlay = lookup::overlay(&app.store, t, link.overlay_id).await?;
    if overlay.public_link_id != Some(link.id) {
        return Err(AppError::NotFound);
    }
    Ok(overlay)
}

/// What the public may see of a shape.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct PublicShape {
    pub id: crm_kernel::EntityId,
    pub layer_id: crm_kernel::EntityId,
    #[schemars(extend("enum" = ["unit", "component"]))]
    pub kind: &'static str,
    pub label: String,
    pub unit_code: Option<String>,
    pub unit_type_code: Option<String>,
    pub component_type_code: Option<String>,
    /// `available`, `reserved`, `sold`, `hold`, `unavailable`, or `null` (unknown).
    pub status: Option<&'static str>,
    pub geom_geojson: crm_maps::polygon::GeoJsonPolygon,
}

/// What the public may see of an overlay.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct PublicOverlay {
    pub name: String,
    pub width_px: f64,
    pub height_px: f64,
    /// The plan image (valid 15 minutes).
    pub file_url: Option<String>,
    pub layers: Vec<PublicLayer>,
    pub shapes: Vec<PublicShape>,
    pub legend: Vec<LegendEntry>,
}

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct PublicLayer {
    pub id: crm_kernel::EntityId,
    pub name: String,
    #[schemars(extend("enum" = ["site", "floor", "custom"]))]
    pub kind: &'static str,
    pub opacity: f64,
}

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct LegendEntry {
    pub status: &'static str,
    pub colour: &'static str,
    pub label: &'static str,
}

/// The public projection of `scene`: nothing but plan, labels, codes and statuses.
pub async fn project(app: &App, scene: &Scene) -> Result<PublicOverlay, AppError> {
    let (width_px, height_px) = lookup::size_of(&scene.overlay)?;
    let file_url = Some(app.files.view_url(&scene.overlay.object_key(), scene.overlay.file_version.as_deref()).await?);
    let layers =
        scene.layers.iter().map(|l| PublicLayer { id: l.id, name: l.name.clone(), kind: l.kind.as_str(), opacity: l.opacity }).collect();
    let shapes = scene
        .shapes
        .iter()
        .map(|(v, _)| PublicShape {
            id: v.shape.id,
            layer_id: v.shape.layer_id,
            kind: v.shape.kind.as_str(),
            label: v.shape.label.clone(),
            unit_code: v.unit_code.clone(),
            unit_type_code: v.shape.unit_type_code.clone(),
            component_type_code: v.shape.component_type_code.clone(),
            status: v.status.map(|s| s.as_str()),
            geom_geojson: v.shape.geom_geojson.clone(),
        })
        .collect();
    let legend = crm_maps::render::LEGEND
        .iter()
        .map(|(s, label)| LegendEntry { status: s.as_str(), colour: crm_maps::render::colour(Some(*s)), label })
        .collect();
    Ok(PublicOverlay { name: scene.overlay.name.clone(), width_px, height_px, file_url, layers, shapes, legend })
}
