//! Identity and tenancy: the front door.
//!
//! * `POST /v1/auth/register-super-admin` — a tenant and its super admin, atomically.
//! * `POST /v1/auth/login` — Argon2id, lockout, no user enumeration.
//! * `POST /v1/auth/refresh` — rotation on every use; reuse revokes the family.
//! * `POST /v1/auth/logout`, `GET /v1/auth/sessions`, `DELETE /v1/auth/sessions/{id}`.
//! * `GET /v1/admin/roles`, `GET /v1/admin/users`, `POST /v1/admin/users/{id}/roles`,
//!   `GET /v1/admin/audit-logs`.

pub mod access;
pub mod codes;
pub mod email;
pub mod group;
pub mod invitations;
pub mod issue;
pub mod lockout;
pub mod mail;
pub mod model;
pub mod onetime;
pub mod otp;
pub mod owners;
pub mod password;
pub mod refresh;
pub mod routes;
pub mod seats;
pub mod throttle;
pub mod totp;

use crm_auth::{rbac, KeySet, TokenSigner};
use crm_http::{route, Access, Route};
use crm_kernel::Env;
use crm_store::Store;
use lambda_http::{Body, Request, Response};

#[derive(Clone)]
pub struct App {
    pub store: Store,
    /// Only the functions that issue tokens get the private keys.
    signer: Option<TokenSigner>,
    pub lockout: lockout::Policy,
    /// Per-IP limit of the public auth routes.
    pub auth_rate: throttle::Policy,
    /// The SaaS operator's key for `/v1/ops/*` (`OPERATOR_KEY`); none = those routes are off.
    pub operator_key: Option<String>,
    /// The frontend's address, for links in emails (`APP_BASE_URL`).
    pub app_base_url: String,
    /// How long an invitation stays open (`INVITATION_TTL_SECS`, 7 days).
    pub invitation_ttl_secs: i64,
    /// One-time codes by SMS/WhatsApp: per tenant per month (`OTP_MONTHLY_BUDGET`,
    /// 1 000) and per number per hour (`OTP_PER_NUMBER_HOURLY`, 5).
    pub otp_budget: crm_notify::messages::CodeBudget,
    /// Seals TOTP secrets at rest (`TOKEN_ENCRYPTION_KEY`); only the
    /// functions that touch TOTP get it.
    sealer: Option<std::sync::Arc<crm_auth::seal::Sealer>>,
}

impl App {
    /// `TABLE_NAME`, `CURSOR_SECRET`; `JWT_SIGNING_KEYS` (the key set with
    /// private halves) for the functions that issue tokens; optional
    /// `LOGIN_MAX_FAILURES` / `LOGIN_LOCKOUT_SECS`.
    pub fn new(config: &aws_config::SdkConfig, env: &Env) -> Result<Self, String> {
        let signer = match env.get("JWT_SIGNING_KEYS") {
            Some(json) => Some(KeySet::from_json(json).and_then(|k| k.signer()).map_err(|e| e.to_string())?),
            None => None,
        };
        let mut lockout = lockout::Policy::default();
        if let Some(n) = env.get("LOGIN_MAX_FAILURES") {
            lockout.max_failures = n.parse().map_err(|_| "LOGIN_MAX_FAILURES must be a number")?;
        }
        if let Some(s) = env.get("LOGIN_LOCKOUT_SECS") {
            lockout.lockout_secs = s.parse().map_err(|_| "LOGIN_LOCKOUT_SECS must be a number")?;
        }
        let mut auth_rate = throttle::Policy::default();
        if let Some(n) = env.get("AUTH_RATE_LIMIT") {
            auth_rate.limit = n.parse().map_err(|_| "AUTH_RATE_LIMIT must be a number")?;
        }
        if let Some(s) = env.get("AUTH_RATE_WINDOW_SECS") {
            auth_rate.window_secs = s.parse().ok().filter(|w: &i64| *w > 0).ok_or("AUTH_RATE_WINDOW_SECS must be a positive number")?;
        }
        let operator_key = env.get("OPERATOR_KEY").map(str::to_string);
        if operator_key.as_ref().is_some_and(|k| k.len() < 32) {
            return Err("OPERATOR_KEY must be at least 32 characters".into());
        }
        let sealer = match env.get("TOKEN_ENCRYPTION_KEY") {
            Some(k) => Some(std::sync::Arc::new(crm_auth::seal::Sealer::from_secret(k)?)),
            None => None,
        };
        Ok(Self {
            sealer,
            operator_key,
            store: Store::from_config(config, env).map_err(|e| e.to_string())?,
            signer,
            lockout,
            auth_rate,
            otp_budget: crm_notify::messages::CodeBudget {
                monthly: positive(env, "OTP_MONTHLY_BUDGET", 1_000)?,
                per_number_hourly: positive(env, "OTP_PER_NUMBER_HOURLY", 5)?,
            },
            invitation_ttl_secs: positive(env, "INVITATION_TTL_SECS", onetime::Purpose::Invitation.ttl_secs())?,
            app_base_url: env.get("APP_BASE_URL").unwrap_or("http://localhost:5173").trim_end_matches('/').to_string(),
        })
    }

