//! Notifications core (ADR 0008, ADR 0009): email, SMS, WhatsApp and the in-app
//! inbox, one pipeline.
//!
//! * HTTP (`HANDLER=api`, [`ROUTES`]): `POST /v1/notify/dispatch` writes the
//!   messages of one dispatch group and their `message.queued` events in one
//!   transaction, after plan features, consent, suppression, caps and
//!   throttles; templates, the outbox, consent, suppression, tenant policies,
//!   the user's inbox and preferences; the Brevo and Infobip delivery webhooks.
//! * Worker (`HANDLER=notifications`, [`worker`]): sends queued messages
//!   through the provider adapters with retries and a dead-letter queue.

pub mod accounts;
pub mod adapters;
pub mod digest;
pub mod dlr;
pub mod inbox;
pub mod message_view;
pub mod people;
pub mod policy;
pub mod quiet;
pub mod routes;
pub mod suppression;
pub mod usage;
pub mod worker;

use aws_sdk_sqs::Client as Sqs;
use crm_auth::rbac;
use crm_http::{route, Access, Route};
use crm_kernel::Env;
use crm_store::{keys, Store};
use lambda_http::{Body, Request, Response};

use crate::adapters::Adapters;

pub const CONSUMER: &str = "notifications";

/// The longest SQS delay (a later send takes several hops).
pub(crate) const MAX_DELAY_SECS: i64 = 900;

pub struct App {
    pub store: Store,
    /// Built on first use ([`App::adapters`]).
    adapters: std::sync::OnceLock<Adapters>,
    /// What the adapters are built from.
    env: Env,
    pub(crate) sqs: Sqs,
    pub(crate) queue_url: Option<String>,
    pub(crate) dlq_url: Option<String>,
    pub(crate) retry_delays: Vec<i64>,
    /// `Authorization: Bearer …` Brevo sends with its webhooks.
    pub(crate) brevo_webhook_token: Option<String>,
    /// `?token=…` of the `notifyUrl` Infobip calls back.
    pub(crate) infobip_webhook_token: Option<String>,
    /// Sends per minute per tenant and channel when the tenant sets none.
    pub(crate) default_throttle_per_minute: i64,
    /// Whether email from a mailbox that needs re-authorisation goes out
    /// through the system provider instead (`EMAIL_ACCOUNT_FALLBACK=system|none`).
    pub(crate) account_fallback: bool,
}

/// Where a provider's message id leads back to (delivery webhooks).
pub fn provider_message_key(provider: &str, provider_message_id: &str) -> crm_store::Key {
    keys::global_unique("PROVIDERMSG", &format!("{provider}#{}", provider_message_id.trim().to_lowercase()))
}

impl App {
    /// `EMAIL_PROVIDER`, `SMS_PROVIDER` (see [`adapters`]),
    /// `NOTIFICATIONS_QUEUE_URL`, `NOTIFICATIONS_DLQ_URL`, `NOTIFY_RETRY_DELAYS_SECS`,
    /// `BREVO_WEBHOOK_TOKEN`, `INFOBIP_WEBHOOK_TOKEN`, `NOTIFY_THROTTLE_PER_MINUTE`.
    pub fn new(config: &aws_config::SdkConfig, env: &Env) -> Result<Self, String> {
        let store = Store::from_config(config, env).map_err(|e| e.to_string())?;
        let retry_delays = match env.get("NOTIFY_RETRY_DELAYS_SECS") {
            None => vec![60, 300, 900],
            Some(s) => s
                .split(',')
                .map(|d| d.trim().parse::<i64>().ok().filter(|d| (0..=MAX_DELAY_SECS).contains(d)))
                .collect::<Option<Vec<_>>>()
                .ok_or("NOTIFY_RETRY_DELAYS_SECS must be comma-separated seconds, each at most 900")?,
        };
        // A token shorter than 24 characters (the secret's `set-me`
        // placeholder) is no token: that provider's webhook refuses everyone.
        let token = |name: &str| -> Result<Option<String>, String> {
            match env.get(name) {
                Some(t) if t.len() < 24 => {
                    tracing::warn!(name, "webhook token unset or too short; the webhook refuses every call");
                    Ok(None)
                }
                other => Ok(other.map(str::to_string)),
            }
        };
        Ok(Self {
            adapters: {
                Adapters::check_env(env)?;
                std::sync::OnceLock::new()
            },
            env: env.clone(),
            store,
            sqs: Sqs::new(config),
            queue_url: env.get("NOTIFICATIONS_QUEUE_URL").map(str::to_string),
            dlq_url: env.get("NOTIFICATIONS_DLQ_URL").map(str::to_string),
            retry_delays,
            brevo_webhook_token: token("BREVO_WEBHOOK_TOKEN")?,
            infobip_webhook_token: token("INFOBIP_WEBHOOK_TOKEN")?,
            default_throttle_per_minute: match env.get("NOTIFY_THROTTLE_PER_MINUTE") {
                None => 120,
                Some(n) => n.parse().ok().filter(|n| *n > 0).ok_or("NOTIFY_THROTTLE_PER_MINUTE must be a positive number")?,
            },
            account_fallback: match env.get("EMAIL_ACCOUNT_FALLBACK").unwrap_or("system") {
                "system" => true,
                "none" => false,
                other => return Err(format!("EMAIL_ACCOUNT_FALLBACK {other} is not one of system, none")),
            },
        })
    }

