//! Map overlays (M3CoreCRM §8; ADR 0026, ADR 0027): the site and floor
//! plans a buyer and a sales rep look at, every unit drawn on them in its
//! status colour. The domain is [`crm_maps`]; this crate is its
//! application layer and entry points.
//!
//! * API routes: [`ROUTES`] — overlays and their plan files, layers,
//!   alignment, shapes with their versions and links, validation, the hit
//!   test, search, the SVG render, publishing, and the public view.
//! * Worker `map_units`: [`units::follow`], the units read model (status,
//!   code, type) and the frozen `unit_type_code` of their shapes, from the
//!   `unit.*` events.
//! * Worker `map_jobs`: [`jobs::handle`], GeoJSON files' imports on the
//!   shared jobs engine ([`import_job`]).

pub mod advice;
pub mod drawing;
pub mod features;
pub mod geojson;
pub mod import_job;
pub mod jobs;
pub mod lookup;
pub mod notices;
pub mod plan;
pub mod routes;
pub mod status;
pub mod units;

use crm_auth::rbac;
use crm_events::consumer::{process_batch, SqsEvent};
use crm_events::BatchResponse;
use crm_http::contract::{HtmlDocument, NoContent, SvgDocument};
use crm_http::{route, Access, Route};
use crm_store::Store;
use lambda_http::{Body, Request, Response};

pub struct App {
    pub store: Store,
    /// Plan files (`FILES_BUCKET`, `maps/{tenant}/{overlay}/…`).
    pub files: crm_files::Files,
    /// How the jobs worker paces its deliveries (`JOB_RUN_BUDGET_SECS`).
    pub pace: crm_jobs::worker::Pace,
}

impl App {
    pub fn new(config: &aws_config::SdkConfig, env: &crm_kernel::Env) -> Result<Self, String> {
        Ok(Self {
            store: Store::from_config(config, env).map_err(|e| e.to_string())?,
            files: crm_files::Files::new(config, env),
            pace: crm_jobs::worker::Pace::from_env(env),
        })
    }

    /// Serves one request; a refusal for a security rule is audited.
    pub async fn handle(&self, req: Request) -> Response<Body> {
        crm_events::audit::serve(ROUTES, self, &self.store, req).await
    }

    /// The `map_units` worker.
    pub async fn handle_units_batch(&self, event: SqsEvent) -> BatchResponse {
        process_batch(units::CONSUMER, event, |e| async move { units::follow(&self.store, &e).await.map(|_| ()) }).await
    }

    /// The `map_jobs` worker: GeoJSON files' imports.
    pub async fn handle_jobs_batch(&self, event: SqsEvent) -> BatchResponse {
        process_batch(jobs::CONSUMER, event, |e| jobs::handle(self, e)).await
    }
}

use routes::{layers, overlays, public, shapes};

