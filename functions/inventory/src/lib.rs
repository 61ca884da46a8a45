//! Property inventory (M3CoreCRM §7; ADR 0024): what a developer's sales
//! team sells from. The domain is [`crm_inventory`]; this crate is its
//! application layer and entry points.
//!
//! * API routes: [`ROUTES`] — projects, buildings, units and components,
//!   the type-code dictionaries, prices, the status machine, reservations
//!   and courtesy holds, deposits, payment plans and schedules, availability.
//! * Worker `inventory_reactor`: [`reactor::on_deal`], units following their
//!   deal (`deal.won`, `deal.lost`, `deal.deleted`).
//! * Worker `unit_availability`: [`availability::project`], the availability
//!   read model from the `unit.*` events.
//! * Worker `unit_jobs`: [`jobs::handle`], units CSV imports and exports on
//!   the shared jobs engine (`crm_jobs`).
//! * Function `inventory_clock`: one-time schedules coming due
//!   ([`Clock`]): a reservation's expiry, a future price.

pub mod availability;
pub mod catalogue;
pub mod finding;
pub mod gate;
pub mod jobs;
pub mod notices;
pub mod pricing;
pub mod reactor;
pub mod reserving;
pub mod routes;
pub mod statuses;
pub mod unit_export;
pub mod unit_import;
pub mod waitlist;

use crm_auth::rbac;
use crm_events::consumer::{process_batch, SqsEvent};
use crm_events::BatchResponse;
use crm_http::{route, Access, Route};
use crm_store::Store;
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};

pub struct App {
    pub store: Store,
    /// The inventory clock: `INVENTORY_SCHEDULE_GROUP`, `INVENTORY_TARGET_ARN`, `INVENTORY_ROLE_ARN`.
    pub clock: crm_schedule::Scheduler,
    /// Unit media (`FILES_BUCKET`, `media/{tenant}/…`) and the units jobs' files (`transfers/{tenant}/…`).
    pub files: crm_files::Files,
    /// How the jobs worker paces its deliveries (`JOB_RUN_BUDGET_SECS`).
    pub pace: crm_jobs::worker::Pace,
}

/// What the inventory clock's schedules carry.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Clock {
    ReservationExpiry(reserving::Expiry),
    PriceDue(pricing::PriceDue),
}

impl App {
    pub fn new(config: &aws_config::SdkConfig, env: &crm_kernel::Env) -> Result<Self, String> {
        Ok(Self {
            store: Store::from_config(config, env).map_err(|e| e.to_string())?,
            clock: crm_schedule::Scheduler::new(config, env, "INVENTORY", "inventory schedule"),
            files: crm_files::Files::new(config, env),
            pace: crm_jobs::worker::Pace::from_env(env),
        })
    }

    /// Serves one request; a refusal for a security rule is audited
    /// (`security.refused`) in the caller's tenant.
    pub async fn handle(&self, req: Request) -> Response<Body> {
        crm_events::audit::serve(ROUTES, self, &self.store, req).await
    }

    /// The `inventory_reactor` worker.
    pub async fn handle_reactor_batch(&self, event: SqsEvent) -> BatchResponse {
        process_batch(reactor::CONSUMER, event, |e| async move { reactor::on_deal(&self.store, &self.clock, &e).await.map(|_| ()) }).await
    }

    /// The `unit_availability` worker.
    pub async fn handle_availability_batch(&self, event: SqsEvent) -> BatchResponse {
        process_batch(availability::CONSUMER, event, |e| async move { availability::project(&self.store, &e).await.map(|_| ()) }).await
    }

    /// The `unit_jobs` worker: units imports and exports.
    pub async fn handle_jobs_batch(&self, event: SqsEvent) -> BatchResponse {
        process_batch(jobs::CONSUMER, event, |e| jobs::handle(self, e)).await
    }

    /// The `inventory_clock` function: a schedule's input, decoded.
    pub async fn run_clock(&self, event: serde_json::Value) -> Result<serde_json::Value, String> {
        let due: Clock = crm_runtime::decode("inventory_clock", event)?;
        match due {
            Clock::ReservationExpiry(e) => reserving::on_expiry(&self.store, e).await,
            Clock::PriceDue(d) => pricing::on_due(&self.store, d).await,
        }
        .map_err(|e| e.to_string())
    }
}

use routes::admin::type_codes as codes;
use routes::{buildings, payment_plans, projects, units};

