//! `GET /v1/admin/users/{id}/effective-permissions` — every permission code
//! with whether the user has it and **why** (the roles that grant it), as
//! the spec's admin "Effective Permissions" pane asks.

use crm_auth::rbac;
use crm_http::{Call, Reply};
use crm_kernel::AppError;

use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let user = super::target(app, &call).await?;
    let model = crate::access::load(&app.store, user.tenant_id).await?;
    let active = user.status == crate::model::UserStatus::Active;
    // Each role the user holds (directly or through a group), and each role
    // below it in the hierarchy, with the codes it grants.
    let roles = model.effective_roles(&user.roles, &user.group_ids);
    let sources: Vec<(String, std::collections::BTreeSet<String>)> = roles
        .iter()
        .flat_map(|r| {
            let below = model.descendants(r).into_iter().map(move |d| (format!("{d} (under {r})"), d));
            std::iter::once((r.clone(), r.clone())).chain(below).collect::<Vec<_>>()
        })
        .map(|(label, role)| (label, model.own_permissions(&role)))
        .collect();
    let permissions: Vec<Permission> = rbac::ALL
        .iter()
        .map(|perm| {
            let from: Vec<String> = sources.iter().filter(|(_, codes)| codes.contains(perm.code())).map(|(l, _)| l.clone()).collect();
            let granted = active && !from.is_empty();
            let why = match (active, from.is_empty()) {
                (false, _) => format!("the account is {:?}", user.status).to_lowercase(),
                (true, true) => "no role of the user grants it".to_string(),
                (true, false) => format!("granted by role {}", from.join(", ")),
            };
            Permission { code: perm.code(), granted, granted_by: from, why }
        })
        .collect();
    Ok(Reply::ok(Effective { user_id: user.id, roles, status: user.status, permissions }))
}

/// What a user may do: their roles (their own and their groups') and every
/// permission code, held or not.
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
    /// The roles that grant it (`viewer (under manager)`: through the hierarchy).
    pub granted_by: Vec<String>,
    pub why: String,
}
