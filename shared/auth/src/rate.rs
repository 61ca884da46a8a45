//! Per-tenant request rate limits by plan (ClientForge: starter 100,
//! professional 500, business 2000, enterprise 10000 requests per minute;
//! unknown plan → 100). Our plan codes map onto those tiers. A fixed window
//! counted in the table by the authorizer; routes answer `429` with
//! `Retry-After` and every response carries `X-RateLimit-*`.

use std::collections::HashMap;

/// Requests per window for a plan code.
pub fn default_limit(plan: &str) -> u32 {
    match plan {
        "DevFree" | "starter" => 100,
        "DevPro" | "professional" => 500,
        "business" => 2000,
        "enterprise" => 10_000,
        _ => 100,
    }
}

/// The limits in force: defaults, overridden per plan by configuration
/// (`RATE_LIMITS` = `{"DevPro": 800}`), over a window of `window_secs`
/// (`RATE_LIMIT_WINDOW_SECS`, default 60).
#[derive(Debug, Clone)]
pub struct RatePolicy {
    pub window_secs: i64,
    pub overrides: HashMap<String, u32>,
}

impl Default for RatePolicy {
    fn default() -> Self {
        Self { window_secs: 60, overrides: HashMap::new() }
    }
}

/// Where a request stands in its window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateState {
    pub limit: u32,
    /// Negative once the limit is exceeded.
    pub remaining: i64,
    /// Epoch seconds when the window resets.
    pub reset: i64,
}

impl RatePolicy {
    pub fn from_settings(window: Option<&str>, overrides: Option<&str>) -> Result<Self, String> {
        let mut p = Self::default();
        if let Some(w) = window {
            p.window_secs = w.parse().ok().filter(|w: &i64| *w > 0).ok_or("RATE_LIMIT_WINDOW_SECS must be a positive number")?;
        }
        if let Some(o) = overrides {
            p.overrides = serde_json::from_str(o).map_err(|e| format!("RATE_LIMITS: {e}"))?;
        }
        Ok(p)
    }

    pub fn limit(&self, plan: &str) -> u32 {
        self.overrides.get(plan).copied().unwrap_or_else(|| default_limit(plan))
    }

    /// Start of the window containing `now` (epoch seconds).
    pub fn window_start(&self, now: i64) -> i64 {
        now - now.rem_euclid(self.window_secs)
    }

    pub fn state(&self, plan: &str, count: i64, now: i64) -> RateState {
        let limit = self.limit(plan);
        RateState { limit, remaining: i64::from(limit) - count, reset: self.window_start(now) + self.window_secs }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_map_to_the_spec_tiers_and_overrides_win() {
        let p = RatePolicy::from_settings(None, Some(r#"{"DevPro": 800}"#)).unwrap();
        assert_eq!(p.limit("DevFree"), 100);
        assert_eq!(p.limit("DevPro"), 800);
        assert_eq!(p.limit("enterprise"), 10_000);
        assert_eq!(p.limit("mystery"), 100);
    }

    #[test]
    fn windows_and_remaining() {
        let p = RatePolicy::default();
        assert_eq!(p.window_start(125), 120);
        let s = p.state("DevFree", 101, 125);
        assert_eq!((s.limit, s.remaining, s.reset), (100, -1, 180));
        assert!(RatePolicy::from_settings(Some("0"), None).is_err());
    }
}
