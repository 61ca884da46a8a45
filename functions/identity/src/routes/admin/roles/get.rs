//! `GET /v1/admin/roles` — the roles a tenant can assign and the permission
//! codes each grants (the default roles: the union of the specs' lists).

use crm_auth::rbac;
use crm_http::{Call, Reply};
use crm_kernel::AppError;
use serde_json::json;

use crate::App;

pub async fn handle(_app: &App, _call: Call) -> Result<Reply, AppError> {
    let roles: Vec<_> = rbac::ROLES
        .iter()
        .map(|r| json!({ "code": r, "permissions": rbac::default_permissions(r).iter().map(|p| p.code()).collect::<Vec<_>>() }))
        .collect();
    Ok(Reply::ok(roles))
}
