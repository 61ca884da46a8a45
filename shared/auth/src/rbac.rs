//! Permission codes and default roles (the union of the specs' role lists).
//!
//! Codes are `resource.action`, quoted from the specs where they name them.
//! Each later capability adds its own codes here, and grants them to the
//! default roles; tenants' custom roles (identity) pick from the same codes.

use std::fmt;

/// A permission code such as `note.create`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Permission(pub &'static str);

impl Permission {
    pub fn code(&self) -> &'static str {
        self.0
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

pub const SYSTEM_HEALTH: Permission = Permission("system.health");
pub const NOTE_CREATE: Permission = Permission("note.create");
pub const NOTE_READ: Permission = Permission("note.read");
pub const ACTIVITY_READ: Permission = Permission("activity.read");
pub const ACTIVITY_CREATE: Permission = Permission("activity.create");
pub const ACTIVITY_UPDATE: Permission = Permission("activity.update");
pub const ACTIVITY_DELETE: Permission = Permission("activity.delete");
pub const SESSION_READ_SELF: Permission = Permission("session.read.self");
pub const SESSION_REVOKE_SELF: Permission = Permission("session.revoke.self");

pub const USER_READ: Permission = Permission("user.read");
pub const ROLE_READ: Permission = Permission("role.read");
/// Custom roles: create, change, delete (`/v1/admin/roles`).
pub const ROLES_MANAGE: Permission = Permission("roles.manage");
pub const ROLE_ASSIGN: Permission = Permission("role.assign");
pub const AUDIT_READ: Permission = Permission("audit.read");
pub const APIKEY_MANAGE: Permission = Permission("apikey.manage");
pub const USER_MANAGE: Permission = Permission("user.manage");
pub const PLAN_VIEW: Permission = Permission("plan.view");
/// Billing (M3CoreCRM §13): the subscription, plan and usage.
pub const BILLING_VIEW: Permission = Permission("billing.view");
/// Apply and remove the tenant's promo code.
pub const BILLING_MANAGE_PROMOS: Permission = Permission("billing.manage_promos");
/// The tenant's invoices.
pub const BILLING_VIEW_INVOICES: Permission = Permission("billing.view_invoices");
/// What-ifs: the next period's quote, a seat's cost.
pub const BILLING_PREVIEW: Permission = Permission("billing.preview");
/// The seat view (`GET /v1/admin/seats`).
pub const SEATS_VIEW: Permission = Permission("seats.view");
pub const TWOFA_MANAGE_SELF: Permission = Permission("twofa.manage.self");
pub const USER_SUSPEND: Permission = Permission("user.suspend");
pub const USER_DEACTIVATE: Permission = Permission("user.deactivate");
pub const USER_REINSTATE: Permission = Permission("user.reinstate");
pub const USER_FORCE_LOGOUT: Permission = Permission("user.forceLogout");
pub const USER_INVITE: Permission = Permission("user.invite");
pub const USER_UPDATE: Permission = Permission("user.update");
pub const USER_DELETE: Permission = Permission("user.delete");
pub const ENTITLEMENTS_VIEW: Permission = Permission("entitlements.view");
pub const PHONE_VERIFY_START: Permission = Permission("phone.verify.start");
pub const PHONE_VERIFY_CONFIRM: Permission = Permission("phone.verify.confirm");
pub const NOTIFY_DISPATCH: Permission = Permission("notify.dispatch");
pub const NOTIFY_TEMPLATES_MANAGE: Permission = Permission("notify.templates.manage");
pub const NOTIFY_OUTBOX_READ: Permission = Permission("notify.outbox.read");
pub const NOTIFY_INBOX_READ_SELF: Permission = Permission("notify.inbox.read.self");
pub const NOTIFY_INBOX_READ_TENANT: Permission = Permission("notify.inbox.read.tenant");
pub const NOTIFY_PREFERENCES_UPDATE_SELF: Permission = Permission("notify.preferences.update.self");
pub const NOTIFY_CONSENT_MANAGE: Permission = Permission("notify.consent.manage");
pub const NOTIFY_POLICIES_MANAGE: Permission = Permission("notify.policies.manage");
pub const NOTIFY_SUPPRESSION_READ: Permission = Permission("notify.suppression.read");
pub const NOTIFY_SUPPRESSION_MANAGE: Permission = Permission("notify.suppression.manage");
pub const EMAIL_ACCOUNTS_MANAGE: Permission = Permission("email.accounts.manage");
pub const COMPANY_READ: Permission = Permission("company.read");
pub const COMPANY_CREATE: Permission = Permission("company.create");
pub const COMPANY_UPDATE: Permission = Permission("company.update");
pub const COMPANY_DELETE: Permission = Permission("company.delete");
pub const CONTACT_READ: Permission = Permission("contact.read");
pub const CONTACT_CREATE: Permission = Permission("contact.create");
pub const CONTACT_UPDATE: Permission = Permission("contact.update");
pub const CONTACT_DELETE: Permission = Permission("contact.delete");
pub const CONTACT_MERGE: Permission = Permission("contact.merge");
pub const CONTACT_CONSENT_MANAGE: Permission = Permission("contact.consent.manage");
pub const CUSTOMFIELDS_MANAGE: Permission = Permission("customfields.manage");
pub const SEGMENT_MANAGE: Permission = Permission("segment.manage");
pub const TASK_READ: Permission = Permission("task.read");
pub const TASK_CREATE: Permission = Permission("task.create");
pub const TASK_UPDATE: Permission = Permission("task.update");
pub const TASK_DELETE: Permission = Permission("task.delete");
pub const TASK_COMPLETE: Permission = Permission("task.complete");
pub const GROUPS_MANAGE: Permission = Permission("groups.manage");
pub const GROUPS_MEMBERS_MANAGE: Permission = Permission("groups.members.manage");
pub const ROLES_HIERARCHY_MANAGE: Permission = Permission("roles.hierarchy.manage");
pub const ENTITLEMENTS_OVERRIDES_MANAGE: Permission = Permission("entitlements.overrides.manage");
pub const APPROVALS_POLICIES_MANAGE: Permission = Permission("approvals.policies.manage");
pub const APPROVALS_REQUESTS_READ: Permission = Permission("approvals.requests.read");
pub const APPROVALS_DECIDE: Permission = Permission("approvals.decide");

pub const PIPELINE_MANAGE: Permission = Permission("pipeline.manage");
pub const DEAL_READ: Permission = Permission("deal.read");
pub const DEAL_CREATE: Permission = Permission("deal.create");
pub const DEAL_UPDATE: Permission = Permission("deal.update");
pub const DEAL_DELETE: Permission = Permission("deal.delete");
pub const DEAL_STAGE_MOVE: Permission = Permission("deal.stage.move");
pub const DEAL_MARK_WIN: Permission = Permission("deal.mark.win");
pub const DEAL_MARK_LOSS: Permission = Permission("deal.mark.loss");
/// Field-level reads ([`crate::sensitive`]): without them a deal reads
/// without its amount, a contact without its email addresses or phone
/// numbers, in every response, export and search result.
pub const DEAL_AMOUNT_READ: Permission = Permission("deal.amount.read");
pub const CONTACT_EMAIL_READ: Permission = Permission("contact.email.read");
pub const CONTACT_PHONE_READ: Permission = Permission("contact.phone.read");
pub const LEAD_READ: Permission = Permission("lead.read");
pub const LEAD_CREATE: Permission = Permission("lead.create");
pub const LEAD_UPDATE: Permission = Permission("lead.update");
pub const LEAD_DELETE: Permission = Permission("lead.delete");
pub const LEAD_CONVERT: Permission = Permission("lead.convert");
pub const LEAD_IMPORT: Permission = Permission("lead.import");
/// Scoring rules and assignment rules of the tenant's leads (not named by the spec).
pub const LEAD_RULES_MANAGE: Permission = Permission("lead.rules.manage");
// Property inventory (M3CoreCRM §7). Creating and editing a unit is `unit.update`.
pub const PROJECT_MANAGE: Permission = Permission("project.manage");
pub const BUILDING_MANAGE: Permission = Permission("building.manage");
pub const UNIT_READ: Permission = Permission("unit.read");
pub const UNIT_UPDATE: Permission = Permission("unit.update");
pub const UNIT_DELETE: Permission = Permission("unit.delete");
pub const UNIT_PRICE_UPDATE: Permission = Permission("unit.price.update");
pub const UNIT_STATUS_UPDATE: Permission = Permission("unit.status.update");
pub const UNIT_COMPONENT_MANAGE: Permission = Permission("unit.component.manage");
/// The inventory's coded dictionaries (`unit_type_codes`, `component_type_codes`).
pub const CODE_MANAGE: Permission = Permission("code.manage");
/// Reserving a unit, a courtesy hold, extending and releasing them, a
/// deposit (not named by the spec: a rep reserves without editing units).
pub const UNIT_RESERVE: Permission = Permission("unit.reserve");
/// Payment-plan templates (not named by the spec).
pub const PAYMENT_PLAN_MANAGE: Permission = Permission("payment_plan.manage");
// Map overlays (M3CoreCRM §8).
pub const OVERLAY_READ: Permission = Permission("overlay.read");
/// Overlays: create, upload, rename, align, delete.
pub const OVERLAY_MANAGE: Permission = Permission("overlay.manage");
/// The public read-only link: publish and unpublish.
pub const OVERLAY_PUBLISH: Permission = Permission("overlay.publish");
pub const LAYER_MANAGE: Permission = Permission("layer.manage");
/// Shapes: draw, redraw, roll back, delete.
pub const SHAPE_MANAGE: Permission = Permission("shape.manage");
/// Linking a shape to (another) unit or component.
pub const SHAPE_LINK: Permission = Permission("shape.link");
pub const SHAPE_VALIDATE: Permission = Permission("shape.validate");

/// Every permission code the system knows.
pub const ALL: &[Permission] = &[
    SYSTEM_HEALTH,
    NOTE_CREATE,
    NOTE_READ,
    ACTIVITY_READ,
    SESSION_READ_SELF,
    SESSION_REVOKE_SELF,
    USER_READ,
    ROLE_READ,
    ROLES_MANAGE,
    ROLE_ASSIGN,
    AUDIT_READ,
    APIKEY_MANAGE,
    USER_MANAGE,
    PLAN_VIEW,
    BILLING_VIEW,
    BILLING_MANAGE_PROMOS,
    BILLING_VIEW_INVOICES,
    BILLING_PREVIEW,
    SEATS_VIEW,
    TWOFA_MANAGE_SELF,
    USER_SUSPEND,
    USER_DEACTIVATE,
    USER_REINSTATE,
    USER_FORCE_LOGOUT,
    USER_INVITE,
    USER_UPDATE,
    USER_DELETE,
    ENTITLEMENTS_VIEW,
    PHONE_VERIFY_START,
    PHONE_VERIFY_CONFIRM,
    NOTIFY_DISPATCH,
    NOTIFY_TEMPLATES_MANAGE,
    NOTIFY_OUTBOX_READ,
    NOTIFY_INBOX_READ_SELF,
    NOTIFY_INBOX_READ_TENANT,
    NOTIFY_PREFERENCES_UPDATE_SELF,
    NOTIFY_CONSENT_MANAGE,
    NOTIFY_POLICIES_MANAGE,
    NOTIFY_SUPPRESSION_READ,
    NOTIFY_SUPPRESSION_MANAGE,
    EMAIL_ACCOUNTS_MANAGE,
    COMPANY_READ,
    COMPANY_CREATE,
    COMPANY_UPDATE,
    COMPANY_DELETE,
    CONTACT_READ,
    CONTACT_CREATE,
    CONTACT_UPDATE,
    CONTACT_DELETE,
    CONTACT_MERGE,
    CONTACT_CONSENT_MANAGE,
    CUSTOMFIELDS_MANAGE,
    SEGMENT_MANAGE,
    TASK_READ,
    TASK_CREATE,
    TASK_UPDATE,
    TASK_DELETE,
    TASK_COMPLETE,
    ACTIVITY_CREATE,
    ACTIVITY_UPDATE,
    ACTIVITY_DELETE,
    GROUPS_MANAGE,
    GROUPS_MEMBERS_MANAGE,
    ROLES_HIERARCHY_MANAGE,
    ENTITLEMENTS_OVERRIDES_MANAGE,
    APPROVALS_POLICIES_MANAGE,
    APPROVALS_REQUESTS_READ,
    APPROVALS_DECIDE,
    PIPELINE_MANAGE,
    DEAL_READ,
    DEAL_CREATE,
    DEAL_UPDATE,
    DEAL_DELETE,
    DEAL_STAGE_MOVE,
    DEAL_MARK_WIN,
    DEAL_MARK_LOSS,
    DEAL_AMOUNT_READ,
    CONTACT_EMAIL_READ,
    CONTACT_PHONE_READ,
    LEAD_READ,
    LEAD_CREATE,
    LEAD_UPDATE,
    LEAD_DELETE,
    LEAD_CONVERT,
    LEAD_IMPORT,
    LEAD_RULES_MANAGE,
    PROJECT_MANAGE,
    BUILDING_MANAGE,
    UNIT_READ,
    UNIT_UPDATE,
    UNIT_DELETE,
    UNIT_PRICE_UPDATE,
    UNIT_STATUS_UPDATE,
    UNIT_COMPONENT_MANAGE,
    CODE_MANAGE,
    UNIT_RESERVE,
    PAYMENT_PLAN_MANAGE,
    OVERLAY_READ,
    OVERLAY_MANAGE,
    OVERLAY_PUBLISH,
    LAYER_MANAGE,
    SHAPE_MANAGE,
    SHAPE_LINK,
    SHAPE_VALIDATE,
];

/// The tenant owner's role: granted only by another super admin, and the
/// last active one can never be demoted, deactivated or deleted.
pub const SUPER_ADMIN: &str = "super_admin";

/// Codes an API key can never hold: identity administration. A key never
/// creates keys or users, never changes roles, groups, hierarchy or
/// entitlements, and never acts on accounts (`docs/adr/0016`).
pub const NOT_FOR_KEYS: &[Permission] = &[
    APIKEY_MANAGE,
    ROLE_ASSIGN,
    ROLES_MANAGE,
    USER_MANAGE,
    USER_INVITE,
    USER_UPDATE,
    USER_DELETE,
    USER_SUSPEND,
    USER_DEACTIVATE,
    USER_REINSTATE,
    USER_FORCE_LOGOUT,
    GROUPS_MANAGE,
    GROUPS_MEMBERS_MANAGE,
    ROLES_HIERARCHY_MANAGE,
    ENTITLEMENTS_OVERRIDES_MANAGE,
    TWOFA_MANAGE_SELF,
    EMAIL_ACCOUNTS_MANAGE,
    // What would let a key loosen the rules or speak for the tenant.
    APPROVALS_POLICIES_MANAGE,
    APPROVALS_DECIDE,
    NOTIFY_TEMPLATES_MANAGE,
    NOTIFY_POLICIES_MANAGE,
];

/// Codes that act only once the caller's email is verified
/// (`AUTH_EMAIL_UNVERIFIED`; the spec wants a verified email before privileged actions): administering people, access,
/// keys, policies and what the tenant sends in its name.
pub fn needs_verified_email(p: Permission) -> bool {
    NOT_FOR_KEYS.contains(&p) && ![TWOFA_MANAGE_SELF, APPROVALS_DECIDE].contains(&p)
}

/// Whether an API key may hold `code`.
pub fn key_may_hold(code: &str) -> bool {
    parse(code).is_some() && !NOT_FOR_KEYS.iter().any(|p| p.0 == code)
}

/// The default roles, most powerful first.
pub const ROLES: &[&str] = &["super_admin", "admin", "manager", "sales_rep", "staff", "viewer"];

/// The permissions a default role grants. Unknown roles grant nothing.
pub fn default_permissions(role: &str) -> &'static [Permission] {
    match role {
        "super_admin" | "admin" => ALL,
        "manager" => &[
            NOTE_CREATE,
            NOTE_READ,
            ACTIVITY_READ,
            SESSION_READ_SELF,
            SESSION_REVOKE_SELF,
            TWOFA_MANAGE_SELF,
            PHONE_VERIFY_START,
            PHONE_VERIFY_CONFIRM,
            USER_READ,
            ROLE_READ,
            NOTIFY_DISPATCH,
            NOTIFY_OUTBOX_READ,
            NOTIFY_INBOX_READ_SELF,
            NOTIFY_PREFERENCES_UPDATE_SELF,
            NOTIFY_CONSENT_MANAGE,
            NOTIFY_SUPPRESSION_READ,
            COMPANY_READ,
            COMPANY_CREATE,
            COMPANY_UPDATE,
            COMPANY_DELETE,
            CONTACT_READ,
            CONTACT_CREATE,
            CONTACT_UPDATE,
            CONTACT_DELETE,
            CONTACT_MERGE,
            CONTACT_CONSENT_MANAGE,
            SEGMENT_MANAGE,
            TASK_READ,
            TASK_CREATE,
            TASK_UPDATE,
            TASK_DELETE,
            TASK_COMPLETE,
            ACTIVITY_CREATE,
            ACTIVITY_UPDATE,
            ACTIVITY_DELETE,
            APPROVALS_REQUESTS_READ,
            APPROVALS_DECIDE,
            PIPELINE_MANAGE,
            DEAL_READ,
            DEAL_CREATE,
            DEAL_UPDATE,
            DEAL_DELETE,
            DEAL_STAGE_MOVE,
            DEAL_MARK_WIN,
            DEAL_MARK_LOSS,
            DEAL_AMOUNT_READ,
            CONTACT_EMAIL_READ,
            CONTACT_PHONE_READ,
            LEAD_READ,
            LEAD_CREATE,
            LEAD_UPDATE,
            LEAD_DELETE,
            LEAD_CONVERT,
            LEAD_IMPORT,
            PROJECT_MANAGE,
            BUILDING_MANAGE,
            UNIT_READ,
            UNIT_UPDATE,
            UNIT_PRICE_UPDATE,
            UNIT_STATUS_UPDATE,
            UNIT_COMPONENT_MANAGE,
            UNIT_RESERVE,
            OVERLAY_READ,
            OVERLAY_MANAGE,
            OVERLAY_PUBLISH,
            LAYER_MANAGE,
            SHAPE_MANAGE,
            SHAPE_LINK,
            SHAPE_VALIDATE,
        ],
        "sales_rep" | "staff" => &[
            NOTE_CREATE,
            NOTE_READ,
            ACTIVITY_READ,
            SESSION_READ_SELF,
            SESSION_REVOKE_SELF,
            TWOFA_MANAGE_SELF,
            PHONE_VERIFY_START,
            PHONE_VERIFY_CONFIRM,
            NOTIFY_INBOX_READ_SELF,
            NOTIFY_PREFERENCES_UPDATE_SELF,
            COMPANY_READ,
            COMPANY_CREATE,
            COMPANY_UPDATE,
            CONTACT_READ,
            CONTACT_CREATE,
            CONTACT_UPDATE,
            CONTACT_CONSENT_MANAGE,
            SEGMENT_MANAGE,
            TASK_READ,
            TASK_CREATE,
            TASK_UPDATE,
            TASK_DELETE,
            TASK_COMPLETE,
            ACTIVITY_CREATE,
            ACTIVITY_UPDATE,
            ACTIVITY_DELETE,
            APPROVALS_REQUESTS_READ,
            DEAL_READ,
            DEAL_CREATE,
            DEAL_UPDATE,
            DEAL_STAGE_MOVE,
            DEAL_MARK_WIN,
            DEAL_MARK_LOSS,
            DEAL_AMOUNT_READ,
            CONTACT_EMAIL_READ,
            CONTACT_PHONE_READ,
            LEAD_READ,
            LEAD_CREATE,
            LEAD_UPDATE,
            LEAD_CONVERT,
            UNIT_READ,
            UNIT_RESERVE,
            OVERLAY_READ,
        ],
        "viewer" => &[
            NOTE_READ,
            ACTIVITY_READ,
            SESSION_READ_SELF,
            SESSION_REVOKE_SELF,
            TWOFA_MANAGE_SELF,
            PHONE_VERIFY_START,
            PHONE_VERIFY_CONFIRM,
            NOTIFY_INBOX_READ_SELF,
            NOTIFY_PREFERENCES_UPDATE_SELF,
            COMPANY_READ,
            CONTACT_READ,
            TASK_READ,
            DEAL_READ,
            DEAL_AMOUNT_READ,
            CONTACT_EMAIL_READ,
            CONTACT_PHONE_READ,
            LEAD_READ,
            UNIT_READ,
            OVERLAY_READ,
        ],
        _ => &[],
    }
}

/// Looks a code up among the known permissions.
pub fn parse(code: &str) -> Option<Permission> {
    ALL.iter().copied().find(|p| p.0 == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_roles_grant_nothing_and_viewers_cannot_write() {
        assert!(default_permissions("root").is_empty());
        assert!(!default_permissions("viewer").contains(&NOTE_CREATE));
        assert!(default_permissions("super_admin").contains(&SYSTEM_HEALTH));
    }

    #[test]
    fn every_code_is_resource_dot_action_and_unique() {
        let mut seen = std::collections::HashSet::new();
        for p in ALL {
            assert!(p.0.contains('.'), "{p}");
            assert!(seen.insert(p.0), "duplicate {p}");
            assert_eq!(parse(p.0), Some(*p));
        }
    }
}
