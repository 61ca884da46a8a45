//! Approvals (ADR 0011): policies that say which actions need whose
//! approval, and requests that block those actions until decided.
//!
//! * The engine and the rules are the approvals port, `crm_approvals`:
//!   what any context calls before a sensitive action (tasks and deals
//!   today; inventory and campaigns next).
//! * HTTP ([`ROUTES`]): `GET|POST /v1/approvals/policies`,
//!   `GET|PATCH|DELETE /v1/approvals/policies/{id}`, `GET /v1/approvals/requests`,
//!   `GET /v1/approvals/requests/{id}`,
//!   `POST /v1/approvals/requests/{id}/approve|reject|cancel`.

pub mod routes;

use crm_auth::rbac;
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
}

pub const ROUTES: &[Route<App>] = &[
    route!(
        "GET /v1/approvals/policies",
        "ApprovalPoliciesList",
        Access::Permission(rbac::APPROVALS_REQUESTS_READ),
        routes::policies::get::handle,
        "List approval policies", query: crate::routes::policies::get::PoliciesQuery, reply: Vec<crm_approvals::policy::Policy>, errors: [412 "PRECONDITION_FAILED", 422 "LIMIT_REACHED"]),
    route!(
        "POST /v1/approvals/policies",
        "ApprovalPoliciesCreate",
        Access::Permission(rbac::APPROVALS_POLICIES_MANAGE),
        routes::policies::post::handle,
        "Create approval policy (approvals.activePolicies)", body: crm_approvals::policy::PolicyChanges, reply: crm_approvals::policy::Policy, errors: [412 "PRECONDITION_FAILED", 422 "LIMIT_REACHED"]),
    route!(
        "GET /v1/approvals/policies/{id}",
        "ApprovalPoliciesGet",
        Access::Permission(rbac::APPROVALS_REQUESTS_READ),
        routes::policies::id_get::handle,
        "Get approval policy", reply: crm_approvals::policy::Policy, errors: [412 "PRECONDITION_FAILED", 422 "LIMIT_REACHED"]),
    route!(
        "PATCH /v1/approvals/policies/{id}",
        "ApprovalPoliciesUpdate",
        Access::Permission(rbac::APPROVALS_POLICIES_MANAGE),
        routes::policies::patch::handle,
        "Update approval policy (switch on and off without code)", body: crm_approvals::policy::PolicyChanges, reply: crm_approvals::policy::Policy, errors: [412 "PRECONDITION_FAILED", 422 "LIMIT_REACHED"]),
    route!(
        "DELETE /v1/approvals/policies/{id}",
        "ApprovalPoliciesDelete",
        Access::Permission(rbac::APPROVALS_POLICIES_MANAGE),
        routes::policies::delete::handle,
        "Delete approval policy", reply: crm_http::contract::NoContent, errors: [412 "PRECONDITION_FAILED", 422 "LIMIT_REACHED"]),
    route!(
        "GET /v1/approvals/requests",
        "ApprovalRequestsList",
        Access::Permission(rbac::APPROVALS_REQUESTS_READ),
        routes::requests::get::handle,
        "List approval requests", query: crate::routes::requests::get::RequestsQuery, reply: Vec<crm_approvals::request::ApprovalRequest>),
    route!(
        "GET /v1/approvals/requests/{id}",
        "ApprovalRequestsGet",
        Access::Permission(rbac::APPROVALS_REQUESTS_READ),
        routes::requests::id_get::handle,
        "Get approval request", reply: crm_approvals::request::ApprovalRequest),
    route!(
        "POST /v1/approvals/requests/{id}/approve",
        "ApprovalRequestsApprove",
        Access::Permission(rbac::APPROVALS_DECIDE),
        routes::requests::decide::approve,
        "Approve approval request (opens the next step or grants the action)", body: routes::requests::decide::Body, reply: crm_approvals::request::ApprovalRequest, errors: [409 "CONFLICT"]),
    route!(
        "POST /v1/approvals/requests/{id}/reject",
        "ApprovalRequestsReject",
        Access::Permission(rbac::APPROVALS_DECIDE),
        routes::requests::decide::reject,
        "Reject approval request", body: routes::requests::decide::Body, reply: crm_approvals::request::ApprovalRequest, errors: [409 "CONFLICT"]),
    route!(
        "POST /v1/approvals/requests/{id}/cancel",
        "ApprovalRequestsCancel",
        Access::Permission(rbac::APPROVALS_REQUESTS_READ),
        routes::requests::decide::cancel,
        "Cancel approval request (the requester withdraws)", body: routes::requests::decide::Body, reply: crm_approvals::request::ApprovalRequest, errors: [409 "CONFLICT"]),
];

crm_runtime::function! {
    binary: "approvals",
    app: App,
    build: App::new,
    handlers: { http "api" => App::handle },
}
