//! `/v1/admin/users`.

pub mod accept_invite_post;
pub mod bulk_post;
pub mod deactivate_post;
pub mod delete;
pub mod effective_entitlements_get;
pub mod effective_permissions_get;
pub mod force_logout_post;
pub mod get;
pub mod id_get;
pub mod invite_post;
pub mod lifecycle;
pub mod patch;
pub mod post;
pub mod preferences_get;
pub mod preferences_put;
pub mod reactivate_post;
pub mod roles_post;
pub mod suspend_post;

use crm_http::Call;
use crm_kernel::{AppError, FieldError, UserId};

use crate::model::User;
use crate::App;

/// The user `{id}` of the caller's tenant. Another tenant's id, a malformed
/// id and a deleted user all answer `404`.
pub(crate) async fn target(app: &App, call: &Call) -> Result<User, AppError> {
    let p = call.principal()?;
    let id = UserId::parse(&call.path("id")?).map_err(|_| AppError::NotFound)?;
    app.store.get_as::<User>(&User::key(p.tenant_id, id)).await?.filter(|u| u.deleted_at.is_none()).ok_or(AppError::NotFound)
}

/// Validates a requested role list: roles of the tenant's `model` only (the
/// defaults and its custom ones), at least one, duplicates dropped.
/// Problems go to `errors`.
pub(crate) fn parse_roles(requested: &[String], model: &crm_auth::access::AccessModel, errors: &mut Vec<FieldError>) -> Vec<String> {
    let mut roles: Vec<String> = Vec::new();
    for r in requested {
        if !model.knows_role(r) {
            errors.push(FieldError::new("roles", format!("unknown role `{r}`")));
        } else if !roles.contains(r) {
            roles.push(r.clone());
        }
    }
    if requested.is_empty() {
        errors.push(FieldError::new("roles", "at least one role is required"));
    }
    roles
}