    pub fn signer(&self) -> Result<&TokenSigner, crm_kernel::AppError> {
        self.signer.as_ref().ok_or_else(|| crm_kernel::AppError::internal("JWT_SIGNING_KEYS is not configured for this function"))
    }

    pub fn sealer(&self) -> Result<&crm_auth::seal::Sealer, crm_kernel::AppError> {
        self.sealer.as_deref().ok_or_else(|| crm_kernel::AppError::internal("TOKEN_ENCRYPTION_KEY is not configured for this function"))
    }

    /// The hourly invitation-expiry sweep (`HANDLER=invitations`).
    pub async fn run_invitation_expiry(&self, _event: serde_json::Value) -> serde_json::Value {
        invitations::sweep(self, crm_kernel::Timestamp::now()).await
    }

    /// Serves one request; a refusal for a security rule is audited
    /// (`security.refused`) in the caller's tenant.
    pub async fn handle(&self, req: Request) -> Response<Body> {
        crm_events::audit::serve(ROUTES, self, &self.store, req).await
    }
}

/// A positive number from `name`, else `default`.
fn positive(env: &Env, name: &str, default: i64) -> Result<i64, String> {
    match env.get(name) {
        Some(s) => s.parse().ok().filter(|n: &i64| *n > 0).ok_or_else(|| format!("{name} must be a positive number")),
        None => Ok(default),
    }
}

