//! Entitlements core: what a tenant's plan includes (features) and allows
//! (limits): the plans of the billing catalogue (DevFree, DevPro, Business) and the spec's feature and limit keys. Handlers ask
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Entitlements {
    pub plan: String,
    pub features: Vec<&'static str>,
    pub limits: BTreeMap<&'static str, i64>,
}

impl Entitlements {
    /// The defaults of a plan, from the billing catalogue (plans are data:
    /// `shared/billing/catalogue.json`); an unknown plan gets the lowest tier's.
    pub fn for_plan(plan: &str) -> Self {
        let catalogue = crm_billing::catalogue();
        let p = catalogue.plan(plan).unwrap_or_else(|| catalogue.free());
        let features = FEATURES.iter().copied().filter(|f| p.features.iter().any(|x| x == f)).collect();
        let limits = LIMITS.iter().filter_map(|l| p.limit(l).map(|v| (*l, v))).collect();
        Self { plan: p.code.clone(), features, limits }
    }

    /// The same with only what a tenant restricted for an unpaid invoice
    /// keeps ([`crm_billing::dunning::KEPT_WHEN_RESTRICTED`]): every other
    /// feature answers `402 PLAN_REQUIRED`; limits stay.
    pub fn restricted(mut self) -> Self {
        self.features.retain(|f| crm_billing::dunning::KEPT_WHEN_RESTRICTED.contains(f));
        self
    }

    /// Rebuilds entitlements from their wire form (the authorizer context):
    /// unknown keys are dropped.
    pub fn from_parts(plan: &str, features: &[&str], limits: &[(&str, i64)]) -> Self {
        let catalogue = crm_billing::catalogue();
        let plan = catalogue.plan(plan).unwrap_or_else(|| catalogue.free()).code.clone();
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
        let business = Entitlements::for_plan("Business");
        assert!(business.has("rbac.groups") && business.limit("users.max") == 200);
        let restricted = pro.clone().restricted();
        assert!(restricted.has("twofa.sms") && !restricted.has("maps.enabled"));
        assert_eq!(restricted.limit("users.max"), 25);
        let reached = free.limit_reached("users.max");
        assert_eq!((reached.code(), reached.status()), ("LIMIT_REACHED", 422));
    }

    #[test]
    fn the_catalogue_names_only_registry_keys() {
        for p in &crm_billing::catalogue().plans {
            for f in &p.features {
                assert!(FEATURES.contains(&f.as_str()), "{}: unknown feature {f}", p.code);
            }
            for l in p.limits.keys() {
                assert!(LIMITS.contains(&l.as_str()), "{}: unknown limit {l}", p.code);
            }
        }
    }
}
