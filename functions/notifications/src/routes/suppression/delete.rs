//! `DELETE /v1/notify/suppression?channel=&address=` — lift a suppression
//! (where that is legal: the admin's call), audited. Absent: 404.

use crm_events::audit::AuditExt;
use crm_events::Subject;
use crm_http::{Call, Reply};
use crm_kernel::AppError;
use crm_store::tx::Condition;
use crm_store::{StoreError, Tx};
use serde_json::json;

use crate::suppression::Suppression;
use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    // Unknown or mistyped parameters are refused; the readers below interpret the rest.
    let _: SuppressionEntry = call.query_as()?;
    let t = call.principal()?.tenant_id;
    let (channel, address) = super::parse_entry(call.query("channel").as_deref(), call.query("address").as_deref())?;
    let event = crm_events::DomainEvent::caused_by(
        &call,
        crm_events::types::SUPPRESSION_REMOVED,
        Subject { kind: "suppression".into(), id: format!("{}:{address}", channel.as_str()) },
        json!({ "channel": channel, "address": address }),
    )?;
    let tx = Tx::new().delete("suppression", &Suppression::key(t, &channel, &address), Some(Condition::exists())).emit_audited(&event);
    match app.store.transact(tx).await {
        Ok(()) => Ok(Reply::no_content()),
        Err(StoreError::ConditionFailed { .. }) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}

/// The query parameters of `NotifySuppressionRemove`.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SuppressionEntry {
    /// `email`, `sms`, `whatsapp`.
    pub channel: Option<String>,
    /// The address.
    pub address: Option<String>,
}
