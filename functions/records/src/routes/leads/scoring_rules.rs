//! `GET|PUT /v1/leads/scoring-rules` — the tenant's scoring rules
//! ([`crate::lead_rules::Scoring`]) and the threshold that tells a lead's
//! owner. Changing them takes `leads.scoring` (`402`) and
//! `lead.rules.manage`; `If-Match` honoured; `lead.rules.updated`. Leads
//! are scored when created or changed.

use crm_http::{Call, Reply};
use crm_kernel::{AppError, Timestamp};
use serde_json::json;

use crate::lead_rules::Scoring;
use crate::App;

pub async fn get(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let s: Scoring = app.store.get_as(&Scoring::key(p.tenant_id)).await?.unwrap_or_default();
    Ok(Reply::ok(&s).etag(s.version))
}

pub async fn put(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    p.entitlements.require_feature("leads.scoring")?;
    let body: crate::lead_rules::ScoringRequest = call.json()?;
    let mut next = Scoring::parse(body)?;
    let key = Scoring::key(p.tenant_id);
    let current: Scoring = app.store.get_as(&key).await?.unwrap_or_default();
    next.version = current.version + 1;
    next.updated_at = Some(Timestamp::now());
    crate::leads::save_rules(
        app,
        &call,
        &key,
        current.version,
        &next,
        json!({ "rules": next.rules.len(), "notify_threshold": next.notify_threshold }),
    )
    .await?;
    Ok(Reply::ok(&next).etag(next.version))
}
