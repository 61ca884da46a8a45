//! The catalogue of domain event types: every event any context emits or
//! consumes is named here once, and `docs/events.md` says who emits it, who
//! consumes it and what its `data` holds (a test keeps the two in step).
//! Events are built with one of these ([`crate::DomainEvent::new`]) and
//! consumers match on them ([`crate::DomainEvent::is`]), never on bare strings.
//!
//! Names are `resource.verb` (`deal.stage.moved`); the constant is the name
//! in capitals (`DEAL_STAGE_MOVED`). Template families that look alike
//! (`deal.stage_moved`, `lead.assigned`) are message families, not events.

use serde::{Serialize, Serializer};

/// One event type of the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventType(&'static str);

impl EventType {
    pub const fn as_str(self) -> &'static str {
        self.0
    }

    /// The catalogue's entry for `name`, if it has one.
    pub fn parse(name: &str) -> Option<Self> {
        ALL.iter().copied().find(|t| t.0 == name)
    }
}

impl std::fmt::Display for EventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl Serialize for EventType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0)
    }
}

macro_rules! catalogue {
    ($($(#[$doc:meta])* $name:ident = $value:literal,)*) => {
        $($(#[$doc])* pub const $name: EventType = EventType($value);)*
        /// Every event type, in the catalogue's order.
        pub const ALL: &[EventType] = &[$($name),*];
    };
}

catalogue! {
    // activity
    ACTIVITY_DELETED = "activity.deleted",
    ACTIVITY_LOGGED = "activity.logged",
    ACTIVITY_UPDATED = "activity.updated",
    // apikey
    APIKEY_CREATED = "apikey.created",
    APIKEY_REVOKED = "apikey.revoked",
    // approval
    APPROVAL_APPROVED = "approval.approved",
    APPROVAL_CANCELLED = "approval.cancelled",
    APPROVAL_POLICY_CREATED = "approval.policy.created",
    APPROVAL_POLICY_DELETED = "approval.policy.deleted",
    APPROVAL_POLICY_UPDATED = "approval.policy.updated",
    APPROVAL_REJECTED = "approval.rejected",
    APPROVAL_REQUESTED = "approval.requested",
    APPROVAL_STEP_DECIDED = "approval.step.decided",
    APPROVAL_STEP_OPENED = "approval.step.opened",
    // audit
    AUDIT_EXPORT_REQUESTED = "audit.export.requested",
    // auth
    AUTH_LOGIN = "auth.login",
    AUTH_LOGIN_FAILED = "auth.login_failed",
    AUTH_LOGOUT = "auth.logout",
    AUTH_PASSWORD_RESET = "auth.password_reset",
    AUTH_PASSWORD_RESET_REQUESTED = "auth.password_reset_requested",
    AUTH_REFRESH_ROTATED = "auth.refresh_rotated",
    AUTH_SESSION_REVOKED = "auth.session_revoked",
    AUTH_TOKEN_REUSED = "auth.token_reused",
    // billing
    BILLING_INVOICE_DRAFTED = "billing.invoice.drafted",
    BILLING_INVOICE_FINALIZED = "billing.invoice.finalized",
    BILLING_INVOICE_PAID = "billing.invoice.paid",
    BILLING_INVOICE_VOIDED = "billing.invoice.voided",
    BILLING_PAYMENT_FAILED = "billing.payment_failed",
    BILLING_PROMO_APPLIED = "billing.promo.applied",
    BILLING_PROMO_REMOVED = "billing.promo.removed",
    BILLING_SUBSCRIPTION_CHANGED = "billing.subscription.changed",
    BILLING_USAGE_DRIFT = "billing.usage.drift",
    // company
    COMPANY_CREATED = "company.created",
    COMPANY_DELETED = "company.deleted",
    COMPANY_UPDATED = "company.updated",
    // contact
    CONTACT_CHANNEL_VERIFIED = "contact.channel.verified",
    CONTACT_CHANNEL_VERIFY_STARTED = "contact.channel.verify_started",
    CONTACT_CREATED = "contact.created",
    CONTACT_DELETED = "contact.deleted",
    CONTACT_MERGED = "contact.merged",
    CONTACT_OPTED_IN = "contact.opted_in",
    CONTACT_OPTED_OUT = "contact.opted_out",
    CONTACT_UPDATED = "contact.updated",
    // contacts
    CONTACTS_EXPORTED = "contacts.exported",
    CONTACTS_IMPORTED = "contacts.imported",
    // custom_field
    CUSTOM_FIELD_CREATED = "custom_field.created",
    CUSTOM_FIELD_DELETED = "custom_field.deleted",
    CUSTOM_FIELD_UPDATED = "custom_field.updated",
    // building
    BUILDING_CREATED = "building.created",
    BUILDING_DELETED = "building.deleted",
    BUILDING_UPDATED = "building.updated",
    // deal
    DEAL_CREATED = "deal.created",
    DEAL_DELETED = "deal.deleted",
    DEAL_LOST = "deal.lost",
    DEAL_STAGE_MOVED = "deal.stage.moved",
    DEAL_UPDATED = "deal.updated",
    DEAL_WON = "deal.won",
    // dispatch
    DICTIONARY_CODE_CREATED = "dictionary.code.created",
    DICTIONARY_CODE_UPDATED = "dictionary.code.updated",
    DISPATCH_GROUP_CREATED = "dispatch.group.created",
    // email_account
    EMAIL_ACCOUNT_CONNECTED = "email_account.connected",
    EMAIL_ACCOUNT_DISCONNECTED = "email_account.disconnected",
    EMAIL_ACCOUNT_UPDATED = "email_account.updated",
    // entitlement
    ENTITLEMENT_GRANT_CHANGED = "entitlement.grant.changed",
    /// The spec's name for an admin's override change (`PUT
    /// /v1/admin/entitlements/overrides/{scope}`).
    ENTITLEMENT_OVERRIDE_CHANGED = "entitlement.override.changed",
    // entitlements
    /// Deprecated: the name emitted until 2026-12 for what is now
    /// `entitlement.override.changed`. No longer emitted; it stays in the
    /// catalogue one release so consumers can move (docs/events.md).
    ENTITLEMENTS_OVERRIDES_CHANGED = "entitlements.overrides.changed",
    // group
    GROUP_CREATED = "group.created",
    GROUP_DELETED = "group.deleted",
    GROUP_MEMBER_ADDED = "group.member.added",
    GROUP_MEMBER_REMOVED = "group.member.removed",
    GROUP_UPDATED = "group.updated",
    // job
    JOB_CONTINUE = "job.continue",
    JOB_FAILED = "job.failed",
    JOB_QUEUED = "job.queued",
    // lead
    LEAD_CONVERTED = "lead.converted",
    LEAD_CREATED = "lead.created",
    LEAD_DELETED = "lead.deleted",
    LEAD_RULES_UPDATED = "lead.rules.updated",
    LEAD_UPDATED = "lead.updated",
    // leads
    LEADS_IMPORTED = "leads.imported",
    // message
    MESSAGE_BOUNCED = "message.bounced",
    MESSAGE_DELIVERED = "message.delivered",
    MESSAGE_EXPIRED = "message.expired",
    MESSAGE_FAILED = "message.failed",
    MESSAGE_QUEUED = "message.queued",
    MESSAGE_SENT = "message.sent",
    // map
    MAP_LAYER_CREATED = "map.layer.created",
    MAP_LAYER_DELETED = "map.layer.deleted",
    MAP_LAYER_UPDATED = "map.layer.updated",
    MAP_OVERLAY_ALIGNED = "map.overlay.aligned",
    MAP_OVERLAY_CREATED = "map.overlay.created",
    MAP_OVERLAY_DELETED = "map.overlay.deleted",
    MAP_OVERLAY_PUBLISHED = "map.overlay.published",
    MAP_OVERLAY_UNPUBLISHED = "map.overlay.unpublished",
    MAP_OVERLAY_UPDATED = "map.overlay.updated",
    MAP_SHAPE_CREATED = "map.shape.created",
    MAP_SHAPE_DELETED = "map.shape.deleted",
    MAP_SHAPE_LINKED = "map.shape.linked",
    MAP_SHAPE_UPDATED = "map.shape.updated",
    MAP_SHAPES_IMPORTED = "map.shapes.imported",
    // note
    NOTE_CREATED = "note.created",
    // notification_policy
    NOTIFICATION_POLICY_UPDATED = "notification_policy.updated",
    // phone
    PHONE_VERIFY_CANCELLED = "phone.verify.cancelled",
    PHONE_VERIFY_FAILED = "phone.verify.failed",
    PHONE_VERIFY_RESEND = "phone.verify.resend",
    PHONE_VERIFY_SENT = "phone.verify.sent",
    PHONE_VERIFY_STARTED = "phone.verify.started",
    PHONE_VERIFY_SUCCEEDED = "phone.verify.succeeded",
    // payment_plan
    PAYMENT_PLAN_CREATED = "payment_plan.created",
    PAYMENT_PLAN_DELETED = "payment_plan.deleted",
    PAYMENT_PLAN_UPDATED = "payment_plan.updated",
    // pipeline
    PIPELINE_CREATED = "pipeline.created",
    PIPELINE_DELETED = "pipeline.deleted",
    PIPELINE_UPDATED = "pipeline.updated",
    // project
    PROJECT_CREATED = "project.created",
    PROJECT_DELETED = "project.deleted",
    PROJECT_UPDATED = "project.updated",
    // reminder
    REMINDER_CANCELLED = "reminder.cancelled",
    REMINDER_SCHEDULED = "reminder.scheduled",
    REMINDER_SENT = "reminder.sent",
    // role
    ROLE_CREATED = "role.created",
    ROLE_DELETED = "role.deleted",
    ROLE_HIERARCHY_CHANGED = "role.hierarchy.changed",
    ROLE_UPDATED = "role.updated",
    ROLE_VISIBILITY_CHANGED = "role.visibility.changed",
    // security
    SECURITY_REFUSED = "security.refused",
    // segment
    SEGMENT_CREATED = "segment.created",
    SEGMENT_DELETED = "segment.deleted",
    SEGMENT_UPDATED = "segment.updated",
    // suppression
    SUPPRESSION_ADDED = "suppression.added",
    SUPPRESSION_REMOVED = "suppression.removed",
    // task
    TASK_COMPLETED = "task.completed",
    TASK_CREATED = "task.created",
    TASK_DELETED = "task.deleted",
    TASK_UPDATED = "task.updated",
    // template
    TEMPLATE_APPROVED = "template.approved",
    TEMPLATE_CREATED = "template.created",
    TEMPLATE_UPDATED = "template.updated",
    // tenant
    TENANT_CREATED = "tenant.created",
    TENANT_PLAN_CHANGED = "tenant.plan.changed",
    TENANT_REACTIVATED = "tenant.reactivated",
    TENANT_SEAT_LIMIT_REACHED = "tenant.seat.limit_reached",
    TENANT_SUSPENDED = "tenant.suspended",
    // twofa
    TWOFA_DISABLED = "twofa.disabled",
    TWOFA_ENABLED = "twofa.enabled",
    // unit
    UNIT_COMPONENT_ADDED = "unit.component.added",
    UNIT_COMPONENT_DELETED = "unit.component.deleted",
    UNIT_COMPONENT_UPDATED = "unit.component.updated",
    UNIT_CREATED = "unit.created",
    UNIT_DELETED = "unit.deleted",
    UNIT_DEPOSIT_RECORDED = "unit.deposit.recorded",
    UNIT_MEDIA_ADDED = "unit.media.added",
    UNIT_PRICE_CHANGED = "unit.price.changed",
    UNIT_PRICE_SCHEDULED = "unit.price.scheduled",
    UNIT_RESERVATION_CONVERTED = "unit.reservation.converted",
    UNIT_RESERVATION_CREATED = "unit.reservation.created",
    UNIT_RESERVATION_EXPIRED = "unit.reservation.expired",
    UNIT_RESERVATION_EXTENDED = "unit.reservation.extended",
    UNIT_RESERVATION_RELEASED = "unit.reservation.released",
    UNIT_STATUS_CHANGED = "unit.status.changed",
    UNIT_UPDATED = "unit.updated",
    UNIT_WAITLIST_JOINED = "unit.waitlist.joined",
    UNIT_WAITLIST_LEFT = "unit.waitlist.left",
    UNITS_EXPORTED = "units.exported",
    UNITS_IMPORTED = "units.imported",
    // user
    USER_CREATED = "user.created",
    USER_DEACTIVATED = "user.deactivated",
    USER_DELETED = "user.deleted",
    USER_FORCE_LOGGED_OUT = "user.forceLoggedOut",
    USER_INVITATION_EXPIRED = "user.invitation.expired",
    USER_INVITATION_RESENT = "user.invitation.resent",
    USER_INVITATION_REVOKED = "user.invitation.revoked",
    USER_INVITED = "user.invited",
    USER_PREFERENCES_UPDATED = "user.preferences.updated",
    USER_REINSTATED = "user.reinstated",
    USER_ROLE_CHANGED = "user.role.changed",
    USER_SUSPENDED = "user.suspended",
    USER_UPDATED = "user.updated",
    USER_VERIFIED = "user.verified",
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_resource_dot_verb_and_unique() {
        let mut seen = std::collections::BTreeSet::new();
        for t in ALL {
            assert!(t.as_str().contains('.') && !t.as_str().starts_with('.') && !t.as_str().ends_with('.'), "{t}");
            assert!(seen.insert(t.as_str()), "{t} twice");
        }
        assert_eq!(EventType::parse("contact.merged"), Some(CONTACT_MERGED));
        assert_eq!(EventType::parse("deal.stage_moved"), None, "a message family, not an event");
    }

    #[test]
    fn docs_events_md_describes_every_event_type() {
        let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/events.md")).expect("docs/events.md");
        let missing: Vec<&str> = ALL.iter().map(|t| t.as_str()).filter(|t| !doc.contains(&format!("`{t}`"))).collect();
        assert!(missing.is_empty(), "event types docs/events.md does not describe: {missing:?}");
    }
}
