//! Dunning: a failed payment makes a subscription `past_due`. For the
//! grace period (7 days unless configured) everything still works; after
//! it the tenant is **restricted**: every plan feature answers `402
//! PLAN_REQUIRED` except those that keep an account safe and let its admins
//! pay (two-factor sign-in, `plan.view`). Routes that need no feature — the
//! admin panel, billing, export — stay open. `invoice.paid` restores access
//! at once.

use crm_kernel::Timestamp;

/// The grace after `past_due` before the tenant is restricted.
pub const DEFAULT_GRACE_DAYS: i64 = 7;

/// Features a restricted tenant keeps.
pub const KEPT_WHEN_RESTRICTED: &[&str] = &["twofa.totp", "twofa.sms", "twofa.whatsapp", "plan.view"];

/// Where a tenant stands with its payments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    Good,
    /// Past due, still served in full until `until`.
    Grace {
        until: Timestamp,
    },
    /// Past due beyond the grace.
    Restricted {
        since: Timestamp,
    },
}

/// The instant a subscription past due since `since` is restricted.
pub fn restricted_from(since: Timestamp, grace_days: i64) -> Timestamp {
    since.plus_seconds(grace_days.max(0) * 86_400)
}

/// The standing at `now` of a tenant restricted from `restricted_from` (if past due).
pub fn standing(restricted_from: Option<Timestamp>, now: Timestamp) -> Standing {
    match restricted_from {
        None => Standing::Good,
        Some(at) if now < at => Standing::Grace { until: at },
        Some(at) => Standing::Restricted { since: at },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grace_then_restriction() {
        let failed = Timestamp::parse("2026-11-03T10:00:00Z").unwrap();
        let from = restricted_from(failed, DEFAULT_GRACE_DAYS);
        assert_eq!(from, Timestamp::parse("2026-11-10T10:00:00Z").unwrap());
        assert_eq!(standing(None, failed), Standing::Good);
        assert_eq!(standing(Some(from), failed.plus_seconds(86_400)), Standing::Grace { until: from });
        assert_eq!(standing(Some(from), from), Standing::Restricted { since: from });
    }
}
