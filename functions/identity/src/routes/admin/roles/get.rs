//! `GET /v1/admin/roles` — the roles a tenant can assign and the permission
//! codes each grants (the default roles: the union of the specs' lists).

use crm_auth::rbac;
use crm_http::{Call, Reply};
use crm_kernel::AppError;

use crate::App;

pub async fn handle(_app: &App, _call: Call) -> Result<Reply, AppError> {
    let roles: Vec<Role> = rbac::ROLES
        .iter()
        .map(|r| Role { code: r, permissions: rbac::default_permissions(r).iter().map(|p| p.code()).collect() })
        .collect();
    Ok(Reply::ok(roles))
}

/// A built-in role and its permission codes.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Role {
    pub code: &'static str,
    pub permissions: Vec<&'static str>,
}
