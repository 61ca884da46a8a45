//! Per-client-IP limits on the public auth routes (the spec: "Auth
//! endpoints are rate-limited"; "stricter limits on login/OTP"). These
//! routes run before anyone is authenticated, so the authorizer's per-tenant
//! limit cannot cover them: each route counts requests per source IP in a
//! fixed window (`AUTH_RATE_LIMIT` per `AUTH_RATE_WINDOW_SECS`, default 20
//! per 60 s) and answers `429 RATE_LIMIT_EXCEEDED` with `Retry-After` past it.
//! A counter the store cannot write lets the request through (fail open, as
//! the authorizer does): lockout and Argon2 still stand behind it.

use crm_http::Call;
use crm_kernel::{AppError, Timestamp};
use crm_store::keys;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub limit: i64,
    pub window_secs: i64,
}

impl Default for Policy {
    fn default() -> Self {
        Self { limit: 20, window_secs: 60 }
    }
}

impl Policy {
    /// `Ok` while `count` (this request included) is within the limit, else
    /// the `429` with the seconds left in the window.
    pub fn check(&self, count: i64, now: i64) -> Result<(), AppError> {
        if count <= self.limit {
            return Ok(());
        }
        let reset = self.window_start(now) + self.window_secs;
        Err(AppError::RateLimited { retry_after_secs: (reset - now).max(1) as u64 })
    }

    pub fn window_start(&self, now: i64) -> i64 {
        now - now.rem_euclid(self.window_secs)
    }
}

/// Counts this request against its source IP for `route` and refuses it past the limit.
pub async fn per_ip(app: &crate::App, call: &Call, route: &str) -> Result<(), AppError> {
    let ip = match call.ctx.source_ip.as_str() {
        "" => "unknown",
        ip => ip,
    };
    let now = Timestamp::now().unix_seconds();
    let start = app.auth_rate.window_start(now);
    let key = keys::global_window(&format!("AUTHIP#{route}"), ip, start);
    match app.store.increment(&key, "count", 1, start + app.auth_rate.window_secs + 60).await {
        Ok(count) => app.auth_rate.check(count, now),
        Err(e) => {
            tracing::warn!(error = %e, route, "auth rate counter unavailable");
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_up_to_the_limit_then_says_when_to_retry() {
        let p = Policy { limit: 3, window_secs: 60 };
        assert!(p.check(3, 125).is_ok());
        assert_eq!(p.check(4, 125), Err(AppError::RateLimited { retry_after_secs: 55 }));
        assert_eq!(p.check(4, 179), Err(AppError::RateLimited { retry_after_secs: 1 }));
    }
}
