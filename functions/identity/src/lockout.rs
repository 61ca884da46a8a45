//! Login lockout: 5 failed logins → 10 minutes without logging in
//! (`LOGIN_MAX_FAILURES`, `LOGIN_LOCKOUT_SECS` configure it). Tracked per
//! email, for known and unknown emails alike, so the lockout itself reveals
//! nothing about which emails have accounts.
//!
//! Race-free: every attempt is counted with an atomic `ADD` *before* the
//! password is checked, and the decision is taken on the value the `ADD`
//! returns. Fifteen parallel guesses count fifteen: the first five are
//! checked, the rest are refused unseen, and the email locks.

use crm_kernel::{AppError, Timestamp};
use crm_store::tx::Condition;
use crm_store::{AttributeValue, Tx};
use serde::{Deserialize, Serialize};

use crate::model::login_failures_key;

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

/// The attempt record of one email (`G#LOGIN#{email}` / `FAILURES`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failures {
    /// Attempts since the last success or lock (successes delete the record).
    #[serde(default)]
    pub count: u32,
    #[serde(default)]
    pub locked_until: Option<Timestamp>,
}

/// What the `n`-th counted attempt may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// Check the password; a failure of this one locks the email (the last allowed).
    Check { last: bool },
    /// Over the limit: refused without checking anything, and the email locks.
    Refuse,
}

impl Policy {
    /// The rule on the value the atomic count returned (pure).
    pub fn attempt(&self, n: i64) -> Attempt {
        let max = i64::from(self.max_failures);
        if n > max {
            Attempt::Refuse
        } else {
            Attempt::Check { last: n == max }
        }
    }
}

impl Failures {
    /// Seconds left, if locked at `now`.
    pub fn locked_for(&self, now: Timestamp) -> Option<i64> {
        self.locked_until.filter(|until| *until > now).map(|until| (until.unix_seconds() - now.unix_seconds()).max(1))
    }

    /// A lock that has run out: the count starts again.
    pub fn lapsed(&self, now: Timestamp) -> Option<Timestamp> {
        self.locked_until.filter(|until| *until <= now)
    }
}

/// Counts one attempt on `email` before anything is checked, and refuses it
/// when the email is locked or out of attempts (`429` with `Retry-After`).
/// `Ok(true)` when this is the last attempt allowed: its failure locks.
pub async fn spend(app: &crate::App, email: &crate::email::Email, now: Timestamp) -> Result<bool, AppError> {
    let key = login_failures_key(email);
    let failures: Failures = app.store.get_as(&key).await?.unwrap_or_default();
    if let Some(secs) = failures.locked_for(now) {
        return Err(AppError::RateLimited { retry_after_secs: secs as u64 });
    }
    if let Some(seen) = failures.lapsed(now) {
        reset_lapsed(app, email, seen).await;
    }
    let ttl = now.plus_seconds(app.lockout.lockout_secs + 24 * 3600).unix_seconds();
    let n = app.store.increment(&key, "count", 1, ttl).await?;
    match app.lockout.attempt(n) {
        Attempt::Refuse => {
            lock(app, email, now).await;
            Err(AppError::RateLimited { retry_after_secs: app.lockout.lockout_secs as u64 })
        }
        Attempt::Check { last } => Ok(last),
    }
}

/// Locks the email for the lockout period from now (a lock already set is
/// kept, so parallel refusals do not extend it). Best effort.
pub async fn lock(app: &crate::App, email: &crate::email::Email, now: Timestamp) {
    let until = now.plus_seconds(app.lockout.lockout_secs).to_string();
    let tx = Tx::new().set(
        "lock",
        &login_failures_key(email),
        &[("locked_until", AttributeValue::S(until))],
        &[],
        Condition::missing("locked_until"),
    );
    if let Err(e) = app.store.transact(tx).await {
        tracing::debug!(error = %e, "lock already set");
    }
}

/// A lock that ran out starts a fresh count — once, whoever gets there first.
async fn reset_lapsed(app: &crate::App, email: &crate::email::Email, seen: Timestamp) {
    let seen = Condition::eq("locked_until", AttributeValue::S(seen.to_string()));
    let tx = Tx::new().set("reset", &login_failures_key(email), &[("count", AttributeValue::N("0".into()))], &["locked_until"], seen);
    if let Err(e) = app.store.transact(tx).await {
        tracing::debug!(error = %e, "lapsed lock reset by another attempt");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_attempts_are_checked_the_fifth_failure_locks_and_the_rest_are_refused() {
        let p = Policy::default();
        assert_eq!(p.attempt(1), Attempt::Check { last: false });
        assert_eq!(p.attempt(5), Attempt::Check { last: true });
        assert_eq!(p.attempt(6), Attempt::Refuse);
        assert_eq!(p.attempt(15), Attempt::Refuse);
        let now = Timestamp::now();
        let f = Failures { count: 5, locked_until: Some(now.plus_seconds(600)) };
        assert_eq!(f.locked_for(now), Some(600));
        assert_eq!(f.locked_for(now.plus_seconds(601)), None);
        assert_eq!(f.lapsed(now.plus_seconds(601)), f.locked_until);
        assert_eq!(f.lapsed(now), None);
    }
}
