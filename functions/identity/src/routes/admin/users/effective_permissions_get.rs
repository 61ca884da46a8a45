//! `GET /v1/admin/users/{id}/effective-permissions` — every permission code
//! with whether the user has it and **why** (the roles that grant it), as
//! the spec's admin "Effective Permissions" pane asks.

use crm_auth::rbac;
use crm_http::{Call, Reply};
use crm_kernel::AppError;

use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let user = super::target(app, &call).await?;
    let active = user.status == crate::model::UserStatus::Active;
    let permissions: Vec<Permission> = rbac::ALL
        .iter()
        .map(|perm| {
            let from: Vec<&str> = rbac::ROLES
                .iter()
                .copied()
                .filter(|r| user.roles.iter().any(|u| u == r) && rbac::default_permissions(r).contains(perm))
                .collect();
            let granted = active && !from.is_empty();
            let why = match (active, from.is_empty()) {
                (false, _) => format!("the account is {:?}", user.status).to_lowercase(),
                (true, true) => "no role of the user grants it".to_string(),
                (true, false) => format!("granted by role {}", from.join(", ")),
            };
            Permission { code: perm.code(), granted, granted_by: from, why }
        })
        .collect();
    Ok(Reply::ok(Effective { user_id: user.id, roles: user.roles, status: user.status, permissions }))
}

/// What a user may do: their roles and every permission code they hold.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Effective {
    pub user_id: crm_kernel::UserId,
    pub roles: Vec<String>,
    pub status: crate::model::UserStatus,
    pub permissions: Vec<Permission>,
}

/// A permission code, whether the user holds it, and why.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Permission {
    pub code: &'static str,
    pub granted: bool,
    /// The roles that grant it.
    pub granted_by: Vec<&'static str>,
    pub why: String,
}
