//! `GET /v1/admin/roles` — every role the tenant can assign: the default
//! roles (the union of the specs' lists), then its custom roles, each with
//! the permission codes it grants itself.

use crm_auth::roles::RoleView;
use crm_http::{Call, Reply};
use crm_kernel::AppError;

use crate::App;

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let m = crate::access::load(&app.store, call.principal()?.tenant_id).await?;
    let roles: Vec<RoleView> = m.role_views();
    Ok(Reply::ok(roles))
}
