//! `GET|PUT /v1/admin/roles/visibility` `{mode: all|team}` — who sees whose
//! records (the spec's team scopes, ADR 0013): `all` (everyone
//! with the read permission), or `team` (own records, the records of the
//! members of one's groups and of the holders of the roles below one's own
//! in the hierarchy; admins see all). Applied on the next request, like the
//! hierarchy it builds on; `role.visibility.changed`.

use crm_auth::visibility::Mode;
use crm_events::audit::AuditExt;
use crm_events::Subject;
use crm_http::{Call, Reply};
use crm_kernel::AppError;
use crm_store::Tx;
use serde::Deserialize;
use serde_json::json;

use crate::App;

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Body {
    mode: String,
}

pub async fn get(app: &App, call: Call) -> Result<Reply, AppError> {
    let m = crate::access::load(&app.store, call.principal()?.tenant_id).await?;
    Ok(Reply::ok(Visibility { mode: m.visibility }))
}

pub async fn put(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let b: Body = call.json()?;
    let mode = Mode::parse(&b.mode).ok_or_else(|| AppError::invalid("mode", "must be all or team"))?;
    let read = crate::access::load(&app.store, p.tenant_id).await?;
    if read.visibility == mode {
        return Ok(Reply::ok(Visibility { mode }));
    }
    let subject = Subject { kind: "tenant".into(), id: p.tenant_id.to_string() };
    let data = json!({ "from": read.visibility.as_str(), "to": mode.as_str() });
    let event = super::super::super::event(&call, p.tenant_id, crm_events::types::ROLE_VISIBILITY_CHANGED, p.user_id, subject, data);
    let next = crm_auth::access::AccessModel { visibility: mode, ..read.clone() };
    let tx = crate::access::save(Tx::new().emit_audited(&event), p.tenant_id, &read, next)?;
    app.store.transact(tx).await.map_err(crate::access::conflict)?;
    Ok(Reply::ok(Visibility { mode }))
}

/// The tenant's record visibility.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Visibility {
    pub mode: crm_auth::visibility::Mode,
}
