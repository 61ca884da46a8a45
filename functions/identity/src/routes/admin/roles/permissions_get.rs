//! `GET /v1/admin/roles/{id}/permissions` — what a role grants, default or
//! custom: its own codes, what it inherits through the hierarchy (and from
//! which role), and the whole set its holders get.

use std::collections::{BTreeMap, BTreeSet};

use crm_http::{Call, Reply};
use crm_kernel::AppError;

use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let m = crate::access::load(&app.store, call.principal()?.tenant_id).await?;
    let code = call.path("id")?;
    let role = m.role_view(&code).ok_or(AppError::NotFound)?;
    let inherited = m.descendants(&code).into_iter().map(|r| (r.clone(), m.own_permissions(&r))).collect();
    Ok(Reply::ok(RolePermissions { permissions: m.permissions(std::slice::from_ref(&code)), role, inherited }))
}

/// A role's permissions: its own, inherited per role, and all of them.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct RolePermissions {
    pub role: crm_auth::roles::RoleView,
    /// By role below it in the hierarchy, the codes that role grants.
    pub inherited: BTreeMap<String, BTreeSet<String>>,
    /// Everything a holder gets: its own codes and every inherited one.
    pub permissions: BTreeSet<String>,
}
