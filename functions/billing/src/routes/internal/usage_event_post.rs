//! `POST /v1/_billing/usage-event {tenant_id, metric_code, quantity,
//! occurred_at, correlation_id?, metadata?}` — records a usage event from
//! outside the bus (`source: api`), as the metering worker does: once per
//! `correlation_id` (a repeat is answered `recorded: false`).

use crm_billing::usage::{Metric, UsageEvent, UsageSource};
use crm_http::{Call, Reply};
use crm_kernel::fields::Input;
use crm_kernel::{AppError, FieldError, Timestamp};

use crate::subscription::Subscription;
use crate::App;

#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct UsageEventRequest {
    pub tenant_id: Input<String>,
    /// A meter (`sms.sent`, `seats.used`, …).
    pub metric_code: Input<String>,
    /// A whole number; negative only for a level (`seats.used`).
    pub quantity: Input<i64>,
    /// When it happened (at most 92 days ago, not in the future).
    pub occurred_at: Input<Timestamp>,
    /// What makes it unique (a retry with the same one records nothing); 1 to 128 characters.
    pub correlation_id: Input<String>,
    pub metadata: Input<serde_json::Value>,
}

#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Recorded {
    pub event: UsageEvent,
    /// `false`: an event with this correlation id was already recorded.
    pub recorded: bool,
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    super::super::require_operator(app, &call)?;
    let req: UsageEventRequest = call.json()?;
    let now = Timestamp::now();
    let mut errors = Vec::new();
    let metric = match &req.metric_code {
        Input::Given(m) => Metric::parse(m).or_else(|| {
            errors.push(FieldError::new("metric_code", format!("one of {}", Metric::ALL.join(", "))));
            None
        }),
        _ => {
            errors.push(FieldError::new("metric_code", "is required"));
            None
        }
    };
    let quantity = match req.quantity {
        Input::Given(q) if q != 0 && q.abs() <= 1_000_000 && (q > 0 || metric.is_some_and(Metric::gauge)) => Some(q),
        _ => {
            errors.push(FieldError::new("quantity", "a whole number from 1 to 1000000 (negative only for a level)"));
            None
        }
    };
    let occurred_at = match req.occurred_at {
        Input::Given(t) if t <= now && t >= now.plus_seconds(-92 * 86_400) => Some(t),
        Input::Absent => Some(now),
        _ => {
            errors.push(FieldError::new("occurred_at", "an RFC 3339 time within the last 92 days"));
            None
        }
    };
    let correlation = match req.correlation_id {
        Input::Given(c) if (1..=128).contains(&c.len()) && c.chars().all(|ch| ch.is_ascii_graphic()) => Some(c),
        Input::Absent => Some(ulid::Ulid::new().to_string()),
        _ => {
            errors.push(FieldError::new("correlation_id", "1 to 128 visible characters"));
            None
        }
    };
    let metadata = match req.metadata {
        Input::Given(m) if m.is_object() && m.to_string().len() <= 2_000 => m,
        Input::Absent | Input::Null => serde_json::Value::Null,
        _ => {
            errors.push(FieldError::new("metadata", "an object of at most 2 000 bytes"));
            serde_json::Value::Null
        }
    };
    let tenant = match &req.tenant_id {
        Input::Given(t) => Some(t.clone()),
        _ => {
            errors.push(FieldError::new("tenant_id", "is required"));
            None
        }
    };
    let (Some(metric), Some(quantity), Some(occurred_at), Some(correlation), Some(tenant)) =
        (metric, quantity, occurred_at, correlation, tenant)
    else {
        return Err(AppError::invalid_fields(errors));
    };
    if !errors.is_empty() {
        return Err(AppError::invalid_fields(errors));
    }
    let t = super::tenant(app, &tenant).await?;
    let zone = app.store.get_as::<Subscription>(&Subscription::key(t)).await?.map(|s| s.zone()).unwrap_or(chrono_tz::Tz::UTC);
    let event = UsageEvent {
        id: UsageEvent::id_for(&format!("api:{correlation}"), metric),
        metric,
        quantity,
        occurred_at,
        source: UsageSource::Api,
        correlation_id: Some(correlation),
        metadata,
    };
    let recorded = crate::metering::record(&app.store, t, &event, zone).await?;
    Ok(Reply::ok(Recorded { event, recorded }))
}
