//! A tenant's subscription (`tenant_subscription`) and its state machine,
//! exactly the spec's: `trial → active`, `active → past_due` (a failed
//! payment), `past_due → active` (`invoice.paid`), and any state →
//! `canceled`. Nothing leaves `canceled`.

use crm_kernel::{AppError, Timestamp};
use serde::{Deserialize, Serialize};

crm_kernel::named_enum! {
    /// Where a subscription stands.
    pub enum SubscriptionStatus { Trial = "trial", Active = "active", PastDue = "past_due", Canceled = "canceled" }
}

crm_kernel::named_enum! {
    /// Who collects the money: the dev workflow (invoices paid by hand) or Stripe.
    pub enum Provider { Dev = "dev", Stripe = "stripe" }
}

impl SubscriptionStatus {
    /// Whether the spec allows `self → to`.
    pub fn can_become(self, to: SubscriptionStatus) -> bool {
        use SubscriptionStatus::*;
        matches!((self, to), (Trial, Active) | (Active, PastDue) | (PastDue, Active) | (Trial | Active | PastDue, Canceled))
    }

    /// `self → to`, or `422 INVALID_TRANSITION` naming both.
    pub fn become_(self, to: SubscriptionStatus) -> Result<SubscriptionStatus, AppError> {
        if self.can_become(to) {
            Ok(to)
        } else {
            Err(AppError::Rule { code: "INVALID_TRANSITION", message: format!("a subscription cannot go from {self} to {to}") })
        }
    }
}

/// One plan held over part of a period, from `from` until the next span (or
/// the period's end). A period's spans are what its fee is prorated over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PlanSpan {
    pub plan: String,
    pub from: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::SubscriptionStatus::*;
    use super::*;

    #[test]
    fn only_the_spec_transitions() {
        let all = [Trial, Active, PastDue, Canceled];
        let allowed: Vec<(SubscriptionStatus, SubscriptionStatus)> =
            all.iter().flat_map(|a| all.iter().map(move |b| (*a, *b))).filter(|(a, b)| a.can_become(*b)).collect();
        assert_eq!(
            allowed,
            [(Trial, Active), (Trial, Canceled), (Active, PastDue), (Active, Canceled), (PastDue, Active), (PastDue, Canceled)]
        );
        let err = Canceled.become_(Active).unwrap_err();
        assert_eq!((err.code(), err.status()), ("INVALID_TRANSITION", 422));
    }
}
