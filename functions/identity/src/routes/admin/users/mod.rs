//! `/v1/admin/users`.

pub mod accept_invite_post;
pub mod deactivate_post;
pub mod force_logout_post;
pub mod get;
pub mod invite_post;
pub mod lifecycle;
pub mod post;
pub mod reactivate_post;
pub mod roles_post;
pub mod suspend_post;

use crm_kernel::FieldError;

/// Validates a requested role list: known roles only, at least one,
/// duplicates dropped. Problems go to `errors`.
pub(crate) fn parse_roles(requested: &[String], errors: &mut Vec<FieldError>) -> Vec<String> {
    let mut roles: Vec<String> = Vec::new();
    for r in requested {
        if !crm_auth::rbac::ROLES.contains(&r.as_str()) {
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
