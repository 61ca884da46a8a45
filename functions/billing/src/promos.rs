//! Promo codes: the operator defines them (global, `promo_codes`); a
//! tenant's admin applies one (`POST /v1/billing/apply-promo`) or removes
//! it (`DELETE /v1/billing/promo`). Each is audited
//! (`billing.promo.applied|removed`).

use crm_billing::promo::{self, PromoCode};
use crm_kernel::{AppError, Timestamp};
use crm_store::keys;

use crate::subscription::{AppliedPromo, Subscription};

pub fn key(code: &str) -> crm_store::Key {
    keys::global_unique("PROMO", code)
}

/// The subscription with `code` applied at `now`, if the code may be applied.
pub fn apply(s: &Subscription, code: &PromoCode, now: Timestamp) -> Result<Subscription, AppError> {
    code.check(now)?;
    if s.promo.as_ref().is_some_and(|p| p.code == code.code) {
        return Err(AppError::Rule { code: "PROMO_ALREADY_APPLIED", message: format!("promo code {} is already applied", code.code) });
    }
    let mut next = s.clone();
    next.promo = Some(AppliedPromo { code: code.code.clone(), applied_at: now, expires_at: code.valid_to });
    next.updated_at = now;
    Ok(next)
}

/// The subscription without its promo code.
pub fn remove(s: &Subscription, now: Timestamp) -> Result<Subscription, AppError> {
    if s.promo.is_none() {
        return Err(promo::invalid("no promo code is applied"));
    }
    let mut next = s.clone();
    next.promo = None;
    next.updated_at = now;
    Ok(next)
}
