//! Per-tenant request rate limits by plan (ClientForge: starter 100,
//! professional 500, business 2000, enterprise 10000 requests per minute;
//! unknown plan → 100). Our plan codes map onto those tiers. A fixed window
//! counted in the table by the authorizer; routes answer `429` with
//! `Retry-After` and every response carries `X-RateLimit-*`.
//!
//! The authorizer does not write on every request ([`Meter`], ADR 0019): it
//! reads the window's count with the principal (the same `BatchGetItem`),
//! counts locally, and adds its local count to the table in batches of up to
//! [`MAX_BATCH`], smaller as the window nears its limit.

use std::collections::HashMap;
use std::sync::Mutex;

use crm_kernel::TenantId;

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

/// The most requests one execution environment counts before it adds them
/// to the table: at most one write per 10 requests far from the limit.
pub const MAX_BATCH: i64 = 10;

/// One execution environment's local count of each tenant's window.
#[derive(Debug, Default)]
pub struct Meter {
    slots: Mutex<HashMap<TenantId, Slot>>,
}

#[derive(Debug, Default, Clone, Copy)]
struct Slot {
    window: i64,
    /// The window's count in the table, as last read or written.
    known: i64,
    /// Requests counted here, not yet in the table.
    pending: i64,
}

/// What one request does to its window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// The window's count with this request: over the limit, it is refused.
    pub estimate: i64,
    /// Requests to add to the table now (then [`Meter::flushed`], or
    /// [`Meter::unflushed`] when the write failed).
    pub flush: Option<i64>,
}

/// Slots of past windows are dropped past this many tenants.
const SLOTS_KEPT: usize = 4096;

impl Meter {
    fn with<R>(&self, tenant: TenantId, window: i64, f: impl FnOnce(&mut Slot) -> R) -> R {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        if slots.len() > SLOTS_KEPT {
            slots.retain(|_, s| s.window >= window);
        }
        let slot = slots.entry(tenant).or_default();
        if slot.window != window {
            *slot = Slot { window, ..Slot::default() };
        }
        f(slot)
    }

    /// Counts one request of `tenant` in the window starting `window`,
    /// given `seen`, the count read from the table with the principal.
    ///
    /// Once the table's count reaches the limit the request is refused and
    /// nothing is written. Otherwise it is counted here, and the local count
    /// goes to the table when it reaches the batch, a quarter of what is
    /// left of the limit (1 to [`MAX_BATCH`]), or when this request crosses
    /// the limit, so that every environment reads the window as spent.
    pub fn step(&self, tenant: TenantId, window: i64, seen: i64, limit: u32) -> Step {
        let limit = i64::from(limit);
        self.with(tenant, window, |slot| {
            slot.known = slot.known.max(seen);
            if slot.known >= limit {
                return Step { estimate: slot.known + 1, flush: None };
            }
            slot.pending += 1;
            let estimate = slot.known + slot.pending;
            let batch = ((limit - slot.known) / 4).clamp(1, MAX_BATCH);
            if slot.pending < batch && estimate <= limit {
                return Step { estimate, flush: None };
            }
            let n = std::mem::take(&mut slot.pending);
            slot.known += n;
            Step { estimate, flush: Some(n) }
        })
    }

    /// The table's count after a flush.
    pub fn flushed(&self, tenant: TenantId, window: i64, total: i64) {
        self.with(tenant, window, |slot| slot.known = slot.known.max(total));
    }

    /// A flush that failed: its requests stay counted here, for the next one.
    pub fn unflushed(&self, tenant: TenantId, window: i64, n: i64) {
        self.with(tenant, window, |slot| {
            slot.pending += n;
            slot.known -= n;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `environments` meters sharing one table counter, a tenant sending
    /// `sent` requests in one window, each to a random environment
    /// (deterministic per `seed`). Answers (admitted, writes).
    fn fleet(limit: u32, environments: usize, sent: usize, seed: u64) -> (i64, i64) {
        let meters: Vec<Meter> = (0..environments).map(|_| Meter::default()).collect();
        let tenant = TenantId::new();
        let (mut table, mut admitted, mut writes, mut rng) = (0i64, 0i64, 0i64, seed.wrapping_mul(6364136223846793005).wrapping_add(1));
        for _ in 0..sent {
            rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let m = &meters[(rng >> 33) as usize % environments];
            let step = m.step(tenant, 0, table, limit);
            if let Some(n) = step.flush {
                table += n;
                writes += 1;
                m.flushed(tenant, 0, table);
            }
            if step.estimate <= i64::from(limit) {
                admitted += 1;
            }
        }
        (admitted, writes)
    }

    /// The figures of ADR 0019: how far past its limit a tenant gets, and
    /// what counting costs, by limit and by the number of execution
    /// environments its requests spread over. `cargo test -p crm-auth
    /// rate -- --nocapture` prints them.
    #[test]
    fn a_fleet_refuses_within_a_few_percent_of_the_limit_for_a_tenth_of_a_write() {
        for limit in [5u32, 100, 500, 2000, 10_000] {
            for environments in [1usize, 2, 4, 8] {
                let worst = (0..20).map(|seed| fleet(limit, environments, 3 * limit as usize, seed).0).max().unwrap();
                let (_, writes) = fleet(limit, environments, limit as usize / 2, 7);
                let over = (worst - i64::from(limit)) as f64 / f64::from(limit) * 100.0;
                let cost = writes as f64 / (f64::from(limit) / 2.0);
                println!("limit {limit:>6}, {environments} environments: at most {worst} admitted ({over:+.1}%); at half the limit {cost:.3} writes a request");
                assert!(worst >= i64::from(limit), "never refused under the limit");
                if environments == 1 {
                    assert_eq!(worst, i64::from(limit), "one environment counts exactly");
                }
                if limit >= 500 {
                    assert!(over <= 5.0, "{limit}/{environments}: {over:.1}% over");
                    assert!(cost <= 0.1 + 1e-9, "{limit}/{environments}: {cost:.3} writes a request");
                }
            }
        }
    }

    #[test]
    fn a_spent_window_refuses_without_writing_and_a_new_one_starts_afresh() {
        let m = Meter::default();
        let t = TenantId::new();
        assert_eq!(m.step(t, 60, 5, 5), Step { estimate: 6, flush: None });
        let fresh = m.step(t, 120, 0, 5);
        assert_eq!(fresh, Step { estimate: 1, flush: Some(1) }, "five left: batches of one");
    }

    #[test]
    fn a_failed_flush_is_counted_again() {
        let m = Meter::default();
        let t = TenantId::new();
        let first = m.step(t, 0, 0, 1000);
        assert_eq!(first.flush, None);
        let mut flushed = None;
        for _ in 0..9 {
            flushed = m.step(t, 0, 0, 1000).flush;
        }
        assert_eq!(flushed, Some(10));
        m.unflushed(t, 0, 10);
        assert_eq!(m.step(t, 0, 0, 1000), Step { estimate: 11, flush: Some(11) });
    }

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
