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
pub mod jobs;
pub mod lead;
pub mod lead_import;
pub mod lead_rules;
pub mod leads;
pub mod routes;
pub mod search_index;
pub mod segment;
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
    /// How the jobs worker paces its deliveries (`JOB_RUN_BUDGET_SECS`, the test hook `FAULT_IMPORT_CRASH_AFTER_ROWS`).
    pub pace: crm_jobs::worker::Pace,
    /// Web-form posts a minute per API key (`LEAD_CAPTURE_PER_MINUTE`).
    pub capture_per_minute: i64,
}

impl App {
    pub fn new(config: &aws_config::SdkConfig, env: &Env) -> Result<Self, String> {
        Ok(Self {
            store: Store::from_config(config, env).map_err(|e| e.to_string())?,
            files: crm_files::Files::new(config, env),
            pace: crm_jobs::worker::Pace::from_env(env),
            capture_per_minute: env
                .get("LEAD_CAPTURE_PER_MINUTE")
                .and_then(|v| v.parse().ok())
                .unwrap_or(routes::leads::capture_post::PER_MINUTE),
        })
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
    route!(
        "POST /v1/companies",
        "CompaniesCreate",
        Access::Permission(rbac::COMPANY_CREATE),
        routes::companies::post::handle,
        "Create company", body: crate::company::CompanyChanges, reply: crate::company::Company),
    route!("GET /v1/companies", "CompaniesList", Access::Permission(rbac::COMPANY_READ), routes::companies::get::handle, "List companies", query: crate::routes::companies::get::CompaniesQuery, reply: Vec<crate::company::Company>),
    route!(
        "GET /v1/companies/{id}",
        "CompaniesGet",
        Access::Permission(rbac::COMPANY_READ),
        routes::companies::id_get::handle,
        "Get company", reply: crate::company::Company),
    route!(
        "PATCH /v1/companies/{id}",
        "CompaniesUpdate",
        Access::Permission(rbac::COMPANY_UPDATE),
        routes::companies::patch::handle,
        "Update company (If-Match)", body: crate::company::CompanyChanges, reply: crate::company::Company, errors: [412 "PRECONDITION_FAILED"]),
    route!(
        "DELETE /v1/companies/{id}",
        "CompaniesDelete",
        Access::Permission(rbac::COMPANY_DELETE),
        routes::companies::delete::handle,
        "Delete company", reply: crm_http::contract::NoContent, errors: [412 "PRECONDITION_FAILED"]),
    route!(
        "POST /v1/contacts",
        "ContactsCreate",
        Access::Permission(rbac::CONTACT_CREATE),
        routes::contacts::post::handle,
        "Create contact (duplicate email/phone blocked)", body: crate::contact::ContactChanges, reply: crate::contacts::ContactReply, errors: [412 "PRECONDITION_FAILED"]),
    route!(
        "POST /v1/contacts/dedupe/check",
        "ContactsDedupeCheck",
        Access::Permission(rbac::CONTACT_READ),
        routes::contacts::dedupe_check_post::handle,
        "Check contacts dedupe (blocking duplicates and soft matches)", body: crate::contact::ContactChanges, reply: crate::routes::contacts::dedupe_check_post::Matches, errors: [412 "PRECONDITION_FAILED"]),
    route!(
        "POST /v1/contacts/import",
        "ContactsImport",
        Access::Permission(rbac::CONTACT_CREATE),
        routes::contacts::import_post::handle,
        "Import contacts (a job and a presigned upload URL)", reply: crm_jobs::start::Started, errors: [412 "PRECONDITION_FAILED"]),
    route!(
        "POST /v1/contacts/export",
        "ContactsExport",
        Access::Permission(rbac::CONTACT_READ),
        routes::contacts::export_post::handle,
        "Export contacts (a CSV of the filtered contacts, as a job)", body: crate::contacts::list::Filter, reply: crm_jobs::job::JobView, errors: [412 "PRECONDITION_FAILED"]),
    route!(
        "GET /v1/jobs",
        "JobsList",
        Access::AnyOf(crm_jobs::job::READ_ANY),
        routes::jobs::get::handle,
        "List jobs (the caller's imports and exports, of the kinds they may read)", query: crate::routes::jobs::get::JobsQuery, reply: Vec<crm_jobs::job::JobView>),
    route!(
        "GET /v1/jobs/{id}",
        "JobsGet",
        Access::AnyOf(crm_jobs::job::READ_ANY),
        routes::jobs::id_get::handle,
        "Get job (progress, row errors, duplicates, download URL; its kind's read permission)", reply: crm_jobs::job::JobView),
    route!(
        "POST /v1/jobs/{id}/start",
        "JobsStart",
        Access::AnyOf(crm_jobs::job::START_ANY),
        routes::jobs::start_post::handle,
        "Start job (the upload is there, queue the import; its kind's import permission)", reply: crm_jobs::job::JobView, errors: [409 "CONFLICT", 422 "UPLOAD_MISSING", 503 "SERVICE_UNAVAILABLE"]),
    route!(
        "POST /v1/contacts/merge",
        "ContactsMerge",
        Access::Permission(rbac::CONTACT_MERGE),
        routes::contacts::merge_post::handle,
        "Merge contacts (target kept, source tombstoned)", body: routes::contacts::merge_post::Body, reply: crate::routes::contacts::merge_post::Merged, errors: [404 "NOT_FOUND", 412 "PRECONDITION_FAILED"]),
    route!("GET /v1/contacts", "ContactsList", Access::Permission(rbac::CONTACT_READ), routes::contacts::get::handle, "List contacts", query: crate::routes::contacts::get::ContactsQuery, reply: Vec<crate::contacts::ContactReply>, errors: [412 "PRECONDITION_FAILED"]),
    route!("GET /v1/contacts/{id}", "ContactsGet", Access::Permission(rbac::CONTACT_READ), routes::contacts::id_get::handle, "Get contact", reply: crate::contacts::ContactReply, errors: [412 "PRECONDITION_FAILED"]),
    route!(
        "PATCH /v1/contacts/{id}",
        "ContactsUpdate",
        Access::Permission(rbac::CONTACT_UPDATE),
        routes::contacts::patch::handle,
        "Update contact (If-Match)", body: crate::contact::ContactChanges, reply: crate::contacts::ContactReply, errors: [412 "PRECONDITION_FAILED"]),
    route!(
        "DELETE /v1/contacts/{id}",
        "ContactsDelete",
        Access::Permission(rbac::CONTACT_DELETE),
        routes::contacts::delete::handle,
        "Delete contact", reply: crm_http::contract::NoContent, errors: [412 "PRECONDITION_FAILED"]),
    route!(
        "POST /v1/contacts/{id}/channels",
        "ContactChannelsUpsert",
        Access::Permission(rbac::CONTACT_UPDATE),
        routes::contacts::channels_post::handle,
        "Contact channels upsert (add or change an email, phone or WhatsApp channel)", body: crate::routes::contacts::channels_post::ChannelRequest, reply: crate::routes::contacts::channels_post::Upserted, errors: [412 "PRECONDITION_FAILED"]),
    route!(
        "DELETE /v1/contacts/{id}/channels/{channelId}",
        "ContactChannelsDelete",
        Access::Permission(rbac::CONTACT_UPDATE),
        routes::contacts::channel_delete::handle,
        "Delete contact channel", reply: crate::contacts::ContactReply, errors: [412 "PRECONDITION_FAILED"]),
    route!(
        "POST /v1/contacts/{id}/channels/{channelId}/verify/start",
        "ContactChannelVerifyStart",
        Access::Permission(rbac::CONTACT_UPDATE),
        routes::contacts::verify::start,
        "Start contact channel verify (a code by email, SMS or WhatsApp)", reply: crate::verification::Started, errors: [402 "PLAN_REQUIRED", 412 "PRECONDITION_FAILED", 422 "OTP_ATTEMPTS_EXCEEDED", 422 "OTP_NOT_PENDING", 429 "RATE_LIMIT_EXCEEDED"]),
    route!(
        "POST /v1/contacts/{id}/channels/{channelId}/verify/confirm",
        "ContactChannelVerifyConfirm",
        Access::Permission(rbac::CONTACT_UPDATE),
        routes::contacts::verify::confirm,
        "Confirm contact channel verify", body: routes::contacts::verify::Confirm, reply: crate::contacts::ContactReply, errors: [402 "PLAN_REQUIRED", 412 "PRECONDITION_FAILED", 422 "OTP_ATTEMPTS_EXCEEDED", 422 "OTP_NOT_PENDING", 429 "RATE_LIMIT_EXCEEDED"]),
    route!(
        "POST /v1/contacts/{id}/opt-in",
        "ContactOptIn",
        Access::Permission(rbac::CONTACT_CONSENT_MANAGE),
        routes::contacts::consent_post::opt_in,
        "Contact opt in (per channel; the consent record follows)", body: routes::contacts::consent_post::Body, reply: crate::contacts::ContactReply, errors: [412 "PRECONDITION_FAILED"]),
    route!(
        "POST /v1/contacts/{id}/opt-out",
        "ContactOptOut",
        Access::Permission(rbac::CONTACT_CONSENT_MANAGE),
        routes::contacts::consent_post::opt_out,
        "Contact opt out (per channel; an SMS opt-out is the STOP list)", body: routes::contacts::consent_post::Body, reply: crate::contacts::ContactReply, errors: [412 "PRECONDITION_FAILED"]),
    route!(
        "GET /v1/custom-fields/definitions",
        "CustomFieldsList",
        Access::Permission(rbac::CONTACT_READ),
        routes::custom_fields::get::handle,
        "List custom fields", query: crate::routes::custom_fields::get::DefinitionsQuery, reply: Vec<crm_records::custom_fields::Definition>),
    route!(
        "POST /v1/custom-fields/definitions",
        "CustomFieldsCreate",
        Access::Permission(rbac::CUSTOMFIELDS_MANAGE),
        routes::custom_fields::post::handle,
        "Create custom field", body: routes::custom_fields::post::Body, reply: crm_records::custom_fields::Definition, errors: [402 "PLAN_REQUIRED", 409 "CONFLICT", 422 "LIMIT_REACHED"]),
    route!(
        "PATCH /v1/custom-fields/definitions/{id}",
        "CustomFieldsUpdate",
        Access::Permission(rbac::CUSTOMFIELDS_MANAGE),
        routes::custom_fields::patch::handle,
        "Update custom field", body: routes::custom_fields::patch::Body, reply: crm_records::custom_fields::Definition, errors: [412 "PRECONDITION_FAILED"]),
    route!(
        "DELETE /v1/custom-fields/definitions/{id}",
        "CustomFieldsDelete",
        Access::Permission(rbac::CUSTOMFIELDS_MANAGE),
        routes::custom_fields::delete::handle,
        "Delete custom field", reply: crm_http::contract::NoContent),
    route!("GET /v1/leads", "LeadsList", Access::Permission(rbac::LEAD_READ), routes::leads::get::handle, "List leads", query: crate::routes::leads::get::LeadsQuery, reply: Vec<crate::lead::Lead>),
    route!(
        "POST /v1/leads",
        "LeadsCreate",
        Access::Permission(rbac::LEAD_CREATE),
        routes::leads::post::handle,
        "Create lead (assigned, scored, checked for duplicates)", body: crate::lead::LeadChanges, reply: crate::lead::Lead),
    route!(
        "POST /v1/leads/capture",
        "LeadsCapture",
        Access::Permission(rbac::LEAD_CREATE),
        routes::leads::capture_post::handle,
        "Leads capture (web forms with an API key; honeypot, per-key rate limit)", body: crate::routes::leads::capture_post::CaptureRequest, reply: crate::routes::leads::capture_post::Accepted, errors: [429 "RATE_LIMIT_EXCEEDED"]),
    route!(
        "POST /v1/leads/import",
        "LeadsImport",
        Access::Permission(rbac::LEAD_IMPORT),
        routes::leads::import_post::handle,
        "Import leads (CSV through the import jobs)", reply: crm_jobs::start::Started, errors: [402 "PLAN_REQUIRED"]),
    route!(
        "GET /v1/leads/scoring-rules",
        "LeadScoringRulesGet",
        Access::Permission(rbac::LEAD_READ),
        routes::leads::scoring_rules::get,
        "Get lead scoring rules", reply: crate::lead_rules::Scoring, errors: [402 "PLAN_REQUIRED"]),
    route!(
        "PUT /v1/leads/scoring-rules",
        "LeadScoringRulesPut",
        Access::Permission(rbac::LEAD_RULES_MANAGE),
        routes::leads::scoring_rules::put,
        "Put lead scoring rules (leads.scoring)", body: crate::lead_rules::ScoringRequest, reply: crate::lead_rules::Scoring, errors: [402 "PLAN_REQUIRED"]),
    route!(
        "GET /v1/leads/assignment",
        "LeadAssignmentGet",
        Access::Permission(rbac::LEAD_READ),
        routes::leads::assignment::get,
        "Get lead assignment", reply: crate::lead_rules::Assignment),
    route!(
        "PUT /v1/leads/assignment",
        "LeadAssignmentPut",
        Access::Permission(rbac::LEAD_RULES_MANAGE),
        routes::leads::assignment::put,
        "Put lead assignment (round-robin pool and rules)", body: crate::lead_rules::AssignmentRequest, reply: crate::lead_rules::Assignment),
    route!("GET /v1/leads/{id}", "LeadsGet", Access::Permission(rbac::LEAD_READ), routes::leads::id_get::handle, "Get lead", reply: crate::lead::Lead),
    route!(
        "PATCH /v1/leads/{id}",
        "LeadsUpdate",
        Access::Permission(rbac::LEAD_UPDATE),
        routes::leads::patch::handle,
        "Update lead (If-Match)", body: crate::lead::LeadChanges, reply: crate::lead::Lead, errors: [409 "CONFLICT", 412 "PRECONDITION_FAILED"]),
    route!(
        "DELETE /v1/leads/{id}",
        "LeadsDelete",
        Access::Permission(rbac::LEAD_DELETE),
        routes::leads::delete::handle,
        "Delete lead (If-Match)", reply: crm_http::contract::NoContent, errors: [412 "PRECONDITION_FAILED"]),
    route!(
        "POST /v1/leads/{id}/convert",
        "LeadConvert",
        Access::Permission(rbac::LEAD_CONVERT),
        routes::leads::convert_post::handle,
        "Convert lead (contact, company and deal in one transaction)", body: crate::conversion::ConvertRequest, reply: crate::routes::leads::convert_post::Outcome),
    route!(
        "POST /v1/leads/{id}/score",
        "LeadScore",
        Access::Permission(rbac::LEAD_UPDATE),
        routes::leads::score_post::handle,
        "Score lead (manual adjustment)", body: crate::routes::leads::score_post::ScoreRequest, reply: crate::lead::Lead, errors: [412 "PRECONDITION_FAILED"]),
    route!("GET /v1/segments", "SegmentsList", Access::Permission(rbac::CONTACT_READ), routes::segments::get::handle, "List segments", query: crate::routes::segments::get::SegmentsQuery, reply: Vec<crate::segment::Segment>),
    route!(
        "POST /v1/segments",
        "SegmentsCreate",
        Access::Permission(rbac::SEGMENT_MANAGE),
        routes::segments::post::handle,
        "Create segment (a saved contact or company filter)", body: routes::segments::post::Body, reply: crate::segment::Segment),
    route!(
        "PATCH /v1/segments/{id}",
        "SegmentsUpdate",
        Access::Permission(rbac::SEGMENT_MANAGE),
        routes::segments::patch::handle,
        "Update segment", body: routes::segments::patch::Body, reply: crate::segment::Segment, errors: [412 "PRECONDITION_FAILED"]),
    route!(
        "DELETE /v1/segments/{id}",
        "SegmentsDelete",
        Access::Permission(rbac::SEGMENT_MANAGE),
        routes::segments::delete::handle,
        "Delete segment", reply: crm_http::contract::NoContent),
    route!(
        "GET /v1/segments/{id}/run",
        "SegmentsRun",
        Access::Permission(rbac::CONTACT_READ),
        routes::segments::run_get::handle,
        "Run segment (the rows the saved filter selects)", query: crate::routes::segments::run_get::RunQuery, reply: Vec<crate::routes::segments::run_get::Row>),
];

crm_runtime::function! {
    binary: "records",
    app: App,
    build: App::new,
    handlers: { http "api" => App::handle, sqs "jobs" => App::handle_jobs_batch },
}
