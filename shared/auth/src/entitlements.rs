//! Entitlements core: what a tenant's plan includes (features) and allows
//! (limits): the spec's Dev plans (DevFree, DevPro) and its feature and limit keys. Handlers ask
//! [`Entitlements::require_feature`] (`402 PLAN_REQUIRED` with `feature`) and
//! [`Entitlements::limit`] (`422 LIMIT_REACHED` with `key` and `limit` when hit).
//! Overrides (user > group (max) > tenant > plan) layer on top of these
//! defaults ([`crate::access`]); billing is the source of the plan.

use std::collections::BTreeMap;

use crm_kernel::AppError;
use serde::Serialize;

/// Every feature key the spec names, across all its modules.
pub const FEATURES: &[&str] = &[
    "twofa.totp",
    "twofa.sms",
    "twofa.whatsapp",
    "plan.view",
    "notifications.sms",
    "notifications.whatsapp",
    "marketing.sms",
    "marketing.whatsapp",
    "contacts.customFields",
    "contacts.privateRecords",
    "deals.multiPipelines",
    "deals.customFields",
    "leads.import",
    "leads.scoring",
    "units.customFields",
    "units.bulkEdit",
    "inventory.codeManagement",
    "maps.enabled",
    "maps.componentShapes",
    "maps.publicViews",
    "campaign.sms.enabled",
    "campaign.whatsapp.enabled",
    "telemarketing.enabled",
    "tasks.recurring",
    "activities.emailSync",
    "dashboard.customize",
    "dashboard.share",
    "dashboard.customSQL",
    "rbac.roleHierarchy",
    "rbac.groups",
    "admin.entitlementsOverrides",
    "admin.customDictionaries",
];

/// Every limit key the spec names, across all its modules, plus
/// `approvals.activePolicies` (the spec proposes a plan cap on active approval policies; ADR 0011).
pub const LIMITS: &[&str] = &[
    "users.max",
    "sms.monthlyCap",
    "whatsapp.monthlyCap",
    "contacts.max",
    "companies.max",
    "deals.max",
    "leads.max",
    "units.max",
    "tasks.max",
    "maps.overlays.max",
    "maps.shapes.max",
    "roles.max",
    "groups.max",
    "maxWidgetsPerLayout",
    "maxSharedLayouts",
    "snapshotScheduling",
    "approvals.activePolicies",
];

/// The plan codes, in tier order.
pub const PLANS: &[&str] = &["DevFree", "DevPro"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Entitlements {
    pub plan: String,
    pub features: Vec<&'static str>,
    pub limits: BTreeMap<&'static str, i64>,
}

impl Entitlements {
    /// The defaults of a plan; an unknown plan gets DevFree's.
    pub fn for_plan(plan: &str) -> Self {
        let (features, limits): (Vec<&'static str>, Vec<(&'static str, i64)>) = match plan {
            "DevPro" => (
                vec![
                    "twofa.totp",
                    "twofa.sms",
                    "twofa.whatsapp",
                    "plan.view",
                    "notifications.sms",
                    "notifications.whatsapp",
                    "marketing.sms",
                    "marketing.whatsapp",
                    "contacts.customFields",
                    "contacts.privateRecords",
                    "deals.multiPipelines",
                    "deals.customFields",
                    "leads.import",
                    "leads.scoring",
                    "admin.customDictionaries",
                    "units.customFields",
                    "units.bulkEdit",
                    "inventory.codeManagement",
                    "maps.enabled",
                    "maps.componentShapes",
                    "maps.publicViews",
                ],
                vec![
                    ("users.max", 25),
                    ("sms.monthlyCap", 500),
                    ("whatsapp.monthlyCap", 500),
                    ("contacts.max", 100_000),
                    ("companies.max", 50_000),
                    ("deals.max", 50_000),
                    ("leads.max", 100_000),
                    ("units.max", 20_000),
                    ("maps.overlays.max", 100),
                    ("maps.shapes.max", 20_000),
                    ("groups.max", 50),
                    ("roles.max", 50),
                    ("approvals.activePolicies", 1_000),
                ],
            ),
            _ => (
                vec!["twofa.totp", "plan.view"],
                vec![
                    ("users.max", 3),
                    ("sms.monthlyCap", 0),
                    ("whatsapp.monthlyCap", 0),
                    ("contacts.max", 1_000),
                    ("companies.max", 500),
                    ("deals.max", 500),
                    ("leads.max", 1_000),
                    ("units.max", 200),
                    ("groups.max", 3),
                    ("roles.max", 2),
                    ("approvals.activePolicies", 2),
                ],
            ),
        };
        let plan = if PLANS.contains(&plan) { plan.to_string() } else { "DevFree".to_string() };
        Self { plan, features, limits: limits.into_iter().collect() }
    }

    /// Rebuilds entitlements from their wire form (the authorizer context):
    /// unknown keys are dropped.
    pub fn from_parts(plan: &str, features: &[&str], limits: &[(&str, i64)]) -> Self {
        let plan = if PLANS.contains(&plan) { plan.to_string() } else { "DevFree".to_string() };
        let features = FEATURES.iter().copied().filter(|f| features.contains(f)).collect();
        let limits = limits.iter().filter_map(|(k, v)| LIMITS.iter().find(|l| *l == k).map(|l| (*l, *v))).collect();
        Self { plan, features, limits }
    }

    pub fn has(&self, feature: &str) -> bool {
        self.features.contains(&feature)
    }

    /// `Ok` if the plan includes `feature`, else `402 PLAN_REQUIRED`.
    pub fn require_feature(&self, feature: &str) -> Result<(), AppError> {
        if self.has(feature) {
            Ok(())
        } else {
            Err(AppError::PlanRequired { feature: feature.into() })
        }
    }

    /// The value of a limit (0 when the plan does not grant it).
    pub fn limit(&self, key: &str) -> i64 {
        self.limits.get(key).copied().unwrap_or(0)
    }

    /// The error for a reached limit.
    pub fn limit_reached(&self, key: &str) -> AppError {
        AppError::LimitReached { key: key.into(), limit: self.limit(key) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_as_the_spec_lists_them() {
        let free = Entitlements::for_plan("DevFree");
        assert_eq!(free.limit("users.max"), 3);
        assert!(free.require_feature("twofa.totp").is_ok());
        let err = free.require_feature("twofa.sms").unwrap_err();
        assert_eq!((err.code(), err.status()), ("PLAN_REQUIRED", 402));
        let pro = Entitlements::for_plan("DevPro");
        assert_eq!((pro.limit("users.max"), pro.limit("sms.monthlyCap")), (25, 500));
        assert!(pro.has("twofa.whatsapp"));
        assert_eq!(Entitlements::for_plan("weird").plan, "DevFree");
        let reached = free.limit_reached("users.max");
        assert_eq!((reached.code(), reached.status()), ("LIMIT_REACHED", 422));
    }
}
