//! `POST /v1/notify/suppression` — suppress an address by hand
//! (`{channel, address, reason?: manual}`), audited.

use crm_events::audit::AuditExt;
use crm_events::Subject;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, Timestamp};
use crm_store::Tx;
use serde::Deserialize;
use serde_json::json;

use crate::suppression::{Suppression, REASONS};
use crate::App;

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Body {
    channel: String,
    address: String,
    #[serde(default)]
    reason: Option<String>,
}

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let t = call.principal()?.tenant_id;
    let b: Body = call.json()?;
    let (channel, address) = super::parse_entry(Some(&b.channel), Some(&b.address))?;
    let reason = b.reason.unwrap_or_else(|| "manual".into());
    if !REASONS.contains(&reason.as_str()) {
        return Err(AppError::invalid("reason", format!("must be one of {}", REASONS.join(", "))));
    }
    let s = Suppression { tenant_id: t, channel, address, reason, occurred_at: Timestamp::now(), message_id: None };
    let event = crm_events::DomainEvent::caused_by(
        &call,
        crm_events::types::SUPPRESSION_ADDED,
        Subject { kind: "suppression".into(), id: format!("{}:{}", s.channel.as_str(), s.address) },
        json!({ "channel": s.channel, "address": s.address, "reason": s.reason }),
    )?;
    app.store.transact(Tx::new().put("suppression", s.to_item()?).emit_audited(&event)).await?;
    Ok(Reply::with_status(201, &s))
}
