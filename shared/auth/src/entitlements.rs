//! Entitlements core: what a tenant's plan includes (features) and allows
//! (limits), M3CoreCRM "Plans / entitlements". Handlers ask
//! [`Entitlements::require_feature`] (`402 PLAN_REQUIRED` with `feature`) and
//! [`Entitlements::limit`] (`422 LIMIT_REACHED` with `key` and `limit` when hit).
//! Overrides (user > group (max) > plan) layer on top of these defaults when
//! groups arrive; billing is the source of the plan.

use std::collections::BTreeMap;

use crm_kernel::AppError;
use serde::Serialize;

/// Every feature key of the spec's registry (M3CoreCRM "Feature keys").
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

/// The plan codes, in tier order.
pub const PLANS: &[&str] = &["DevFree", "DevPro"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
                ],
                vec![("users.max", 25), ("sms.monthlyCap", 500), ("whatsapp.monthlyCap", 500)],
            ),
            _ => (vec!["twofa.totp", "plan.view"], vec![("users.max", 3), ("sms.monthlyCap", 0), ("whatsapp.monthlyCap", 0)]),
        };
        let plan = if PLANS.contains(&plan) { plan.to_string() } else { "DevFree".to_string() };
        Self { plan, features, limits: limits.into_iter().collect() }
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
