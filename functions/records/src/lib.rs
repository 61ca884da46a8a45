//! CRM records: companies — the SalesOS
//! "accounts" —, contacts, and leads before they become them. Every list is a key condition (no
//! Scan); search is a prefix query on index items written in the same
//! transaction as the record ([`search_index`]).

pub mod channel;
pub mod companies;
pub mod company;
pub mod contact;
pub mod contact_import;
pub mod contacts;
pub mod conversion;
pub mod csv_rows;
pub mod csv_stream;
pub mod import;
pub mod job;
pub mod jobs;
pub mod lead;
pub mod lead_import;
pub mod lead_rules;
pub mod leads;
pub mod routes;
pub mod search_index;
pub mod segment;
pub mod transfers;
pub mod verification;

pub use crm_records::custom_fields;

use crm_auth::rbac;
use crm_http::{route, Access, Route};
use crm_kernel::Env;
use crm_store::Store;
use lambda_http::{Body, Request, Response};

pub struct App {
    pub store: Store,
    pub files: crm_files::Files,
    /// `FAULT_IMPORT_CRASH_AFTER_ROWS` ([`App::crash_import_after`]).
    #[cfg(feature = "fault-injection")]
    crash_import_after: Option<u32>,
    /// How long one jobs delivery works before handing over ([`jobs::RUN_BUDGET`]).
    pub job_run_budget: std::time::Duration,
    /// Web-form posts a minute per API key (`LEAD_CAPTURE_PER_MINUTE`).
    pub capture_per_minute: i64,
}

impl App {
    pub fn new(config: &aws_config::SdkConfig, env: &Env) -> Result<Self, String> {
        Ok(Self {
            store: Store::from_config(config, env).map_err(|e| e.to_string())?,
            files: crm_files::Files::new(config, env),
            #[cfg(feature = "fault-injection")]
            crash_import_after: env.get("FAULT_IMPORT_CRASH_AFTER_ROWS").and_then(|v| v.parse().ok()),
            job_run_budget: env
                .get("JOB_RUN_BUDGET_SECS")
                .and_then(|v| v.parse().ok())
                .map(std::time::Duration::from_secs)
                .unwrap_or(jobs::RUN_BUDGET),
            capture_per_minute: env
                .get("LEAD_CAPTURE_PER_MINUTE")
                .and_then(|v| v.parse().ok())
                .unwrap_or(routes::leads::capture_post::PER_MINUTE),
        })
    }

    /// After how many rows a job's first delivery dies before its checkpoint
    /// (`FAULT_IMPORT_CRASH_AFTER_ROWS`): the crash the retry must survive.
    /// A test hook, compiled in only with the `fault-injection` feature,
    /// which only the e2e tests enable; always `None` in a deployed function.
    pub fn crash_import_after(&self) -> Option<u32> {
        #[cfg(feature = "fault-injection")]
        return self.crash_import_after;
        #[cfg(not(feature = "fault-injection"))]
        None
    }

    /// Serves one request; a refusal for a security rule is audited
    /// (`security.refused`) in the caller's tenant.
    pub async fn handle(&self, req: Request) -> Response<Body> {
        crm_events::audit::serve(ROUTES, self, &self.store, req).await
    }

    /// The `jobs` worker: imports and exports, on the jobs queue.
    pub async fn handle_jobs_batch(&self, event: crm_events::SqsEvent) -> crm_events::BatchResponse {
        crm_events::consumer::process_batch(jobs::CONSUMER, event, |e| jobs::handle(self, e)).await
    }
}

