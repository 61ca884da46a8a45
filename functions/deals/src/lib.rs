//! Deals and pipelines (ADR 0015; SalesOS opportunities): pipelines of
//! ordered stages, deals moving through them to won or lost, each move kept
//! in the deal's stage history; the kanban board and forecast read models
//! kept by the write path ([`board`]); big deals and discounts held for
//! approval ([`approvals`]); owners and watchers told through the
//! notifications core ([`notices`]).
//!
//! Leads live with the other CRM records (`records`); their
//! conversion creates a deal through [`write::create`].

pub mod moves;
pub mod relink;
pub mod routes;

use crm_auth::rbac;
use crm_events::consumer::{process_batch, SqsEvent};
use crm_events::BatchResponse;
use crm_http::{route, Access, Route};
use crm_kernel::Env;
use crm_store::Store;
use lambda_http::{Body, Request, Response};

pub struct App {
    pub store: Store,
}

impl App {
    pub fn new(config: &aws_config::SdkConfig, env: &Env) -> Result<Self, String> {
        Ok(Self { store: Store::from_config(config, env).map_err(|e| e.to_string())? })
    }

    /// Serves one request; a refusal for a security rule is audited
    /// (`security.refused`) in the caller's tenant.
    pub async fn handle(&self, req: Request) -> Response<Body> {
        crm_events::audit::serve(ROUTES, self, &self.store, req).await
    }

    /// The `deal_relink` worker, on its own queue: a merged contact's deals
    /// follow it ([`relink::on_merged`]).
    pub async fn handle_relink_batch(&self, event: SqsEvent) -> BatchResponse {
        process_batch(relink::CONSUMER, event, |e| async move { relink::on_merged(&self.store, &e).await.map(|_| ()) }).await
    }
}

