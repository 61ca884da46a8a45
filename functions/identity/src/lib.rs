//! Identity and tenancy: the front door.
//!
//! * `POST /v1/auth/register-super-admin` — a tenant and its super admin, atomically.
//! * `POST /v1/auth/login` — Argon2id, lockout, no user enumeration.
//! * `POST /v1/auth/refresh` — rotation on every use; reuse revokes the family.
//! * `POST /v1/auth/logout`, `GET /v1/auth/sessions`, `DELETE /v1/auth/sessions/{id}`.
//! * `GET /v1/admin/roles`, `GET /v1/admin/users`, `POST /v1/admin/users/{id}/roles`,
//!   `GET /v1/admin/audit-logs`.

pub mod access;
pub mod audit_export;
pub mod audit_log;
pub mod codes;
pub mod dictionaries;
pub mod email;
pub mod group;
pub mod invitations;
pub mod issue;
pub mod lockout;
pub mod mail;
pub mod model;
pub mod notices;
pub mod onetime;
pub mod otp;
pub mod owners;
pub mod password;
pub mod refresh;
pub mod request_event;
pub mod role_holders;
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
    /// The files bucket (`FILES_BUCKET`): audit exports.
    pub files: crm_files::Files,
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
        let operator_key = crm_auth::operator::key_from_env(env)?;
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
            files: crm_files::Files::new(config, env),
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

    /// The audit export worker (`HANDLER=audit-export`, on its queue).
    pub async fn handle_audit_export_batch(&self, event: crm_events::SqsEvent) -> crm_events::BatchResponse {
        crm_events::consumer::process_batch(audit_export::CONSUMER, event, |e| audit_export::handle(self, e)).await
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
    route!(
        "POST /v1/auth/register-super-admin",
        "RegisterSuperAdmin",
        Access::Public,
        routes::auth::register::handle,
        "Register super admin (new tenant and its super admin)", body: routes::auth::register::RegisterRequest, reply: crate::routes::auth::register::Registered, errors: [409 "CONFLICT", 429 "RATE_LIMIT_EXCEEDED"]),
    route!("POST /v1/auth/login", "Login", Access::Public, routes::auth::login::handle, "Log in", body: routes::auth::login::LoginRequest, reply: crate::issue::SignedIn, errors: [401 "AUTH_2FA_INVALID_CODE", 401 "AUTH_2FA_REQUIRED", 401 "AUTH_INVALID_CREDENTIALS", 403 "AUTH_EMAIL_UNVERIFIED", 403 "FORBIDDEN", 429 "RATE_LIMIT_EXCEEDED"]),
    route!(
        "POST /v1/auth/refresh",
        "Refresh",
        Access::Public,
        routes::auth::refresh::handle,
        "Refresh the session (rotation, reuse detection)", body: routes::auth::refresh::RefreshRequest, reply: crate::issue::Tokens, errors: [401 "UNAUTHENTICATED", 401 "AUTH_TOKEN_REUSED", 403 "FORBIDDEN", 429 "RATE_LIMIT_EXCEEDED"]),
    route!(
        "POST /v1/auth/forgot-password",
        "ForgotPassword",
        Access::Public,
        routes::auth::forgot_password::handle,
        "Forgot password (emails a reset link; never reveals accounts)", body: routes::auth::forgot_password::ForgotPassword, reply: crate::routes::auth::forgot_password::Sent, errors: [429 "RATE_LIMIT_EXCEEDED"]),
    route!("POST /v1/auth/reset-password", "ResetPassword", Access::Public, routes::auth::reset_password::handle, "Reset password", body: routes::auth::reset_password::ResetPassword, reply: crm_http::contract::NoContent, errors: [429 "RATE_LIMIT_EXCEEDED"]),
    route!("POST /v1/auth/verify-email", "VerifyEmail", Access::Public, routes::auth::verify_email::handle, "Verify email", body: routes::auth::verify_email::VerifyEmail, reply: crate::model::UserView, errors: [429 "RATE_LIMIT_EXCEEDED"]),
    route!("POST /v1/auth/logout", "Logout", Access::Permission(rbac::SESSION_REVOKE_SELF), routes::auth::logout::handle, "Log out", reply: crm_http::contract::NoContent),
    route!(
        "GET /v1/auth/sessions",
        "SessionsList",
        Access::Permission(rbac::SESSION_READ_SELF),
        routes::sessions::list::handle,
        "List sessions", query: crate::routes::sessions::list::SessionsQuery, reply: Vec<crate::model::SessionView>),
    route!(
        "DELETE /v1/auth/sessions/{id}",
        "SessionsDelete",
        Access::Permission(rbac::SESSION_REVOKE_SELF),
        routes::sessions::delete::handle,
        "Delete session", reply: crm_http::contract::NoContent),
    route!(
        "POST /v1/auth/totp/setup",
        "TotpSetup",
        Access::Permission(rbac::TWOFA_MANAGE_SELF),
        routes::totp::setup::handle,
        "Setup TOTP (secret + otpauth URI)", reply: crate::routes::totp::setup::Setup, errors: [401 "AUTH_2FA_INVALID_CODE", 402 "PLAN_REQUIRED", 409 "CONFLICT"]),
    route!(
        "POST /v1/auth/totp/confirm",
        "TotpConfirm",
        Access::Permission(rbac::TWOFA_MANAGE_SELF),
        routes::totp::confirm::handle,
        "Confirm TOTP (enables TOTP, backup codes)", body: routes::totp::confirm::CodeRequest, reply: crate::routes::totp::confirm::Enabled, errors: [401 "AUTH_2FA_INVALID_CODE", 402 "PLAN_REQUIRED", 409 "CONFLICT", 422 "OTP_INVALID"]),
    route!(
        "POST /v1/auth/totp/disable",
        "TotpDisable",
        Access::Permission(rbac::TWOFA_MANAGE_SELF),
        routes::totp::disable::handle,
        "Disable TOTP", body: routes::totp::disable::DisableRequest, reply: crm_http::contract::NoContent, errors: [401 "AUTH_2FA_INVALID_CODE", 401 "AUTH_INVALID_CREDENTIALS", 402 "PLAN_REQUIRED", 409 "CONFLICT", 422 "OTP_INVALID"]),
    route!(
        "POST /v1/auth/phone/verify/start",
        "PhoneVerifyStart",
        Access::Permission(rbac::PHONE_VERIFY_START),
        routes::phone::start::handle,
        "Start phone verify (code by SMS/WhatsApp, 3/hour)", body: routes::phone::start::Start, reply: crate::otp::Verification, errors: [402 "PLAN_REQUIRED", 422 "OTP_BUDGET_EXHAUSTED", 422 "OTP_NOT_PENDING", 429 "RATE_LIMIT_EXCEEDED"]),
    route!(
        "POST /v1/auth/phone/verify/confirm",
        "PhoneVerifyConfirm",
        Access::Permission(rbac::PHONE_VERIFY_CONFIRM),
        routes::phone::confirm::handle,
        "Confirm phone verify (5 attempts, 10 min)", body: routes::phone::confirm::Confirm, reply: crate::otp::Confirmed, errors: [409 "CONFLICT", 422 "OTP_ATTEMPTS_EXCEEDED", 422 "OTP_EXPIRED", 422 "OTP_INVALID", 422 "OTP_NOT_PENDING"]),
    route!(
        "POST /v1/auth/phone/verify/resend",
        "PhoneVerifyResend",
        Access::Permission(rbac::PHONE_VERIFY_START),
        routes::phone::resend::handle,
        "Resend phone verify (1/min)", reply: crate::otp::Verification, errors: [422 "OTP_NOT_PENDING"]),
    route!(
        "DELETE /v1/auth/phone/verify/cancel",
        "PhoneVerifyCancel",
        Access::Permission(rbac::PHONE_VERIFY_START),
        routes::phone::cancel::handle,
        "Cancel phone verify", reply: crate::otp::Verification, errors: [422 "OTP_NOT_PENDING"]),
    route!(
        "POST /v1/auth/twofa/{channel}/enable",
        "TwoFactorEnable",
        Access::Permission(rbac::TWOFA_MANAGE_SELF),
        routes::twofa::enable::handle,
        "Enable two factor", reply: crate::routes::twofa::Factors, errors: [402 "PLAN_REQUIRED", 422 "PHONE_NOT_VERIFIED"]),
    route!(
        "POST /v1/auth/twofa/{channel}/disable",
        "TwoFactorDisable",
        Access::Permission(rbac::TWOFA_MANAGE_SELF),
        routes::twofa::disable::handle,
        "Disable two factor", body: crate::routes::twofa::Proof, reply: crate::routes::twofa::Factors, errors: [402 "PLAN_REQUIRED", 422 "PHONE_NOT_VERIFIED"]),
    route!(
        "POST /v1/ops/tenants/{id}/suspend",
        "OpsTenantSuspend",
        Access::Public,
        routes::ops::tenant_status::suspend,
        "Suspend a tenant (operator key)", body: routes::ops::tenant_status::Reason, reply: crate::model::Tenant, errors: [401 "UNAUTHENTICATED"]),
    route!(
        "POST /v1/ops/tenants/{id}/reactivate",
        "OpsTenantReactivate",
        Access::Public,
        routes::ops::tenant_status::reactivate,
        "Reactivate a tenant (operator key)", body: routes::ops::tenant_status::Reason, reply: crate::model::Tenant, errors: [401 "UNAUTHENTICATED"]),
    route!(
        "GET /v1/ops/tenants/{id}/entitlements",
        "OpsTenantEntitlementsGet",
        Access::Public,
        routes::ops::entitlements::get,
        "Get a tenant's entitlements (operator key)", reply: crate::routes::ops::entitlements::Grants, errors: [401 "UNAUTHENTICATED"]),
    route!(
        "PUT /v1/ops/tenants/{id}/entitlements",
        "OpsTenantEntitlementsPut",
        Access::Public,
        routes::ops::entitlements::put,
        "Set a tenant's entitlements (operator key)", body: crm_auth::access::OverridesRequest, reply: crate::routes::ops::entitlements::Grants, errors: [401 "UNAUTHENTICATED"]),
    route!(
        "GET /v1/admin/seats",
        "SeatsGet",
        Access::Permission(rbac::SEATS_VIEW),
        routes::admin::seats::get::handle,
        "Seats: included, used, available, and who holds them",
        query: crate::routes::admin::seats::get::SeatsQuery,
        reply: crate::routes::admin::seats::get::Seats
    ),
    route!(
        "GET /v1/admin/dictionaries/{dictionary}",
        "DictionaryList",
        Access::Permission(rbac::USER_READ),
        routes::admin::dictionaries::get::handle,
        "List dictionary codes (job_title_codes, department_codes: global, then the tenant's)", reply: Vec<crate::dictionaries::Entry>, errors: [404 "NOT_FOUND"]),
    route!(
        "POST /v1/admin/dictionaries/{dictionary}",
        "DictionaryCodeCreate",
        Access::Permission(rbac::USER_MANAGE),
        routes::admin::dictionaries::post::handle,
        "Add a tenant dictionary code (admin.customDictionaries)", body: crate::dictionaries::EntryChanges, reply: crate::dictionaries::Entry, errors: [402 "PLAN_REQUIRED", 404 "NOT_FOUND", 409 "CONFLICT", 422 "LIMIT_REACHED"]),
    route!(
        "PATCH /v1/admin/dictionaries/{dictionary}/{code}",
        "DictionaryCodeUpdate",
        Access::Permission(rbac::USER_MANAGE),
        routes::admin::dictionaries::patch::handle,
        "Relabel or (de)activate a tenant dictionary code", body: crate::dictionaries::EntryChanges, reply: crate::dictionaries::Entry, errors: [402 "PLAN_REQUIRED", 404 "NOT_FOUND", 412 "PRECONDITION_FAILED"]),
    route!(
        "POST /v1/admin/users/bulk",
        "UsersBulk",
        Access::Permission(rbac::USER_READ),
        routes::admin::users::bulk_post::handle,
        "Bulk user action (suspend, deactivate, reactivate, assign_roles; per-user outcomes)", body: routes::admin::users::bulk_post::BulkRequest, reply: crate::routes::admin::users::bulk_post::BulkReply),
    route!(
        "GET /v1/admin/invitations",
        "InvitationsList",
        Access::Permission(rbac::USER_INVITE),
        routes::admin::invitations::get::handle,
        "List pending invitations", query: crate::routes::admin::invitations::get::InvitationsQuery, reply: Vec<crate::routes::admin::invitations::InvitationView>),
    route!(
        "POST /v1/admin/invitations/{id}/resend",
        "InvitationResend",
        Access::Permission(rbac::USER_INVITE),
        routes::admin::invitations::resend_post::handle,
        "Resend invitation (new link; once a minute, five times)", reply: crate::routes::admin::invitations::InvitationView, errors: [404 "NOT_FOUND", 409 "CONFLICT", 422 "LIMIT_REACHED", 429 "RATE_LIMIT_EXCEEDED"]),
    route!(
        "DELETE /v1/admin/invitations/{id}",
        "InvitationRevoke",
        Access::Permission(rbac::USER_INVITE),
        routes::admin::invitations::delete::handle,
        "Revoke invitation (frees its seat, email and roles)", reply: crm_http::contract::NoContent, errors: [404 "NOT_FOUND", 409 "CONFLICT"]),
    route!("GET /v1/admin/roles", "RolesList", Access::Permission(rbac::ROLE_READ), routes::admin::roles::get::handle, "List roles (default, then custom)", reply: Vec<crm_auth::roles::RoleView>),
    route!(
        "POST /v1/admin/roles",
        "RolesCreate",
        Access::Permission(rbac::ROLES_MANAGE),
        routes::admin::roles::post::handle,
        "Create custom role (only codes the caller holds; roles.max)", body: crm_auth::roles::RoleChanges, reply: crm_auth::roles::RoleView, errors: [409 "CONFLICT", 422 "LIMIT_REACHED"]),
    route!(
        "PATCH /v1/admin/roles/{id}",
        "RolesUpdate",
        Access::Permission(rbac::ROLES_MANAGE),
        routes::admin::roles::patch::handle,
        "Update custom role", body: crm_auth::roles::RoleChanges, reply: crm_auth::roles::RoleView, errors: [404 "NOT_FOUND", 409 "CONFLICT"]),
    route!(
        "DELETE /v1/admin/roles/{id}",
        "RolesDelete",
        Access::Permission(rbac::ROLES_MANAGE),
        routes::admin::roles::delete::handle,
        "Delete custom role (refused while assigned)", reply: crm_http::contract::NoContent, errors: [404 "NOT_FOUND", 409 "CONFLICT", 422 "ROLE_IN_USE"]),
    route!(
        "GET /v1/admin/roles/{id}/permissions",
        "RolePermissionsGet",
        Access::Permission(rbac::ROLE_READ),
        routes::admin::roles::permissions_get::handle,
        "Get role permissions (own, inherited, all)", reply: crate::routes::admin::roles::permissions_get::RolePermissions, errors: [404 "NOT_FOUND"]),
    route!("GET /v1/admin/users", "UsersList", Access::Permission(rbac::USER_READ), routes::admin::users::get::handle, "List users", query: crate::routes::admin::users::get::UsersQuery, reply: Vec<crate::model::UserView>),
    route!(
        "POST /v1/admin/users",
        "UsersCreate",
        Access::Permission(rbac::USER_MANAGE),
        routes::admin::users::post::handle,
        "Create user (seat-limited by users.max)", body: routes::admin::users::post::CreateUser, reply: crate::model::UserView, errors: [409 "CONFLICT", 422 "ENTITLEMENT_ABOVE_PLAN", 422 "LIMIT_REACHED"]),
    route!("GET /v1/admin/users/{id}", "UserGet", Access::Permission(rbac::USER_READ), routes::admin::users::id_get::handle, "Get user", reply: crate::model::UserView),
    route!(
        "PATCH /v1/admin/users/{id}",
        "UserPatch",
        Access::Permission(rbac::USER_UPDATE),
        routes::admin::users::patch::handle,
        "Update user (profile, If-Match)", body: routes::admin::users::patch::Patch, reply: crate::model::UserView, errors: [412 "PRECONDITION_FAILED"]),
    route!(
        "DELETE /v1/admin/users/{id}",
        "UserDelete",
        Access::Permission(rbac::USER_DELETE),
        routes::admin::users::delete::handle,
        "Delete user (deactivate, release email and seat)", reply: crm_http::contract::NoContent),
    route!(
        "GET /v1/admin/users/{id}/preferences",
        "UserPreferencesGet",
        Access::Permission(rbac::USER_READ),
        routes::admin::users::preferences_get::handle,
        "Get user preferences", reply: crm_notify::preferences::Preferences),
    route!(
        "PUT /v1/admin/users/{id}/preferences",
        "UserPreferencesPut",
        Access::Permission(rbac::USER_UPDATE),
        routes::admin::users::preferences_put::handle,
        "Put user preferences", body: crm_notify::preferences::PreferencesUpdate, reply: crm_notify::preferences::Preferences, errors: [412 "PRECONDITION_FAILED"]),
    route!(
        "GET /v1/admin/users/{id}/effective-permissions",
        "UserEffectivePermissions",
        Access::Permission(rbac::USER_READ),
        routes::admin::users::effective_permissions_get::handle,
        "User effective permissions", reply: crate::routes::admin::users::effective_permissions_get::Effective),
    route!(
        "GET /v1/admin/users/{id}/effective-entitlements",
        "UserEffectiveEntitlements",
        Access::Permission(rbac::ENTITLEMENTS_VIEW),
        routes::admin::users::effective_entitlements_get::handle,
        "User effective entitlements", reply: crate::access::EffectiveAccess),
    route!(
        "POST /v1/admin/users/invite",
        "UsersInvite",
        Access::Permission(rbac::USER_INVITE),
        routes::admin::users::invite_post::handle,
        "Invite user (seat-limited; emails the accept link)", body: routes::admin::users::invite_post::Invite, reply: crate::routes::admin::users::invite_post::Invited, errors: [409 "CONFLICT", 422 "ENTITLEMENT_ABOVE_PLAN", 422 "LIMIT_REACHED"]),
    route!(
        "POST /v1/admin/users/accept-invite",
        "AcceptInvite",
        Access::Public,
        routes::admin::users::accept_invite_post::handle,
        "Accept invite (public; creates the user and logs in)", body: routes::admin::users::accept_invite_post::Accept, reply: crate::issue::SignedIn, errors: [409 "CONFLICT", 429 "RATE_LIMIT_EXCEEDED"]),
    route!(
        "POST /v1/admin/users/{id}/suspend",
        "UserSuspend",
        Access::Permission(rbac::USER_SUSPEND),
        routes::admin::users::suspend_post::handle,
        "Suspend user", reply: crate::model::UserView),
    route!(
        "POST /v1/admin/users/{id}/deactivate",
        "UserDeactivate",
        Access::Permission(rbac::USER_DEACTIVATE),
        routes::admin::users::deactivate_post::handle,
        "Deactivate user (frees a seat)", reply: crate::model::UserView),
    route!(
        "POST /v1/admin/users/{id}/reactivate",
        "UserReactivate",
        Access::Permission(rbac::USER_REINSTATE),
        routes::admin::users::reactivate_post::handle,
        "Reactivate user", reply: crate::model::UserView),
    route!(
        "POST /v1/admin/users/{id}/force-logout",
        "UserForceLogout",
        Access::Permission(rbac::USER_FORCE_LOGOUT),
        routes::admin::users::force_logout_post::handle,
        "User force logout", reply: crate::model::UserView),
    route!("GET /v1/admin/groups", "GroupsList", Access::Permission(rbac::USER_READ), routes::admin::groups::get::handle, "List groups", reply: Vec<crate::group::Group>, errors: [409 "CONFLICT", 412 "PRECONDITION_FAILED"]),
    route!(
        "POST /v1/admin/groups",
        "GroupsCreate",
        Access::Permission(rbac::GROUPS_MANAGE),
        routes::admin::groups::post::handle,
        "Create group (code unique, groups.max, grant in the access model)", body: crate::group::GroupChanges, reply: crate::group::Group, errors: [409 "CONFLICT", 412 "PRECONDITION_FAILED", 422 "LIMIT_REACHED"]),
    route!(
        "GET /v1/admin/groups/{id}",
        "GroupsGet",
        Access::Permission(rbac::USER_READ),
        routes::admin::groups::id_get::handle,
        "Get group (with members and overrides)", reply: crate::routes::admin::groups::id_get::GroupView, errors: [409 "CONFLICT", 412 "PRECONDITION_FAILED"]),
    route!(
        "PATCH /v1/admin/groups/{id}",
        "GroupsUpdate",
        Access::Permission(rbac::GROUPS_MANAGE),
        routes::admin::groups::patch::handle,
        "Update group", body: crate::group::GroupChanges, reply: crate::group::Group, errors: [409 "CONFLICT", 412 "PRECONDITION_FAILED"]),
    route!(
        "DELETE /v1/admin/groups/{id}",
        "GroupsDelete",
        Access::Permission(rbac::GROUPS_MANAGE),
        routes::admin::groups::delete::handle,
        "Delete group (empty groups only)", reply: crm_http::contract::NoContent, errors: [409 "CONFLICT", 412 "PRECONDITION_FAILED"]),
    route!(
        "POST /v1/admin/groups/{id}/members",
        "GroupMembersAdd",
        Access::Permission(rbac::GROUPS_MEMBERS_MANAGE),
        routes::admin::groups::members::add,
        "Add group member", body: routes::admin::groups::members::Body, reply: crate::routes::admin::groups::members::Membership, errors: [409 "CONFLICT", 412 "PRECONDITION_FAILED"]),
    route!(
        "DELETE /v1/admin/groups/{id}/members",
        "GroupMembersRemove",
        Access::Permission(rbac::GROUPS_MEMBERS_MANAGE),
        routes::admin::groups::members::remove,
        "Remove group member", body: routes::admin::groups::members::Body, reply: crm_http::contract::NoContent, errors: [409 "CONFLICT", 412 "PRECONDITION_FAILED"]),
    route!(
        "GET /v1/admin/roles/hierarchy",
        "RoleHierarchyGet",
        Access::Permission(rbac::ROLE_READ),
        routes::admin::roles::hierarchy::get,
        "Get role hierarchy", reply: crate::routes::admin::roles::hierarchy::Hierarchy),
    route!(
        "POST /v1/admin/roles/hierarchy",
        "RoleHierarchyAdd",
        Access::Permission(rbac::ROLES_HIERARCHY_MANAGE),
        routes::admin::roles::hierarchy::post,
        "Add role hierarchy (no cycles)", body: routes::admin::roles::hierarchy::Edge, reply: crate::routes::admin::roles::hierarchy::Hierarchy, errors: [422 "ROLE_CYCLE"]),
    route!(
        "DELETE /v1/admin/roles/hierarchy",
        "RoleHierarchyRemove",
        Access::Permission(rbac::ROLES_HIERARCHY_MANAGE),
        routes::admin::roles::hierarchy::delete,
        "Remove role hierarchy", body: routes::admin::roles::hierarchy::Edge, reply: crate::routes::admin::roles::hierarchy::Hierarchy, errors: [404 "NOT_FOUND"]),
    route!(
        "GET /v1/admin/roles/visibility",
        "RecordVisibilityGet",
        Access::Permission(rbac::ROLE_READ),
        routes::admin::roles::visibility::get,
        "Get record visibility", reply: crate::routes::admin::roles::visibility::Visibility),
    route!(
        "PUT /v1/admin/roles/visibility",
        "RecordVisibilitySet",
        Access::Permission(rbac::ROLES_HIERARCHY_MANAGE),
        routes::admin::roles::visibility::put,
        "Set record visibility (all or team)", body: routes::admin::roles::visibility::Body, reply: crate::routes::admin::roles::visibility::Visibility),
    route!(
        "GET /v1/admin/entitlements/overrides/{scope}",
        "EntitlementOverridesGet",
        Access::Permission(rbac::ENTITLEMENTS_OVERRIDES_MANAGE),
        routes::admin::entitlements::overrides::get,
        "Get entitlement override", query: crate::routes::admin::entitlements::overrides::ScopeQuery, reply: crm_auth::access::Overrides, errors: [404 "NOT_FOUND"]),
    route!(
        "PUT /v1/admin/entitlements/overrides/{scope}",
        "EntitlementOverridesPut",
        Access::Permission(rbac::ENTITLEMENTS_OVERRIDES_MANAGE),
        routes::admin::entitlements::overrides::put,
        "Put entitlement overrides", body: crm_auth::access::OverridesRequest, query: crate::routes::admin::entitlements::overrides::ScopeQuery, reply: crm_auth::access::Overrides, errors: [404 "NOT_FOUND"]),
    route!(
        "GET /v1/admin/entitlements/effective",
        "EntitlementsEffective",
        Access::Permission(rbac::ENTITLEMENTS_VIEW),
        routes::admin::entitlements::effective_get::handle,
        "Entitlements effective (each value with its source)", query: crate::routes::admin::entitlements::effective_get::EffectiveQuery, reply: crate::access::EffectiveAccess, errors: [404 "NOT_FOUND"]),
    route!(
        "GET /v1/admin/plan",
        "PlanGet",
        Access::Permission(rbac::PLAN_VIEW),
        routes::admin::plan::get::handle,
        "Get plan (plan, features, limits, usage)", reply: crate::routes::admin::plan::get::PlanView),
    route!(
        "POST /v1/admin/users/{id}/roles",
        "UserRolesAssign",
        Access::Permission(rbac::ROLE_ASSIGN),
        routes::admin::users::roles_post::handle,
        "Assign user roles (audited user.role.changed)", body: routes::admin::users::roles_post::AssignRoles, reply: crate::model::UserView, errors: [409 "CONFLICT", 412 "PRECONDITION_FAILED", 422 "ENTITLEMENT_ABOVE_PLAN", 422 "LAST_SUPER_ADMIN"]),
    route!(
        "GET /v1/admin/audit-logs",
        "AuditLogsList",
        Access::Permission(rbac::AUDIT_READ),
        routes::admin::audit_logs::get::handle,
        "List audit logs", query: crate::routes::admin::audit_logs::get::AuditQuery, reply: Vec<crate::audit_log::Entry>),
    route!(
        "POST /v1/admin/audit-logs/export",
        "AuditLogsExport",
        Access::Permission(rbac::AUDIT_READ),
        routes::admin::audit_logs::export_post::handle,
        "Export audit logs (any range up to 366 days; jsonl or csv; a job; 10 an hour)", query: crate::routes::admin::audit_logs::export_post::ExportQuery, reply: crate::routes::admin::audit_logs::export_post::ExportView, errors: [429 "RATE_LIMIT_EXCEEDED"]),
    route!(
        "GET /v1/admin/audit-logs/exports/{id}",
        "AuditLogsExportGet",
        Access::Permission(rbac::AUDIT_READ),
        routes::admin::audit_logs::export_id_get::handle,
        "Get audit export (download URL once completed)", reply: crate::routes::admin::audit_logs::export_post::ExportView, errors: [404 "NOT_FOUND"]),
    route!(
        "POST /v1/admin/api-keys",
        "ApiKeysCreate",
        Access::Permission(rbac::APIKEY_MANAGE),
        routes::admin::api_keys::post::handle,
        "Create API key (secret shown once)", body: routes::admin::api_keys::post::CreateApiKey, reply: crate::routes::admin::api_keys::post::Created),
    route!(
        "GET /v1/admin/api-keys",
        "ApiKeysList",
        Access::Permission(rbac::APIKEY_MANAGE),
        routes::admin::api_keys::get::handle,
        "List API keys", query: crate::routes::admin::api_keys::get::ApiKeysQuery, reply: Vec<crate::model::ApiKeyView>),
    route!(
        "DELETE /v1/admin/api-keys/{id}",
        "ApiKeysRevoke",
        Access::Permission(rbac::APIKEY_MANAGE),
        routes::admin::api_keys::delete::handle,
        "Revoke API key", reply: crm_http::contract::NoContent),
];

crm_runtime::function! {
    binary: "identity",
    app: App,
    build: App::new,
    handlers: {
        http "api" => App::handle,
        json "invitations" => App::run_invitation_expiry,
        sqs "audit-export" => App::handle_audit_export_batch,
    },
}