    /// The provider adapters and the mailboxes' token sealer, built on
    /// first use: only the worker sends and only the mailbox-account routes
    /// seal, so the other API functions never build the HTTPS clients (and
    /// their TLS roots) nor derive the key at cold start.
    pub fn adapters(&self) -> Result<&Adapters, String> {
        if let Some(a) = self.adapters.get() {
            return Ok(a);
        }
        let built = Adapters::from_env(&self.env, &self.store)?;
        Ok(self.adapters.get_or_init(|| built))
    }

    /// Serves one request; a refusal for a security rule is audited
    /// (`security.refused`) in the caller's tenant.
    pub async fn handle(&self, req: Request) -> Response<Body> {
        crm_events::audit::serve(ROUTES, self, &self.store, req).await
    }
}

pub const ROUTES: &[Route<App>] = &[
    route!(
        "POST /v1/notify/dispatch",
        "NotifyDispatch",
        Access::Permission(rbac::NOTIFY_DISPATCH),
        routes::dispatch::post::handle,
        "Dispatch notify (consent, caps, throttles, mirrors, quiet hours, idempotency)", body: crate::routes::dispatch::request::Body, reply: crate::routes::dispatch::post::Dispatched, errors: [402 "PLAN_REQUIRED", 409 "CONFLICT", 422 "ACCOUNT_REAUTH_REQUIRED"]),
    route!(
        "GET /v1/notify/messages",
        "NotifyMessagesList",
        Access::Permission(rbac::NOTIFY_OUTBOX_READ),
        routes::messages::get::handle,
        "List notify messages (outbox by date, status, channel, group)", query: crate::routes::messages::get::MessagesQuery, reply: Vec<crate::message_view::MessageView>),
    route!(
        "GET /v1/notify/messages/{id}",
        "NotifyMessageGet",
        Access::Permission(rbac::NOTIFY_OUTBOX_READ),
        routes::messages::id_get::handle,
        "Get notify message (with its dispatch group)", reply: crate::message_view::MessageView),
    route!(
        "POST /v1/notify/templates",
        "NotifyTemplatesCreate",
        Access::Permission(rbac::NOTIFY_TEMPLATES_MANAGE),
        routes::templates::post::handle,
        "Create notify template", body: routes::templates::post::Body, reply: crm_notify::tenant::TenantTemplate, errors: [409 "CONFLICT", 422 "TEMPLATE_SECRET_EXPOSED"]),
    route!(
        "GET /v1/notify/templates",
        "NotifyTemplatesList",
        Access::Permission(rbac::NOTIFY_TEMPLATES_MANAGE),
        routes::templates::get::handle,
        "List notify templates", query: crate::routes::templates::get::TemplatesQuery, reply: Vec<crm_notify::tenant::TenantTemplate>),
    route!(
        "PATCH /v1/notify/templates/{id}",
        "NotifyTemplatesUpdate",
        Access::Permission(rbac::NOTIFY_TEMPLATES_MANAGE),
        routes::templates::patch::handle,
        "Update notify template", body: routes::templates::patch::Body, reply: crm_notify::tenant::TenantTemplate, errors: [412 "PRECONDITION_FAILED", 422 "TEMPLATE_SECRET_EXPOSED"]),
    route!(
        "POST /v1/notify/templates/{id}/approve",
        "NotifyTemplatesApprove",
        Access::Permission(rbac::NOTIFY_TEMPLATES_MANAGE),
        routes::templates::approve_post::handle,
        "Approve notify template", reply: crm_notify::tenant::TenantTemplate, errors: [412 "PRECONDITION_FAILED"]),
    route!(
        "POST /v1/notify/templates/preview",
        "NotifyTemplatesPreview",
        Access::Permission(rbac::NOTIFY_TEMPLATES_MANAGE),
        routes::templates::preview_post::handle,
        "Preview notify template (render without sending)", body: routes::templates::preview_post::Body, reply: crate::routes::templates::preview_post::Preview, errors: [422 "TEMPLATE_MISSING"]),
    route!(
        "POST /v1/notify/opt-in",
        "NotifyOptIn",
        Access::Permission(rbac::NOTIFY_CONSENT_MANAGE),
        routes::consent::opt_in,
        "Notify opt in", body: routes::consent::Body, reply: crm_notify::consent::Consent, errors: [404 "NOT_FOUND", 409 "CONFLICT"]),
    route!(
        "POST /v1/notify/opt-out",
        "NotifyOptOut",
        Access::Permission(rbac::NOTIFY_CONSENT_MANAGE),
        routes::consent::opt_out,
        "Notify opt out (SMS = STOP list; contact.opted_out)", body: routes::consent::Body, reply: crm_notify::consent::Consent, errors: [404 "NOT_FOUND", 409 "CONFLICT"]),
    route!(
        "GET /v1/notify/suppression",
        "NotifySuppressionList",
        Access::Permission(rbac::NOTIFY_SUPPRESSION_READ),
        routes::suppression::get::handle,
        "List notify suppression", query: crate::routes::suppression::get::SuppressionQuery, reply: Vec<crate::suppression::Suppression>),
    route!(
        "POST /v1/notify/suppression",
        "NotifySuppressionAdd",
        Access::Permission(rbac::NOTIFY_SUPPRESSION_MANAGE),
        routes::suppression::post::handle,
        "Add notify suppression (manual)", body: routes::suppression::post::Body, reply: crate::suppression::Suppression),
    route!(
        "DELETE /v1/notify/suppression",
        "NotifySuppressionRemove",
        Access::Permission(rbac::NOTIFY_SUPPRESSION_MANAGE),
        routes::suppression::delete::handle,
        "Remove notify suppression", query: crate::routes::suppression::delete::SuppressionEntry, reply: crm_http::contract::NoContent),
    route!(
        "GET /v1/admin/notification-policies",
        "NotificationPoliciesGet",
        Access::Permission(rbac::NOTIFY_POLICIES_MANAGE),
        routes::policies::get::handle,
        "Get notification policies", reply: crate::policy::Policy),
    route!(
        "PUT /v1/admin/notification-policies",
        "NotificationPoliciesPut",
        Access::Permission(rbac::NOTIFY_POLICIES_MANAGE),
        routes::policies::put::handle,
        "Put notification policies (quiet hours, STOP policy, throttles)", body: crate::policy::Replacement, reply: crate::policy::Policy, errors: [412 "PRECONDITION_FAILED"]),
    route!(
        "GET /v1/me/notifications",
        "InboxList",
        Access::Permission(rbac::NOTIFY_INBOX_READ_SELF),
        routes::inbox::get::handle,
        "List inbox", query: crate::routes::inbox::InboxQuery, reply: Vec<crate::inbox::InboxEntry>),
    route!(
        "GET /v1/me/notifications/{id}",
        "InboxGet",
        Access::Permission(rbac::NOTIFY_INBOX_READ_SELF),
        routes::inbox::id_get::handle,
        "Get inbox", reply: crate::inbox::InboxEntry),
    route!(
        "PATCH /v1/me/notifications/{id}/read",
        "InboxRead",
        Access::Permission(rbac::NOTIFY_INBOX_READ_SELF),
        routes::inbox::read_patch::handle,
        "Read inbox", reply: crate::inbox::InboxEntry, errors: [412 "PRECONDITION_FAILED"]),
    route!(
        "PATCH /v1/me/notifications/read-bulk",
        "InboxReadBulk",
        Access::Permission(rbac::NOTIFY_INBOX_READ_SELF),
        routes::inbox::read_bulk_patch::handle,
        "Inbox read bulk", body: routes::inbox::read_bulk_patch::Body, reply: crate::routes::inbox::read_bulk_patch::Marked),
    route!(
        "GET /v1/admin/notifications/{userId}",
        "InboxAdminList",
        Access::Permission(rbac::NOTIFY_INBOX_READ_TENANT),
        routes::inbox::admin_get::handle,
        "List inbox admin (a user's inbox, for admins)", query: crate::routes::inbox::InboxQuery, reply: Vec<crate::inbox::InboxEntry>),
    route!(
        "GET /v1/me/notification-preferences",
        "MyNotificationPreferencesGet",
        Access::Permission(rbac::NOTIFY_PREFERENCES_UPDATE_SELF),
        routes::preferences::get::handle,
        "Get my notification preference", reply: crm_notify::preferences::Preferences),
    route!(
        "PUT /v1/me/notification-preferences",
        "MyNotificationPreferencesPut",
        Access::Permission(rbac::NOTIFY_PREFERENCES_UPDATE_SELF),
        routes::preferences::put::handle,
        "Put my notification preferences", body: crm_notify::preferences::PreferencesUpdate, reply: crm_notify::preferences::Preferences, errors: [412 "PRECONDITION_FAILED"]),
    route!(
        "POST /v1/email/provider-accounts",
        "EmailAccountsCreate",
        Access::Permission(rbac::EMAIL_ACCOUNTS_MANAGE),
        routes::email_accounts::post::handle,
        "Create email account (connect Gmail or Outlook; tokens sealed)", body: routes::email_accounts::post::Body, reply: crate::accounts::AccountView, errors: [409 "CONFLICT"]),
    route!(
        "GET /v1/email/provider-accounts",
        "EmailAccountsList",
        Access::Permission(rbac::EMAIL_ACCOUNTS_MANAGE),
        routes::email_accounts::get::handle,
        "List email accounts", query: crate::routes::email_accounts::get::AccountsQuery, reply: Vec<crate::accounts::AccountView>),
    route!(
        "PATCH /v1/email/provider-accounts/{id}",
        "EmailAccountsUpdate",
        Access::Permission(rbac::EMAIL_ACCOUNTS_MANAGE),
        routes::email_accounts::patch::handle,
        "Update email account (default, status, reconnect)", body: routes::email_accounts::patch::Body, reply: crate::accounts::AccountView, errors: [412 "PRECONDITION_FAILED"]),
    route!(
        "DELETE /v1/email/provider-accounts/{id}",
        "EmailAccountsDelete",
        Access::Permission(rbac::EMAIL_ACCOUNTS_MANAGE),
        routes::email_accounts::delete::handle,
        "Delete email account", reply: crm_http::contract::NoContent),
    route!(
        "POST /v1/webhooks/brevo",
        "BrevoWebhook",
        Access::Public,
        routes::webhooks::brevo,
        "Brevo webhook (delivery events; bearer token)", reply: crate::routes::webhooks::Received, errors: [401 "UNAUTHENTICATED", 409 "CONFLICT", 422 "DLR_INVALID", 503 "SERVICE_UNAVAILABLE"]),
    route!(
        "POST /v1/webhooks/infobip",
        "InfobipWebhook",
        Access::Public,
        routes::webhooks::infobip,
        "Infobip webhook (delivery reports; Basic credentials)", reply: crate::routes::webhooks::Received, errors: [401 "UNAUTHENTICATED", 409 "CONFLICT", 422 "DLR_INVALID", 503 "SERVICE_UNAVAILABLE"]),
];

crm_runtime::function! {
    binary: "notifications",
    app: App,
    build: App::new,
    handlers: { http "api" => App::handle, sqs "notifications" => App::handle_batch, json "digest" => App::run_digest },
}

#[cfg(test)]
mod tests {
    use super::adapters::SendError;

    #[test]
    fn only_throttling_server_errors_and_network_failures_are_retried() {
        assert!(SendError::from_status(429, "").retryable);
        assert!(SendError::from_status(503, "").retryable);
        assert!(!SendError::from_status(400, "bad").retryable);
        assert_eq!(SendError::from_status(401, "").code, "UNAUTHORIZED");
        assert!(SendError::network("reset").retryable);
    }
}