pub const ROUTES: &[Route<App>] = &[
    route!("GET /v1/pipelines", "PipelinesList", Access::Permission(rbac::DEAL_READ), routes::pipelines::get::handle, "List pipelines", reply: Vec<crm_deals::pipeline::Pipeline>),
    route!(
        "POST /v1/pipelines",
        "PipelinesCreate",
        Access::Permission(rbac::PIPELINE_MANAGE),
        routes::pipelines::post::handle,
        "Create pipeline (a second one needs deals.multiPipelines)", body: crm_deals::pipeline::NewPipeline, reply: crm_deals::pipeline::Pipeline, errors: [402 "PLAN_REQUIRED"]),
    route!(
        "GET /v1/pipelines/{id}",
        "PipelinesGet",
        Access::Permission(rbac::DEAL_READ),
        routes::pipelines::id_get::handle,
        "Get pipeline", reply: crm_deals::pipeline::Pipeline),
    route!(
        "PATCH /v1/pipelines/{id}",
        "PipelinesUpdate",
        Access::Permission(rbac::PIPELINE_MANAGE),
        routes::pipelines::patch::handle,
        "Update pipeline (If-Match)", body: crm_deals::pipeline::PipelineChanges, reply: crm_deals::pipeline::Pipeline, errors: [412 "PRECONDITION_FAILED"]),
    route!(
        "DELETE /v1/pipelines/{id}",
        "PipelinesDelete",
        Access::Permission(rbac::PIPELINE_MANAGE),
        routes::pipelines::delete::handle,
        "Delete pipeline (only without deals)", reply: crm_http::contract::NoContent, errors: [409 "CONFLICT", 412 "PRECONDITION_FAILED"]),
    route!(
        "GET /v1/pipelines/{id}/board",
        "PipelineBoard",
        Access::Permission(rbac::DEAL_READ),
        routes::pipelines::board_get::handle,
        "Pipeline board (kanban read model)", query: crate::routes::pipelines::board_get::BoardQuery, reply: crate::routes::pipelines::board_get::Board),
    route!(
        "GET /v1/pipelines/{id}/forecast",
        "PipelineForecast",
        Access::Permission(rbac::DEAL_READ),
        routes::pipelines::forecast_get::handle,
        "Pipeline forecast (weighted, by close month)", reply: crate::routes::pipelines::forecast_get::Forecast),
    route!(
        "GET /v1/pipelines/{id}/stages",
        "PipelineStagesList",
        Access::Permission(rbac::DEAL_READ),
        routes::pipelines::stages::get::handle,
        "List pipeline stages", reply: Vec<crate::routes::pipelines::stages::get::StageView>, errors: [409 "CONFLICT", 412 "PRECONDITION_FAILED"]),
    route!(
        "POST /v1/pipelines/{id}/stages",
        "PipelineStagesCreate",
        Access::Permission(rbac::PIPELINE_MANAGE),
        routes::pipelines::stages::post::handle,
        "Create pipeline stage", body: crm_deals::pipeline::StageRequest, reply: crm_deals::pipeline::Pipeline, errors: [409 "CONFLICT", 412 "PRECONDITION_FAILED"]),
    route!(
        "PATCH /v1/pipelines/{id}/stages/{stageId}",
        "PipelineStagesUpdate",
        Access::Permission(rbac::PIPELINE_MANAGE),
        routes::pipelines::stages::patch::handle,
        "Update pipeline stage", body: crm_deals::pipeline::StageRequest, reply: crm_deals::pipeline::Pipeline, errors: [409 "CONFLICT", 412 "PRECONDITION_FAILED"]),
    route!(
        "DELETE /v1/pipelines/{id}/stages/{stageId}",
        "PipelineStagesDelete",
        Access::Permission(rbac::PIPELINE_MANAGE),
        routes::pipelines::stages::delete::handle,
        "Delete pipeline stage (only without deals)", reply: crm_http::contract::NoContent, errors: [409 "CONFLICT", 412 "PRECONDITION_FAILED"]),
    route!("GET /v1/deals", "DealsList", Access::Permission(rbac::DEAL_READ), routes::deals::get::handle, "List deals", query: crate::routes::deals::get::DealsQuery, reply: Vec<crm_deals::deal::DealReply>, errors: [412 "PRECONDITION_FAILED"]),
    route!("POST /v1/deals", "DealsCreate", Access::Permission(rbac::DEAL_CREATE), routes::deals::post::handle, "Create deal", body: crm_deals::deal::DealChanges, reply: crm_deals::deal::DealReply, errors: [412 "PRECONDITION_FAILED"]),
    route!(
        "GET /v1/deals/lost-reasons",
        "DealLostReasons",
        Access::Permission(rbac::DEAL_READ),
        routes::deals::lost_reasons_get::handle,
        "Deal lost reasons (the coded dictionary)", reply: Vec<crate::routes::deals::lost_reasons_get::LostReason>, errors: [412 "PRECONDITION_FAILED"]),
    route!("GET /v1/deals/{id}", "DealsGet", Access::Permission(rbac::DEAL_READ), routes::deals::id_get::handle, "Get deal", reply: crm_deals::deal::DealReply, errors: [412 "PRECONDITION_FAILED"]),
    route!(
        "PATCH /v1/deals/{id}",
        "DealsUpdate",
        Access::Permission(rbac::DEAL_UPDATE),
        routes::deals::patch::handle,
        "Update deal (If-Match)", body: crm_deals::deal::DealChanges, reply: crm_deals::deal::DealReply, errors: [412 "PRECONDITION_FAILED"]),
    route!(
        "DELETE /v1/deals/{id}",
        "DealsDelete",
        Access::Permission(rbac::DEAL_DELETE),
        routes::deals::delete::handle,
        "Delete deal (If-Match)", reply: crm_http::contract::NoContent, errors: [412 "PRECONDITION_FAILED"]),
    route!(
        "POST /v1/deals/{id}/move-stage",
        "DealMoveStage",
        Access::Permission(rbac::DEAL_STAGE_MOVE),
        routes::deals::move_stage_post::handle,
        "Deal move stage (approval gate deal.stage.move)", body: crate::routes::deals::move_stage_post::MoveStage, reply: crate::routes::deals::MoveReply, errors: [412 "PRECONDITION_FAILED"]),
    route!(
        "POST /v1/deals/{id}/mark-won",
        "DealMarkWon",
        Access::Permission(rbac::DEAL_MARK_WIN),
        routes::deals::mark_won_post::handle,
        "Deal mark won (approval gate deal.mark.win)", reply: crate::routes::deals::MoveReply, errors: [409 "CONFLICT", 412 "PRECONDITION_FAILED"]),
    route!(
        "POST /v1/deals/{id}/mark-lost",
        "DealMarkLost",
        Access::Permission(rbac::DEAL_MARK_LOSS),
        routes::deals::mark_lost_post::handle,
        "Deal mark lost (coded reason)", body: crate::routes::deals::mark_lost_post::MarkLost, reply: crate::routes::deals::MoveReply, errors: [409 "CONFLICT", 412 "PRECONDITION_FAILED"]),
    route!(
        "GET /v1/deals/{id}/history",
        "DealHistory",
        Access::Permission(rbac::DEAL_READ),
        routes::deals::history_get::handle,
        "Deal history (stage history)", query: crate::routes::deals::history_get::HistoryQuery, reply: crate::routes::deals::history_get::History, errors: [412 "PRECONDITION_FAILED"]),
    route!(
        "POST /v1/deals/{id}/request-approval",
        "DealRequestApproval",
        Access::Permission(rbac::DEAL_UPDATE),
        routes::deals::request_approval_post::handle,
        "Deal request approval", body: crate::routes::deals::request_approval_post::RequestApproval, reply: crate::routes::deals::request_approval_post::Needed, errors: [409 "CONFLICT", 412 "PRECONDITION_FAILED"]),
];

crm_runtime::function! {
    binary: "deals",
    app: App,
    build: App::new,
    handlers: { http "api" => App::handle, sqs "deal_relink" => App::handle_relink_batch },
}
