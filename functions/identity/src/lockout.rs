//! Login lockout: 5 failed logins → 10 minutes without logging in
//! (`LOGIN_MAX_FAILURES`, `LOGIN_LOCKOUT_SECS` configure it). Tracked per
//! email, for known and unknown emails alike, so the lockout itself reveals
//! nothing about which emails have accounts.

use crm_kernel::Timestamp;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub max_failures: u32,
    pub lockout_secs: i64,
}

impl Default for Policy {
    fn default() -> Self {
        Self { max_failures: 5, lockout_secs: 600 }
    }
}

/// The failure record of one email.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failures {
    pub count: u32,
    #[serde(default)]
    pub locked_until: Option<Timestamp>,
    #[serde(default)]
    pub version: u64,
}

impl Failures {
    /// Seconds left, if locked at `now`.
    pub fn locked_for(&self, now: Timestamp) -> Option<i64> {
        self.locked_until.filter(|until| *until > now).map(|until| (until.unix_seconds() - now.unix_seconds()).max(1))
    }

    /// The record after one more failure at `now`.
    pub fn after_failure(&self, policy: Policy, now: Timestamp) -> Failures {
        // A lock that has run out starts a fresh count.
        let base = if self.locked_until.is_some_and(|u| u <= now) { 0 } else { self.count };
        let count = base + 1;
        let locked_until = (count >= policy.max_failures).then(|| now.plus_seconds(policy.lockout_secs));
        Failures { count: if locked_until.is_some() { 0 } else { count }, locked_until, version: self.version + 1 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failures_lock_for_ten_minutes_then_count_again() {
        let p = Policy::default();
        let now = Timestamp::now();
        let mut f = Failures::default();
        for i in 1..5 {
            f = f.after_failure(p, now);
            assert_eq!(f.count, i);
            assert_eq!(f.locked_for(now), None);
        }
        f = f.after_failure(p, now);
        assert_eq!(f.locked_for(now), Some(600));
        assert_eq!(f.locked_for(now.plus_seconds(601)), None);
        let after = f.after_failure(p, now.plus_seconds(601));
        assert_eq!((after.count, after.locked_for(now.plus_seconds(601))), (1, None));
    }
}