pub const ROUTES: &[Route<App>] = &[
    route!("POST /v1/companies", Access::Permission(rbac::COMPANY_CREATE), routes::companies::post::handle),
    route!("GET /v1/companies", Access::Permission(rbac::COMPANY_READ), routes::companies::get::handle),
    route!("GET /v1/companies/{id}", Access::Permission(rbac::COMPANY_READ), routes::companies::id_get::handle),
    route!("PATCH /v1/companies/{id}", Access::Permission(rbac::COMPANY_UPDATE), routes::companies::patch::handle),
    route!("DELETE /v1/companies/{id}", Access::Permission(rbac::COMPANY_DELETE), routes::companies::delete::handle),
    route!("POST /v1/contacts", Access::Permission(rbac::CONTACT_CREATE), routes::contacts::post::handle),
    route!("POST /v1/contacts/dedupe/check", Access::Permission(rbac::CONTACT_READ), routes::contacts::dedupe_check_post::handle),
    route!("POST /v1/contacts/import", Access::Permission(rbac::CONTACT_CREATE), routes::contacts::import_post::handle),
    route!("POST /v1/contacts/export", Access::Permission(rbac::CONTACT_READ), routes::contacts::export_post::handle),
    route!("GET /v1/jobs", Access::Permission(rbac::CONTACT_READ), routes::jobs::get::handle),
    route!("GET /v1/jobs/{id}", Access::Permission(rbac::CONTACT_READ), routes::jobs::id_get::handle),
    route!("POST /v1/jobs/{id}/start", Access::Permission(rbac::CONTACT_CREATE), routes::jobs::start_post::handle),
    route!("POST /v1/contacts/merge", Access::Permission(rbac::CONTACT_MERGE), routes::contacts::merge_post::handle),
    route!("GET /v1/contacts", Access::Permission(rbac::CONTACT_READ), routes::contacts::get::handle),
    route!("GET /v1/contacts/{id}", Access::Permission(rbac::CONTACT_READ), routes::contacts::id_get::handle),
    route!("PATCH /v1/contacts/{id}", Access::Permission(rbac::CONTACT_UPDATE), routes::contacts::patch::handle),
    route!("DELETE /v1/contacts/{id}", Access::Permission(rbac::CONTACT_DELETE), routes::contacts::delete::handle),
    route!("POST /v1/contacts/{id}/channels", Access::Permission(rbac::CONTACT_UPDATE), routes::contacts::channels_post::handle),
    route!(
        "DELETE /v1/contacts/{id}/channels/{channelId}",
        Access::Permission(rbac::CONTACT_UPDATE),
        routes::contacts::channel_delete::handle
    ),
    route!(
        "POST /v1/contacts/{id}/channels/{channelId}/verify/start",
        Access::Permission(rbac::CONTACT_UPDATE),
        routes::contacts::verify::start
    ),
    route!(
        "POST /v1/contacts/{id}/channels/{channelId}/verify/confirm",
        Access::Permission(rbac::CONTACT_UPDATE),
        routes::contacts::verify::confirm
    ),
    route!("POST /v1/contacts/{id}/opt-in", Access::Permission(rbac::CONTACT_CONSENT_MANAGE), routes::contacts::consent_post::opt_in),
    route!("POST /v1/contacts/{id}/opt-out", Access::Permission(rbac::CONTACT_CONSENT_MANAGE), routes::contacts::consent_post::opt_out),
    route!("GET /v1/custom-fields/definitions", Access::Permission(rbac::CONTACT_READ), routes::custom_fields::get::handle),
    route!("POST /v1/custom-fields/definitions", Access::Permission(rbac::CUSTOMFIELDS_MANAGE), routes::custom_fields::post::handle),
    route!("PATCH /v1/custom-fields/definitions/{id}", Access::Permission(rbac::CUSTOMFIELDS_MANAGE), routes::custom_fields::patch::handle),
    route!(
        "DELETE /v1/custom-fields/definitions/{id}",
        Access::Permission(rbac::CUSTOMFIELDS_MANAGE),
        routes::custom_fields::delete::handle
    ),
    route!("GET /v1/leads", Access::Permission(rbac::LEAD_READ), routes::leads::get::handle),
    route!("POST /v1/leads", Access::Permission(rbac::LEAD_CREATE), routes::leads::post::handle),
    route!("POST /v1/leads/capture", Access::Permission(rbac::LEAD_CREATE), routes::leads::capture_post::handle),
    route!("POST /v1/leads/import", Access::Permission(rbac::LEAD_IMPORT), routes::leads::import_post::handle),
    route!("GET /v1/leads/scoring-rules", Access::Permission(rbac::LEAD_READ), routes::leads::scoring_rules::get),
    route!("PUT /v1/leads/scoring-rules", Access::Permission(rbac::LEAD_RULES_MANAGE), routes::leads::scoring_rules::put),
    route!("GET /v1/leads/assignment", Access::Permission(rbac::LEAD_READ), routes::leads::assignment::get),
    route!("PUT /v1/leads/assignment", Access::Permission(rbac::LEAD_RULES_MANAGE), routes::leads::assignment::put),
    route!("GET /v1/leads/{id}", Access::Permission(rbac::LEAD_READ), routes::leads::id_get::handle),
    route!("PATCH /v1/leads/{id}", Access::Permission(rbac::LEAD_UPDATE), routes::leads::patch::handle),
    route!("DELETE /v1/leads/{id}", Access::Permission(rbac::LEAD_DELETE), routes::leads::delete::handle),
    route!("POST /v1/leads/{id}/convert", Access::Permission(rbac::LEAD_CONVERT), routes::leads::convert_post::handle),
    route!("POST /v1/leads/{id}/score", Access::Permission(rbac::LEAD_UPDATE), routes::leads::score_post::handle),
    route!("GET /v1/segments", Access::Permission(rbac::CONTACT_READ), routes::segments::get::handle),
    route!("POST /v1/segments", Access::Permission(rbac::SEGMENT_MANAGE), routes::segments::post::handle),
    route!("PATCH /v1/segments/{id}", Access::Permission(rbac::SEGMENT_MANAGE), routes::segments::patch::handle),
    route!("DELETE /v1/segments/{id}", Access::Permission(rbac::SEGMENT_MANAGE), routes::segments::delete::handle),
    route!("GET /v1/segments/{id}/run", Access::Permission(rbac::CONTACT_READ), routes::segments::run_get::handle),
];

crm_runtime::function! {
    binary: "records",
    app: App,
    build: App::new,
    handlers: { http "api" => App::handle, sqs "jobs" => App::handle_jobs_batch },
}