pub const ROUTES: &[Route<App>] = &[
    route!("POST /v1/auth/register-super-admin", Access::Public, routes::auth::register::handle),
    route!("POST /v1/auth/login", Access::Public, routes::auth::login::handle),
    route!("POST /v1/auth/refresh", Access::Public, routes::auth::refresh::handle),
    route!("POST /v1/auth/forgot-password", Access::Public, routes::auth::forgot_password::handle),
    route!("POST /v1/auth/reset-password", Access::Public, routes::auth::reset_password::handle),
    route!("POST /v1/auth/verify-email", Access::Public, routes::auth::verify_email::handle),
    route!("POST /v1/auth/logout", Access::Permission(rbac::SESSION_REVOKE_SELF), routes::auth::logout::handle),
    route!("GET /v1/auth/sessions", Access::Permission(rbac::SESSION_READ_SELF), routes::sessions::list::handle),
    route!("DELETE /v1/auth/sessions/{id}", Access::Permission(rbac::SESSION_REVOKE_SELF), routes::sessions::delete::handle),
    route!("POST /v1/auth/totp/setup", Access::Permission(rbac::TWOFA_MANAGE_SELF), routes::totp::setup::handle),
    route!("POST /v1/auth/totp/confirm", Access::Permission(rbac::TWOFA_MANAGE_SELF), routes::totp::confirm::handle),
    route!("POST /v1/auth/totp/disable", Access::Permission(rbac::TWOFA_MANAGE_SELF), routes::totp::disable::handle),
    route!("POST /v1/auth/phone/verify/start", Access::Permission(rbac::PHONE_VERIFY_START), routes::phone::start::handle),
    route!("POST /v1/auth/phone/verify/confirm", Access::Permission(rbac::PHONE_VERIFY_CONFIRM), routes::phone::confirm::handle),
    route!("POST /v1/auth/phone/verify/resend", Access::Permission(rbac::PHONE_VERIFY_START), routes::phone::resend::handle),
    route!("DELETE /v1/auth/phone/verify/cancel", Access::Permission(rbac::PHONE_VERIFY_START), routes::phone::cancel::handle),
    route!("POST /v1/auth/twofa/{channel}/enable", Access::Permission(rbac::TWOFA_MANAGE_SELF), routes::twofa::enable::handle),
    route!("POST /v1/auth/twofa/{channel}/disable", Access::Permission(rbac::TWOFA_MANAGE_SELF), routes::twofa::disable::handle),
    route!("POST /v1/ops/tenants/{id}/suspend", Access::Public, routes::ops::tenant_status::suspend),
    route!("POST /v1/ops/tenants/{id}/reactivate", Access::Public, routes::ops::tenant_status::reactivate),
    route!("GET /v1/ops/tenants/{id}/entitlements", Access::Public, routes::ops::entitlements::get),
    route!("PUT /v1/ops/tenants/{id}/entitlements", Access::Public, routes::ops::entitlements::put),
    route!("GET /v1/admin/roles", Access::Permission(rbac::ROLE_READ), routes::admin::roles::get::handle),
    route!("GET /v1/admin/users", Access::Permission(rbac::USER_READ), routes::admin::users::get::handle),
    route!("POST /v1/admin/users", Access::Permission(rbac::USER_MANAGE), routes::admin::users::post::handle),
    route!("GET /v1/admin/users/{id}", Access::Permission(rbac::USER_READ), routes::admin::users::id_get::handle),
    route!("PATCH /v1/admin/users/{id}", Access::Permission(rbac::USER_UPDATE), routes::admin::users::patch::handle),
    route!("DELETE /v1/admin/users/{id}", Access::Permission(rbac::USER_DELETE), routes::admin::users::delete::handle),
    route!("GET /v1/admin/users/{id}/preferences", Access::Permission(rbac::USER_READ), routes::admin::users::preferences_get::handle),
    route!("PUT /v1/admin/users/{id}/preferences", Access::Permission(rbac::USER_UPDATE), routes::admin::users::preferences_put::handle),
    route!(
        "GET /v1/admin/users/{id}/effective-permissions",
        Access::Permission(rbac::USER_READ),
        routes::admin::users::effective_permissions_get::handle
    ),
    route!(
        "GET /v1/admin/users/{id}/effective-entitlements",
        Access::Permission(rbac::ENTITLEMENTS_VIEW),
        routes::admin::users::effective_entitlements_get::handle
    ),
    route!("POST /v1/admin/users/invite", Access::Permission(rbac::USER_INVITE), routes::admin::users::invite_post::handle),
    route!("POST /v1/admin/users/accept-invite", Access::Public, routes::admin::users::accept_invite_post::handle),
    route!("POST /v1/admin/users/{id}/suspend", Access::Permission(rbac::USER_SUSPEND), routes::admin::users::suspend_post::handle),
    route!(
        "POST /v1/admin/users/{id}/deactivate",
        Access::Permission(rbac::USER_DEACTIVATE),
        routes::admin::users::deactivate_post::handle
    ),
    route!("POST /v1/admin/users/{id}/reactivate", Access::Permission(rbac::USER_REINSTATE), routes::admin::users::reactivate_post::handle),
    route!(
        "POST /v1/admin/users/{id}/force-logout",
        Access::Permission(rbac::USER_FORCE_LOGOUT),
        routes::admin::users::force_logout_post::handle
    ),
    route!("GET /v1/admin/groups", Access::Permission(rbac::USER_READ), routes::admin::groups::get::handle),
    route!("POST /v1/admin/groups", Access::Permission(rbac::GROUPS_MANAGE), routes::admin::groups::post::handle),
    route!("GET /v1/admin/groups/{id}", Access::Permission(rbac::USER_READ), routes::admin::groups::id_get::handle),
    route!("PATCH /v1/admin/groups/{id}", Access::Permission(rbac::GROUPS_MANAGE), routes::admin::groups::patch::handle),
    route!("DELETE /v1/admin/groups/{id}", Access::Permission(rbac::GROUPS_MANAGE), routes::admin::groups::delete::handle),
    route!("POST /v1/admin/groups/{id}/members", Access::Permission(rbac::GROUPS_MEMBERS_MANAGE), routes::admin::groups::members::add),
    route!("DELETE /v1/admin/groups/{id}/members", Access::Permission(rbac::GROUPS_MEMBERS_MANAGE), routes::admin::groups::members::remove),
    route!("GET /v1/admin/roles/hierarchy", Access::Permission(rbac::ROLE_READ), routes::admin::roles::hierarchy::get),
    route!("POST /v1/admin/roles/hierarchy", Access::Permission(rbac::ROLES_HIERARCHY_MANAGE), routes::admin::roles::hierarchy::post),
    route!("DELETE /v1/admin/roles/hierarchy", Access::Permission(rbac::ROLES_HIERARCHY_MANAGE), routes::admin::roles::hierarchy::delete),
    route!("GET /v1/admin/roles/visibility", Access::Permission(rbac::ROLE_READ), routes::admin::roles::visibility::get),
    route!("PUT /v1/admin/roles/visibility", Access::Permission(rbac::ROLES_HIERARCHY_MANAGE), routes::admin::roles::visibility::put),
    route!(
        "GET /v1/admin/entitlements/overrides/{scope}",
        Access::Permission(rbac::ENTITLEMENTS_OVERRIDES_MANAGE),
        routes::admin::entitlements::overrides::get
    ),
    route!(
        "PUT /v1/admin/entitlements/overrides/{scope}",
        Access::Permission(rbac::ENTITLEMENTS_OVERRIDES_MANAGE),
        routes::admin::entitlements::overrides::put
    ),
    route!(
        "GET /v1/admin/entitlements/effective",
        Access::Permission(rbac::ENTITLEMENTS_VIEW),
        routes::admin::entitlements::effective_get::handle
    ),
    route!("GET /v1/admin/plan", Access::Permission(rbac::PLAN_VIEW), routes::admin::plan::get::handle),
    route!("POST /v1/admin/users/{id}/roles", Access::Permission(rbac::ROLE_ASSIGN), routes::admin::users::roles_post::handle),
    route!("GET /v1/admin/audit-logs", Access::Permission(rbac::AUDIT_READ), routes::admin::audit_logs::get::handle),
    route!("POST /v1/admin/api-keys", Access::Permission(rbac::APIKEY_MANAGE), routes::admin::api_keys::post::handle),
    route!("GET /v1/admin/api-keys", Access::Permission(rbac::APIKEY_MANAGE), routes::admin::api_keys::get::handle),
    route!("DELETE /v1/admin/api-keys/{id}", Access::Permission(rbac::APIKEY_MANAGE), routes::admin::api_keys::delete::handle),
];

crm_runtime::function! {
    binary: "identity",
    app: App,
    build: App::new,
    handlers: { http "api" => App::handle, json "invitations" => App::run_invitation_expiry },
}
