//! Caps and throttles (`402` past a monthly cap, `429` past a throttle; ADR 0009): SMS and WhatsApp
//! count against the plan's `sms.monthlyCap` / `whatsapp.monthlyCap` on a
//! per-month usage counter taken in the dispatch's own transaction (so the
//! cap holds under concurrency; `402 PLAN_REQUIRED` when used up), and every
//! channel has a per-tenant per-minute throttle (`429`, `Retry-After`).

use crm_auth::entitlements::Entitlements;
use crm_kernel::{AppError, TenantId, Timestamp};
use crm_notify::messages::Channel;
use crm_store::{keys, Key, Store, Tx};

/// Label of the cap operation in a dispatch transaction.
pub const CAP: &str = "cap";

/// The plan limit that meters `channel`, if any.
pub fn cap_key(channel: &Channel) -> Option<&'static str> {
    match channel {
        Channel::Sms => Some("sms.monthlyCap"),
        Channel::Whatsapp => Some("whatsapp.monthlyCap"),
        _ => None,
    }
}

/// The tenant's counters for the calendar month (UTC) of `at`.
pub fn month_key(tenant: TenantId, at: Timestamp) -> Key {
    keys::usage_month(tenant, &at.date()[..7])
}

/// Takes `n` units of `channel`'s monthly cap in `tx`, failing it (label
/// [`CAP`]) when that would pass the plan's limit.
pub fn take(tx: Tx, tenant: TenantId, channel: &Channel, n: i64, entitlements: &Entitlements, now: Timestamp) -> Result<Tx, AppError> {
    let Some(key) = cap_key(channel) else { return Ok(tx) };
    if entitlements.limit(key) < n {
        return Err(reached(channel, entitlements).unwrap_or(AppError::NotFound));
    }
    Ok(crm_store::usage::take_n_at(tx, CAP, &month_key(tenant, now), channel.as_str(), n, entitlements.limit(key)))
}

/// The `402` for `channel`'s used-up cap.
pub fn reached(channel: &Channel, entitlements: &Entitlements) -> Option<AppError> {
    cap_key(channel).map(|key| AppError::CapReached { key: key.into(), limit: entitlements.limit(key) })
}

/// Counts one send of `channel` in the current minute; `429` past `limit`.
pub async fn throttle(store: &Store, tenant: TenantId, channel: &Channel, limit: i64, now: Timestamp) -> Result<(), AppError> {
    let window = now.unix_seconds() - now.unix_seconds().rem_euclid(60);
    let key = keys::tenant_window(tenant, "NOTIFY", channel.as_str(), window);
    let count = store.increment(&key, "count", 1, window + 120).await?;
    if count > limit {
        return Err(AppError::RateLimited { retry_after_secs: (window + 60 - now.unix_seconds()).max(1) as u64 });
    }
    Ok(())
}
