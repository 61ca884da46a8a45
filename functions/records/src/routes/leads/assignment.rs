//! `GET|PUT /v1/leads/assignment` — who gets leads created without an
//! owner ([`crate::lead_rules::Assignment`]): `manual` (nobody), a
//! `round_robin` pool, or `rules` by source and country falling back to
//! the pool. Every user named must be an active user of the tenant.
//! `lead.rules.manage`; `If-Match` honoured; `lead.rules.updated`.

use crm_http::{Call, Reply};
use crm_kernel::{AppError, FieldError, Timestamp};
use serde_json::json;

use crate::lead_rules::Assignment;
use crate::App;

pub async fn get(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?;
    let a: Assignment = app.store.get_as(&Assignment::key(p.tenant_id)).await?.unwrap_or_default();
    Ok(Reply::ok(&a).etag(a.version))
}

pub async fn put(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let body: crate::lead_rules::AssignmentRequest = call.json()?;
    let mut next = Assignment::parse(body)?;
    let users = next.users();
    let found = crm_directory::get_many(&app.store, p.tenant_id, &users).await?;
    let strangers: Vec<FieldError> = users
        .iter()
        .zip(found)
        .filter(|(_, u)| !u.as_ref().is_some_and(|u| u.is_active()))
        .map(|(u, _)| FieldError::new("users", format!("{u} is not an active user of this tenant")))
        .collect();
    if !strangers.is_empty() {
        return Err(AppError::invalid_fields(strangers));
    }
    let key = Assignment::key(p.tenant_id);
    let current: Assignment = app.store.get_as(&key).await?.unwrap_or_default();
    next.version = current.version + 1;
    next.updated_at = Some(Timestamp::now());
    crate::leads::save_rules(
        app,
        &call,
        &key,
        current.version,
        &next,
        json!({ "mode": next.mode, "pool": next.pool.len(), "rules": next.rules.len() }),
    )
    .await?;
    Ok(Reply::ok(&next).etag(next.version))
}