pub const ROUTES: &[Route<App>] = &[
    route!("GET /v1/projects", "ProjectsList", Access::Permission(rbac::UNIT_READ), projects::get::handle, "List projects", reply: Vec<crm_inventory::project::Project>, errors: [400 "VALIDATION_ERROR"]),
    route!("POST /v1/projects", "ProjectsCreate", Access::Permission(rbac::PROJECT_MANAGE), projects::post::handle, "Create project (with its reservation policy)", body: crm_inventory::project::ProjectChanges, reply: crm_inventory::project::Project),
    route!("GET /v1/projects/{id}", "ProjectsGet", Access::Permission(rbac::UNIT_READ), projects::id_get::handle, "Get project (with its buildings and unit counts)", reply: crate::routes::projects::id_get::ProjectView),
    route!("PATCH /v1/projects/{id}", "ProjectsUpdate", Access::Permission(rbac::PROJECT_MANAGE), projects::patch::handle, "Update project (If-Match)", body: crm_inventory::project::ProjectChanges, reply: crm_inventory::project::Project, errors: [412 "PRECONDITION_FAILED"]),
    route!("DELETE /v1/projects/{id}", "ProjectsDelete", Access::Permission(rbac::PROJECT_MANAGE), projects::delete::handle, "Delete project (only without buildings)", reply: crm_http::contract::NoContent, errors: [409 "CONFLICT", 412 "PRECONDITION_FAILED"]),
    route!("GET /v1/projects/{id}/availability", "ProjectAvailability", Access::Permission(rbac::UNIT_READ), projects::availability_get::handle, "Project availability (units by status and type, value available)", reply: crm_inventory::availability::Availability),
    route!("GET /v1/buildings", "BuildingsList", Access::Permission(rbac::UNIT_READ), buildings::get::handle, "List buildings (of a project)", query: crate::routes::buildings::get::BuildingsQuery, reply: Vec<crm_inventory::building::Building>),
    route!("POST /v1/buildings", "BuildingsCreate", Access::Permission(rbac::BUILDING_MANAGE), buildings::post::handle, "Create building", body: crm_inventory::building::BuildingChanges, reply: crm_inventory::building::Building, errors: [409 "CONFLICT"]),
    route!("GET /v1/buildings/{id}", "BuildingsGet", Access::Permission(rbac::UNIT_READ), buildings::id_get::handle, "Get building (with a page of its units)", query: crate::routes::buildings::id_get::BuildingQuery, reply: crate::routes::buildings::id_get::BuildingView),
    route!("PATCH /v1/buildings/{id}", "BuildingsUpdate", Access::Permission(rbac::BUILDING_MANAGE), buildings::patch::handle, "Update building (If-Match)", body: crm_inventory::building::BuildingChanges, reply: crm_inventory::building::Building, errors: [409 "CONFLICT", 412 "PRECONDITION_FAILED"]),
    route!("DELETE /v1/buildings/{id}", "BuildingsDelete", Access::Permission(rbac::BUILDING_MANAGE), buildings::delete::handle, "Delete building (only without units)", reply: crm_http::contract::NoContent, errors: [409 "CONFLICT", 412 "PRECONDITION_FAILED"]),
    route!("GET /v1/units", "UnitsList", Access::Permission(rbac::UNIT_READ), units::get::handle, "List units (project, building, type, status, price, bedrooms, size)", query: crate::routes::units::get::UnitsQuery, reply: Vec<crm_inventory::unit::Unit>),
    route!("POST /v1/units", "UnitsCreate", Access::Permission(rbac::UNIT_UPDATE), units::post::handle, "Create unit (units.max)", body: crm_inventory::unit::UnitChanges, reply: crm_inventory::unit::Unit, errors: [409 "CONFLICT", 422 "LIMIT_REACHED"]),
    route!(
        "POST /v1/units/bulk",
        "UnitsBulkEdit",
        Access::Permission(rbac::UNIT_UPDATE),
        units::bulk_post::handle,
        "Bulk status or price change (units.bulkEdit; each unit through the status machine and the approvals gate)", body: crate::routes::units::bulk_post::BulkEdit, reply: crate::routes::units::bulk_post::BulkResult,
        errors: [402 "PLAN_REQUIRED"]),
    route!("POST /v1/units/import", "UnitsImport", Access::Permission(rbac::UNIT_UPDATE), units::import_post::handle, "Import units (a CSV through the import jobs; units.bulkEdit)", reply: crm_jobs::start::Started, errors: [402 "PLAN_REQUIRED"]),
    route!("POST /v1/units/export", "UnitsExport", Access::Permission(rbac::UNIT_READ), units::export_post::handle, "Export units (a CSV of the filtered units, as a job; units.bulkEdit)", body: crate::finding::UnitFilter, reply: crm_jobs::job::JobView, errors: [402 "PLAN_REQUIRED"]),
    route!("GET /v1/units/{id}", "UnitsGet", Access::Permission(rbac::UNIT_READ), units::id_get::handle, "Get unit (with components and its reservation)", reply: crate::routes::units::id_get::UnitView),
    route!("PATCH /v1/units/{id}", "UnitsUpdate", Access::Permission(rbac::UNIT_UPDATE), units::patch::handle, "Update unit (If-Match)", body: crm_inventory::unit::UnitChanges, reply: crm_inventory::unit::Unit, errors: [409 "CONFLICT", 412 "PRECONDITION_FAILED"]),
    route!("DELETE /v1/units/{id}", "UnitsDelete", Access::Permission(rbac::UNIT_DELETE), units::delete::handle, "Delete unit (not reserved or sold)", reply: crm_http::contract::NoContent, errors: [409 "SOLD_IS_FINAL", 409 "RESERVATION_ACTIVE", 412 "PRECONDITION_FAILED"]),
    route!(
        "PATCH /v1/units/{id}/status",
        "UnitStatusSet",
        Access::Permission(rbac::UNIT_STATUS_UPDATE),
        units::status_patch::handle,
        "Unit status (the status machine; sold without a deal: approval gate unit.status.sold)", body: crate::routes::units::status_patch::StatusChange, reply: crate::gate::GatedReply<crm_inventory::unit::Unit>,
        errors: [409 "RESERVE_WITH_A_RESERVATION", 409 "RESERVATION_ACTIVE", 409 "SOLD_IS_FINAL", 412 "PRECONDITION_FAILED", 422 "APPROVAL_REQUIRED"]),
    route!(
        "POST /v1/units/{id}/price",
        "UnitPriceSet",
        Access::Permission(rbac::UNIT_PRICE_UPDATE),
        units::price_post::handle,
        "Unit price (now or at effective_at; with history; approval gate unit.price.update)", body: crate::routes::units::price_post::NewPrice, reply: crate::gate::GatedReply<crm_inventory::unit::Unit>, errors: [412 "PRECONDITION_FAILED", 422 "APPROVAL_REQUIRED"]),
    route!("GET /v1/units/{id}/prices", "UnitPriceHistory", Access::Permission(rbac::UNIT_READ), units::prices_get::handle, "Unit price history", reply: Vec<crate::pricing::PriceEntry>),
    route!(
        "POST /v1/units/{id}/payment-schedule",
        "UnitPaymentSchedule",
        Access::Permission(rbac::UNIT_READ),
        units::payment_schedule_post::handle,
        "Unit payment schedule (a plan applied to its price)", body: crate::routes::units::payment_schedule_post::ScheduleAsk, reply: crate::routes::units::payment_schedule_post::Schedule),
    route!("GET /v1/units/{id}/media", "UnitMediaList", Access::Permission(rbac::UNIT_READ), units::media::get::handle, "List unit media (gallery order, download links)", reply: Vec<crate::routes::units::media::MediaView>),
    route!(
        "POST /v1/units/{id}/media",
        "UnitMediaCreate",
        Access::Permission(rbac::UNIT_UPDATE),
        units::media::post::handle,
        "Add unit media (a presigned POST: images and PDFs, type and size in the policy)", body: crate::routes::units::media::post::NewMedia, reply: crate::routes::units::media::post::Upload,
        errors: [422 "LIMIT_REACHED"]),
    route!("POST /v1/units/{id}/media/{mediaId}/confirm", "UnitMediaConfirm", Access::Permission(rbac::UNIT_UPDATE), units::media::confirm_post::handle, "Confirm unit media upload", reply: crate::routes::units::media::MediaView, errors: [422 "UPLOAD_MISSING"]),
    route!("PATCH /v1/units/{id}/media/{mediaId}", "UnitMediaUpdate", Access::Permission(rbac::UNIT_UPDATE), units::media::patch::handle, "Reorder or caption unit media (If-Match)", body: crate::routes::units::media::patch::MediaChanges, reply: crm_inventory::media::Media, errors: [412 "PRECONDITION_FAILED"]),
    route!("DELETE /v1/units/{id}/media/{mediaId}", "UnitMediaDelete", Access::Permission(rbac::UNIT_UPDATE), units::media::delete::handle, "Delete unit media (If-Match)", reply: crm_http::contract::NoContent, errors: [412 "PRECONDITION_FAILED"]),
    route!("GET /v1/units/{id}/components", "UnitComponentsList", Access::Permission(rbac::UNIT_READ), units::components::get::handle, "List unit components", reply: Vec<crm_inventory::component::Component>),
    route!("POST /v1/units/{id}/components", "UnitComponentsCreate", Access::Permission(rbac::UNIT_COMPONENT_MANAGE), units::components::post::handle, "Create unit component", body: crm_inventory::component::ComponentChanges, reply: crm_inventory::component::Component, errors: [422 "LIMIT_REACHED"]),
    route!("PATCH /v1/units/{id}/components/{componentId}", "UnitComponentsUpdate", Access::Permission(rbac::UNIT_COMPONENT_MANAGE), units::components::patch::handle, "Update unit component (If-Match)", body: crm_inventory::component::ComponentChanges, reply: crm_inventory::component::Component, errors: [412 "PRECONDITION_FAILED"]),
    route!("DELETE /v1/units/{id}/components/{componentId}", "UnitComponentsDelete", Access::Permission(rbac::UNIT_COMPONENT_MANAGE), units::components::delete::handle, "Delete unit component (If-Match)", reply: crm_http::contract::NoContent, errors: [412 "PRECONDITION_FAILED"]),
    route!("GET /v1/units/{id}/reservations", "UnitReservationsList", Access::Permission(rbac::UNIT_READ), units::reservations::get::handle, "List unit reservations", reply: Vec<crm_inventory::reservation::Reservation>),
    route!(
        "POST /v1/units/{id}/reservations",
        "UnitReserve",
        Access::Permission(rbac::UNIT_RESERVE),
        units::reservations::post::handle,
        "Reserve unit (or a courtesy hold); one active per unit", body: crate::routes::units::reservations::post::NewReservation, reply: crate::routes::units::reservations::Reserved,
        errors: [409 "UNIT_NOT_AVAILABLE", 422 "LIMIT_REACHED"]),
    route!("DELETE /v1/units/{id}/reservations/{reservationId}", "UnitReservationRelease", Access::Permission(rbac::UNIT_RESERVE), units::reservations::delete::handle, "Release unit reservation", reply: crm_http::contract::NoContent, errors: [403 "FORBIDDEN", 409 "RESERVATION_ENDED", 412 "PRECONDITION_FAILED"]),
    route!(
        "POST /v1/units/{id}/reservations/{reservationId}/extend",
        "UnitReservationExtend",
        Access::Permission(rbac::UNIT_RESERVE),
        units::reservations::extend_post::handle,
        "Extend unit reservation (past the policy: approval gate unit.reservation.extend)", body: crate::routes::units::reservations::extend_post::Extend, reply: crate::gate::GatedReply<crm_inventory::reservation::Reservation>,
        errors: [403 "FORBIDDEN", 409 "HOLD_NOT_EXTENDABLE", 409 "RESERVATION_ENDED", 412 "PRECONDITION_FAILED", 422 "APPROVAL_REQUIRED"]),
    route!(
        "POST /v1/units/{id}/reservations/{reservationId}/deposit",
        "UnitReservationDeposit",
        Access::Permission(rbac::UNIT_RESERVE),
        units::reservations::deposit_post::handle,
        "Record reservation deposit", body: crate::routes::units::reservations::deposit_post::NewDeposit, reply: crm_inventory::reservation::Reservation, errors: [403 "FORBIDDEN", 409 "NOT_A_RESERVATION", 409 "RESERVATION_ENDED", 412 "PRECONDITION_FAILED"]),
    route!("GET /v1/units/{id}/waitlist", "UnitWaitlistList", Access::Permission(rbac::UNIT_READ), units::waitlist::get::handle, "Unit waitlist (first come first)", reply: Vec<crm_inventory::waitlist::Entry>),
    route!(
        "POST /v1/units/{id}/waitlist",
        "UnitWaitlistJoin",
        Access::Permission(rbac::UNIT_RESERVE),
        units::waitlist::post::handle,
        "Queue a buyer behind the unit's reservation", body: crate::routes::units::waitlist::post::NewEntry, reply: crm_inventory::waitlist::Entry,
        errors: [409 "UNIT_AVAILABLE", 409 "SOLD_IS_FINAL", 409 "CONFLICT", 422 "LIMIT_REACHED"]),
    route!("DELETE /v1/units/{id}/waitlist/{entryId}", "UnitWaitlistLeave", Access::Permission(rbac::UNIT_RESERVE), units::waitlist::delete::handle, "Remove a waitlist entry", reply: crm_http::contract::NoContent),
    route!("GET /v1/payment-plans", "PaymentPlansList", Access::Permission(rbac::UNIT_READ), payment_plans::get::handle, "List payment plans", reply: Vec<crm_inventory::payment_plan::PaymentPlan>),
    route!("POST /v1/payment-plans", "PaymentPlansCreate", Access::Permission(rbac::PAYMENT_PLAN_MANAGE), payment_plans::post::handle, "Create payment plan (lines sum to 100 %)", body: crm_inventory::payment_plan::PlanChanges, reply: crm_inventory::payment_plan::PaymentPlan),
    route!("GET /v1/payment-plans/{id}", "PaymentPlansGet", Access::Permission(rbac::UNIT_READ), payment_plans::id_get::handle, "Get payment plan", reply: crm_inventory::payment_plan::PaymentPlan),
    route!("PATCH /v1/payment-plans/{id}", "PaymentPlansUpdate", Access::Permission(rbac::PAYMENT_PLAN_MANAGE), payment_plans::patch::handle, "Update payment plan (If-Match)", body: crm_inventory::payment_plan::PlanChanges, reply: crm_inventory::payment_plan::PaymentPlan, errors: [412 "PRECONDITION_FAILED"]),
    route!("DELETE /v1/payment-plans/{id}", "PaymentPlansDelete", Access::Permission(rbac::PAYMENT_PLAN_MANAGE), payment_plans::delete::handle, "Delete payment plan (If-Match)", reply: crm_http::contract::NoContent, errors: [412 "PRECONDITION_FAILED"]),
    route!("GET /v1/admin/unit-type-codes", "UnitTypeCodesList", Access::Permission(rbac::UNIT_READ), codes::unit_types_get, "List unit type codes (global, then the tenant's)", reply: Vec<crm_dictionaries::Entry>),
    route!("POST /v1/admin/unit-type-codes", "UnitTypeCodesCreate", Access::Permission(rbac::CODE_MANAGE), codes::unit_types_post, "Add a tenant unit type code (inventory.codeManagement)", body: crm_dictionaries::EntryChanges, reply: crm_dictionaries::Entry, errors: [402 "PLAN_REQUIRED", 409 "CONFLICT", 422 "LIMIT_REACHED"]),
    route!("PATCH /v1/admin/unit-type-codes/{code}", "UnitTypeCodesUpdate", Access::Permission(rbac::CODE_MANAGE), codes::unit_types_patch, "Relabel or (de)activate a tenant unit type code", body: crm_dictionaries::EntryChanges, reply: crm_dictionaries::Entry, errors: [402 "PLAN_REQUIRED", 412 "PRECONDITION_FAILED"]),
    route!("DELETE /v1/admin/unit-type-codes/{code}", "UnitTypeCodesDelete", Access::Permission(rbac::CODE_MANAGE), codes::unit_types_delete, "Retire a tenant unit type code", reply: crm_http::contract::NoContent, errors: [402 "PLAN_REQUIRED", 412 "PRECONDITION_FAILED"]),
    route!("GET /v1/admin/component-type-codes", "ComponentTypeCodesList", Access::Permission(rbac::UNIT_READ), codes::component_types_get, "List component type codes (global, then the tenant's)", reply: Vec<crm_dictionaries::Entry>),
    route!("POST /v1/admin/component-type-codes", "ComponentTypeCodesCreate", Access::Permission(rbac::CODE_MANAGE), codes::component_types_post, "Add a tenant component type code (inventory.codeManagement)", body: crm_dictionaries::EntryChanges, reply: crm_dictionaries::Entry, errors: [402 "PLAN_REQUIRED", 409 "CONFLICT", 422 "LIMIT_REACHED"]),
    route!("PATCH /v1/admin/component-type-codes/{code}", "ComponentTypeCodesUpdate", Access::Permission(rbac::CODE_MANAGE), codes::component_types_patch, "Relabel or (de)activate a tenant component type code", body: crm_dictionaries::EntryChanges, reply: crm_dictionaries::Entry, errors: [402 "PLAN_REQUIRED", 412 "PRECONDITION_FAILED"]),
    route!("DELETE /v1/admin/component-type-codes/{code}", "ComponentTypeCodesDelete", Access::Permission(rbac::CODE_MANAGE), codes::component_types_delete, "Retire a tenant component type code", reply: crm_http::contract::NoContent, errors: [402 "PLAN_REQUIRED", 412 "PRECONDITION_FAILED"]),
];

crm_runtime::function! {
    binary: "inventory",
    app: App,
    build: App::new,
    handlers: {
        http "api" => App::handle,
        sqs "inventory_reactor" => App::handle_reactor_batch,
        sqs "unit_availability" => App::handle_availability_batch,
        sqs "unit_jobs" => App::handle_jobs_batch,
        json "inventory_clock" => App::run_clock
    },
}
