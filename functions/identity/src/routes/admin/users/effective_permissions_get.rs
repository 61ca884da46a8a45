//! `GET /v1/admin/users/{id}/effective-permissions` — every permission code
//! with whether the user has it and **why** (the roles that grant it), as
//! the spec's admin "Effective Permissions" pane asks.

use crm_auth::rbac;
use crm_http::{Call, Reply};
use crm_kernel::AppError;
use serde_json::json;

use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let user = super::target(app, &call).await?;
    let active = user.status == crate::model::UserStatus::Active;
    let permissions: Vec<_> = rbac::ALL
        .iter()
        .map(|perm| {
            let from: Vec<&str> = user.roles.iter().filter(|r| rbac::default_permissions(r).contains(perm)).map(String::as_str).collect();
            let granted = active && !from.is_empty();
            let why = match (active, from.is_empty()) {
                (false, _) => format!("the account is {:?}", user.status).to_lowercase(),
                (true, true) => "no role of the user grants it".to_string(),
                (true, false) => format!("granted by role {}", from.join(", ")),
            };
            json!({ "code": perm.code(), "granted": granted, "granted_by": from, "why": why })
        })
        .collect();
    Ok(Reply::ok(json!({ "user_id": user.id, "roles": user.roles, "status": user.status, "permissions": permissions })))
}
