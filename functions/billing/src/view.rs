//! What the billing routes answer about a subscription.

use crm_auth::entitlements::Entitlements;
use crm_billing::catalogue::Plan;
use crm_billing::dunning::{standing, Standing};
use crm_kernel::Timestamp;

use crate::subscription::Subscription;

#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct PlanView {
    pub subscription: Subscription,
    pub plan: Plan,
    /// The plan's defaults: the base entitlements overrides narrow.
    pub entitlements: Entitlements,
    /// `good`, `grace` (past due, still served in full) or `restricted`.
    pub standing: &'static str,
}

impl PlanView {
    pub fn of(s: Subscription) -> Self {
        let catalogue = crm_billing::catalogue();
        let plan = catalogue.plan(&s.plan).unwrap_or_else(|| catalogue.free()).clone();
        let standing = match standing(s.restricted_from, Timestamp::now()) {
            Standing::Good => "good",
            Standing::Grace { .. } => "grace",
            Standing::Restricted { .. } => "restricted",
        };
        Self { entitlements: Entitlements::for_plan(&s.plan), plan, subscription: s, standing }
    }
}
