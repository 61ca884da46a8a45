//! `GET /v1/billing/usage?from=&to=&metric=` — the usage counters of each
//! period from `from` to `to` (`YYYY-MM`, at most 12; default: the open
//! period), with the levels (`seats.used`, maps counts) as they stand. Each
//! counter says when it was last recounted from the events, and the drift
//! that found.

use crm_billing::usage::Metric;
use crm_billing::Period;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, FieldError};
use crm_store::item::ItemExt;
use crm_store::{keys, Query};

use crate::App;

#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UsageQuery {
    /// First period (`2026-11`).
    pub from: Option<String>,
    /// Last period (`2026-12`).
    pub to: Option<String>,
    /// Only this metric (`sms.sent`).
    pub metric: Option<String>,
}

#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Counter {
    pub metric_code: String,
    /// `2026-11`, or `all` for a level.
    pub period: String,
    pub value: i64,
    pub last_increment_at: Option<String>,
    pub recounted_at: Option<String>,
    pub drift: Option<i64>,
}

#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct UsageView {
    pub periods: Vec<String>,
    pub counters: Vec<Counter>,
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let q: UsageQuery = call.query_as()?;
    let t = call.principal()?.tenant_id;
    let open = super::super::subscription(app, &call).await?.open_period();
    let mut errors = Vec::new();
    let mut period = |field: &str, raw: &Option<String>| match raw {
        None => Some(open),
        Some(r) => Period::parse(r).or_else(|| {
            errors.push(FieldError::new(field, "a period YYYY-MM"));
            None
        }),
    };
    let (from, to) = (period("from", &q.from), period("to", &q.to));
    let metric = match &q.metric {
        None => None,
        Some(m) => match Metric::parse(m) {
            Some(m) => Some(m),
            None => {
                errors.push(FieldError::new("metric", format!("one of {}", Metric::ALL.join(", "))));
                None
            }
        },
    };
    let (Some(from), Some(to)) = (from, to) else { return Err(AppError::invalid_fields(errors)) };
    if !errors.is_empty() {
        return Err(AppError::invalid_fields(errors));
    }
    let mut periods = Vec::new();
    let mut p = from;
    while p <= to && periods.len() < 12 {
        periods.push(p.key());
        p = p.next();
    }
    if p <= to {
        return Err(AppError::invalid("to", "at most 12 periods at once"));
    }
    if periods.is_empty() {
        return Err(AppError::invalid("to", "must not be before from"));
    }
    let mut counters = Vec::new();
    for key in periods.iter().map(String::as_str).chain(["all"]) {
        let page = app.store.query(Query::table(t, keys::billing_counters_pk(t, key))).await?;
        for it in page.items {
            let code = it.str_attr("metric_code").unwrap_or_default().to_string();
            if metric.is_some_and(|m| m.as_str() != code) {
                continue;
            }
            let n = |name: &str| it.num_attr(name);
            counters.push(Counter {
                value: n("value").unwrap_or(0),
                drift: n("drift"),
                period: key.to_string(),
                last_increment_at: it.str_attr("last_increment_at").map(str::to_string),
                recounted_at: it.str_attr("recounted_at").map(str::to_string),
                metric_code: code,
            });
        }
    }
    Ok(Reply::ok(UsageView { periods, counters }))
}