pub const ROUTES: &[Route<App>] = &[
    route!("GET /v1/maps/overlays", "MapOverlaysList", Access::Permission(rbac::OVERLAY_READ), overlays::get::handle, "List map overlays (of a project or building)", query: crate::routes::overlays::get::OverlaysQuery, reply: Vec<crm_maps::overlay::Overlay>, errors: [402 "PLAN_REQUIRED"]),
    route!("POST /v1/maps/overlays", "MapOverlaysCreate", Access::Permission(rbac::OVERLAY_MANAGE), overlays::post::handle, "Create map overlay (a presigned POST for its plan: JPG, PNG, SVG or a one-page PDF; maps.overlays.max)", body: crm_maps::overlay::OverlayChanges, reply: crate::routes::overlays::post::NewOverlay, errors: [402 "PLAN_REQUIRED", 422 "LIMIT_REACHED"]),
    route!("GET /v1/maps/overlays/{id}", "MapOverlaysGet", Access::Permission(rbac::OVERLAY_READ), overlays::id_get::handle, "Get map overlay (layers and alignment summary)", reply: crate::routes::overlays::id_get::OverlayView, errors: [402 "PLAN_REQUIRED"]),
    route!("PATCH /v1/maps/overlays/{id}", "MapOverlaysUpdate", Access::Permission(rbac::OVERLAY_MANAGE), overlays::patch::handle, "Update map overlay (If-Match)", body: crm_maps::overlay::OverlayChanges, reply: crm_maps::overlay::Overlay, errors: [402 "PLAN_REQUIRED", 412 "PRECONDITION_FAILED"]),
    route!("DELETE /v1/maps/overlays/{id}", "MapOverlaysDelete", Access::Permission(rbac::OVERLAY_MANAGE), overlays::delete::handle, "Delete map overlay (only without shapes)", reply: NoContent, errors: [402 "PLAN_REQUIRED", 409 "CONFLICT", 412 "PRECONDITION_FAILED"]),
    route!("POST /v1/maps/overlays/{id}/upload", "MapOverlayUpload", Access::Permission(rbac::OVERLAY_MANAGE), overlays::upload_post::handle, "A new upload form for the overlay's plan (while it waits for one)", reply: crm_files::UploadForm, errors: [402 "PLAN_REQUIRED", 409 "CONFLICT"]),
    route!("POST /v1/maps/overlays/{id}/confirm", "MapOverlayConfirm", Access::Permission(rbac::OVERLAY_MANAGE), overlays::confirm_post::handle, "Confirm map overlay upload (its pixel size read from the file)", reply: crm_maps::overlay::Overlay, errors: [402 "PLAN_REQUIRED", 422 "UPLOAD_MISSING", 422 "PLAN_FILE_INVALID"]),
    route!("POST /v1/maps/overlays/{id}/align", "MapOverlayAlign", Access::Permission(rbac::OVERLAY_MANAGE), overlays::align_post::handle, "Align map overlay (simple scale and offset, or georef control points fitted by least squares)", body: crm_maps::alignment::AlignmentInput, reply: crm_maps::overlay::Overlay, errors: [402 "PLAN_REQUIRED", 409 "CONFLICT", 412 "PRECONDITION_FAILED"]),
    route!("GET /v1/maps/overlays/{id}/hit", "MapOverlayHit", Access::Permission(rbac::OVERLAY_READ), overlays::hit_get::handle, "The unit at a point of the plan", query: crate::routes::overlays::hit_get::HitQuery, reply: crate::routes::overlays::hit_get::Hit, errors: [402 "PLAN_REQUIRED"]),
    route!("GET /v1/maps/overlays/{id}/search", "MapOverlaySearch", Access::Permission(rbac::OVERLAY_READ), overlays::search_get::handle, "Search the plan by unit code, unit type or component type", query: crate::routes::overlays::search_get::SearchQuery, reply: Vec<crate::plan::Found>, errors: [402 "PLAN_REQUIRED"]),
    route!("GET /v1/maps/overlays/{id}/render.svg", "MapOverlayRender", Access::Permission(rbac::OVERLAY_READ), overlays::render_get::handle, "The plan as SVG, shapes in their status colours, with labels and a legend", reply: SvgDocument, errors: [402 "PLAN_REQUIRED", 409 "CONFLICT"]),
    route!("POST /v1/maps/overlays/{id}/publish", "MapOverlayPublish", Access::Permission(rbac::OVERLAY_PUBLISH), overlays::publish_post::handle, "Publish map overlay (a new revocable public link; maps.publicViews)", reply: crate::routes::overlays::publish_post::Published, errors: [402 "PLAN_REQUIRED", 409 "CONFLICT", 412 "PRECONDITION_FAILED"]),
    route!("DELETE /v1/maps/overlays/{id}/publish", "MapOverlayUnpublish", Access::Permission(rbac::OVERLAY_PUBLISH), overlays::publish_delete::handle, "Unpublish map overlay (its public link revoked)", reply: NoContent, errors: [402 "PLAN_REQUIRED", 412 "PRECONDITION_FAILED"]),
    route!("GET /v1/maps/overlays/{id}/layers", "MapLayersList", Access::Permission(rbac::OVERLAY_READ), layers::get::handle, "List map layers (drawing order)", reply: Vec<crm_maps::layer::Layer>, errors: [402 "PLAN_REQUIRED"]),
    route!("POST /v1/maps/overlays/{id}/layers", "MapLayersCreate", Access::Permission(rbac::LAYER_MANAGE), layers::post::handle, "Create map layer (site, floor or custom)", body: crm_maps::layer::LayerChanges, reply: crm_maps::layer::Layer, errors: [402 "PLAN_REQUIRED", 422 "LIMIT_REACHED"]),
    route!("PATCH /v1/maps/overlays/{id}/layers/{layerId}", "MapLayersUpdate", Access::Permission(rbac::LAYER_MANAGE), layers::patch::handle, "Update map layer (order, visibility, opacity; If-Match)", body: crm_maps::layer::LayerChanges, reply: crm_maps::layer::Layer, errors: [402 "PLAN_REQUIRED", 412 "PRECONDITION_FAILED"]),
    route!("DELETE /v1/maps/overlays/{id}/layers/{layerId}", "MapLayersDelete", Access::Permission(rbac::LAYER_MANAGE), layers::delete::handle, "Delete map layer (only without shapes)", reply: NoContent, errors: [402 "PLAN_REQUIRED", 409 "CONFLICT", 412 "PRECONDITION_FAILED"]),
    route!("GET /v1/maps/overlays/{id}/shapes", "MapShapesList", Access::Permission(rbac::OVERLAY_READ), shapes::list_get::handle, "List map shapes (of a layer, of a kind; with their unit's status)", query: crate::routes::shapes::list_get::ShapesQuery, reply: Vec<crate::status::ShapeView>, errors: [402 "PLAN_REQUIRED"]),
    route!("POST /v1/maps/overlays/{id}/shapes", "MapShapesCreate", Access::Permission(rbac::SHAPE_MANAGE), shapes::post::handle, "Draw map shape (GeoJSON or a rectangle, linking a unit or a component; checked whole; maps.shapes.max)", body: crate::routes::shapes::post::NewShape, reply: crate::status::ShapeView, errors: [402 "PLAN_REQUIRED", 409 "CONFLICT", 422 "LIMIT_REACHED"]),
    route!("POST /v1/maps/shapes/import", "MapShapesImport", Access::Permission(rbac::SHAPE_MANAGE), shapes::import_post::handle, "Import map shapes from GeoJSON (up to 200 features, each checked whole; one bad feature writes nothing)", body: crate::routes::shapes::import_post::ShapesImport, reply: crate::routes::shapes::import_post::Imported, errors: [402 "PLAN_REQUIRED", 409 "CONFLICT", 422 "LIMIT_REACHED"]),
    route!("POST /v1/maps/shapes/import/file", "MapShapesImportFile", Access::Permission(rbac::SHAPE_MANAGE), shapes::import_file_post::handle, "Import map shapes from a GeoJSON file, through the jobs (up to 2 000 features; a job and a presigned upload form; each feature checked whole, a bad one reported on its row)", body: crate::routes::shapes::import_file_post::FileImport, reply: crm_jobs::start::Started, errors: [402 "PLAN_REQUIRED", 409 "CONFLICT"]),
    route!("POST /v1/maps/shapes/export", "MapShapesExport", Access::Permission(rbac::OVERLAY_READ), shapes::export_post::handle, "Export map shapes as a GeoJSON FeatureCollection", body: crate::routes::shapes::export_post::ShapesExport, reply: crate::geojson::Exported, errors: [402 "PLAN_REQUIRED"]),
    route!("GET /v1/maps/shapes/{id}", "MapShapesGet", Access::Permission(rbac::OVERLAY_READ), shapes::id_get::handle, "Get map shape", reply: crate::status::ShapeView, errors: [402 "PLAN_REQUIRED"]),
    route!("PATCH /v1/maps/shapes/{id}", "MapShapesUpdate", Access::Permission(rbac::SHAPE_MANAGE), shapes::patch::handle, "Redraw, move or relabel map shape (a new version with its change note; If-Match)", body: crate::routes::shapes::patch::ShapeChanges, reply: crate::status::ShapeView, errors: [402 "PLAN_REQUIRED", 409 "CONFLICT", 412 "PRECONDITION_FAILED"]),
    route!("DELETE /v1/maps/shapes/{id}", "MapShapesDelete", Access::Permission(rbac::SHAPE_MANAGE), shapes::delete::handle, "Delete map shape", reply: NoContent, errors: [402 "PLAN_REQUIRED", 409 "CONFLICT", 412 "PRECONDITION_FAILED"]),
    route!("GET /v1/maps/shapes/{id}/versions", "MapShapeVersions", Access::Permission(rbac::OVERLAY_READ), shapes::versions_get::handle, "Map shape versions (newest first, with change notes)", reply: Vec<crm_maps::map_shape::ShapeVersion>, errors: [402 "PLAN_REQUIRED"]),
    route!("POST /v1/maps/shapes/{id}/version", "MapShapeRollback", Access::Permission(rbac::SHAPE_MANAGE), shapes::version_post::handle, "Roll map shape back (an older version re-saved as the next)", body: crate::routes::shapes::version_post::Rollback, reply: crate::status::ShapeView, errors: [402 "PLAN_REQUIRED", 409 "CONFLICT", 412 "PRECONDITION_FAILED"]),
    route!("POST /v1/maps/shapes/{id}/link-unit", "MapShapeLinkUnit", Access::Permission(rbac::SHAPE_LINK), shapes::link_unit_post::handle, "Link map shape to a unit", body: crate::routes::shapes::link_unit_post::LinkUnit, reply: crate::status::ShapeView, errors: [402 "PLAN_REQUIRED", 409 "CONFLICT", 412 "PRECONDITION_FAILED"]),
    route!("POST /v1/maps/shapes/{id}/link-component", "MapShapeLinkComponent", Access::Permission(rbac::SHAPE_LINK), shapes::link_component_post::handle, "Link map shape to a unit component and its type (maps.componentShapes)", body: crate::routes::shapes::link_component_post::LinkComponent, reply: crate::status::ShapeView, errors: [402 "PLAN_REQUIRED", 409 "CONFLICT", 412 "PRECONDITION_FAILED"]),
    route!("POST /v1/maps/shapes/{id}/validate", "MapShapeValidate", Access::Permission(rbac::SHAPE_VALIDATE), shapes::validate_post::handle, "Validate map shape against its overlay now (a report with suggested fixes)", reply: crate::advice::Report, errors: [402 "PLAN_REQUIRED", 409 "CONFLICT"]),
    route!("GET /v1/public/overlays/{publicId}", "PublicOverlayGet", Access::Public, public::get::handle, "Published map overlay (read-only; no price or personal data)", reply: crate::routes::public::PublicOverlay),
    route!("GET /v1/public/overlays/{publicId}/render.svg", "PublicOverlayRender", Access::Public, public::render_get::handle, "Published map overlay as SVG", reply: SvgDocument),
    route!("GET /v1/public/overlays/{publicId}/view", "PublicOverlayView", Access::Public, public::view_get::handle, "Published map overlay viewer page (hover or tap a unit)", reply: HtmlDocument),
];

crm_runtime::function! {
    binary: "maps",
    app: App,
    build: App::new,
    handlers: {
        http "api" => App::handle,
        sqs "map_units" => App::handle_units_batch,
        sqs "map_jobs" => App::handle_jobs_batch
    },
}
